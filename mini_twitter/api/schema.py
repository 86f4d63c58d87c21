"""drf-yasg schema helpers: tags from a view attribute, and anonymous endpoints shown without a lock."""

from drf_yasg import openapi
from drf_yasg.generators import OpenAPISchemaGenerator
from drf_yasg.inspectors import SwaggerAutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class AutoSchema(SwaggerAutoSchema):
    def get_tags(self, operation_keys=None):
        tags = getattr(self.view, "swagger_tags", None)
        return list(tags) if tags else super().get_tags(operation_keys)

    def get_security(self):
        security = super().get_security()
        if security is None:
            permissions = self.view.get_permissions()
            if permissions and all(isinstance(p, AllowAny) for p in permissions):
                return []
        return security


_paginated_cache: dict[type, type] = {}


def paginated(serializer_class: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """A serializer class describing one page of ``serializer_class`` items, for Swagger responses
    of actions that paginate by hand."""
    if serializer_class not in _paginated_cache:
        name = serializer_class.__name__.removesuffix("Serializer")
        _paginated_cache[serializer_class] = type(
            f"Paginated{name}Serializer",
            (serializers.Serializer,),
            {
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": serializer_class(many=True),
                "Meta": type("Meta", (), {"ref_name": f"Paginated{name}"}),
            },
        )
    return _paginated_cache[serializer_class]


CURSOR_PARAMETERS = [
    openapi.Parameter("cursor", openapi.IN_QUERY, description="The pagination cursor value.", type=openapi.TYPE_STRING),
    openapi.Parameter(
        "page_size", openapi.IN_QUERY, description="Number of results per page (≤ 100).", type=openapi.TYPE_INTEGER
    ),
]


class SchemaGenerator(OpenAPISchemaGenerator):
    """All ids in this API are integers, path parameters included."""

    def get_path_parameters(self, path, view_cls):
        parameters = super().get_path_parameters(path, view_cls)
        for parameter in parameters:
            if parameter.name == "id" or parameter.name.endswith("_id"):
                parameter.type = openapi.TYPE_INTEGER
                parameter.pop("pattern", None)
        return parameters
