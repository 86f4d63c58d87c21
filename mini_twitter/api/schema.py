"""drf-yasg schema helpers: tags from a view attribute, anonymous endpoints shown without a lock, and
the error answers every operation can give (401, 429, a bad cursor's or a NUL character's 400)
documented once, here."""

from drf_yasg import openapi
from drf_yasg.generators import OpenAPISchemaGenerator
from drf_yasg.inspectors import NotHandled, ReferencingSerializerInspector, SwaggerAutoSchema
from rest_framework import serializers
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import AllowAny

from .serializers import DetailSerializer

VALIDATION_ERROR = openapi.Response(
    'Invalid input: DRF\'s field errors, `{"field": ["message", ...]}` (or `{"detail": "message"}`).',
    openapi.Schema(type=openapi.TYPE_OBJECT),
)
UNAUTHENTICATED = openapi.Response(
    "Missing, invalid or expired access token (an invalid token is refused on public reads too).",
    DetailSerializer,
)
BAD_REQUEST = openapi.Response(
    "A NUL character in the path or query string (refused for every endpoint), in the error shape of "
    "the endpoint's API.",
    openapi.Schema(type=openapi.TYPE_OBJECT),
)
THROTTLED = openapi.Response(
    "Too many requests; `Retry-After` says how many seconds to wait.",
    DetailSerializer,
    headers={"Retry-After": openapi.Schema(type=openapi.TYPE_INTEGER, description="Seconds to wait.")},
)


class NullableSerializerInspector(ReferencingSerializerInspector):
    """A nested serializer with ``allow_null`` (a conversation's ``last_message``, a feed item's
    ``retweeted_by``) as ``allOf: [$ref]`` plus ``x-nullable``: keywords beside a bare ``$ref`` are
    ignored in Swagger 2.0, so ``null`` would otherwise break the documented shape."""

    def field_to_swagger_object(self, field, swagger_object_type, use_references, **kwargs):
        result = super().field_to_swagger_object(field, swagger_object_type, use_references, **kwargs)
        if (
            result is not NotHandled
            and isinstance(field, serializers.Serializer)
            and getattr(field, "allow_null", False)
            and isinstance(result, openapi.SchemaRef)
        ):
            schema = openapi.SwaggerDict()
            schema.update({"allOf": [result], "x-nullable": True})
            if field.read_only:
                schema["readOnly"] = True
            return schema
        return result


class AutoSchema(SwaggerAutoSchema):
    field_inspectors = [NullableSerializerInspector, *SwaggerAutoSchema.field_inspectors]

    def get_tags(self, operation_keys=None):
        tags = getattr(self.view, "swagger_tags", None)
        return list(tags) if tags else super().get_tags(operation_keys)

    def get_response_serializers(self):
        responses = super().get_response_serializers()
        if getattr(self.view, "authentication_classes", None):
            responses.setdefault("401", UNAUTHENTICATED)
        if self._is_throttled():
            responses.setdefault("429", THROTTLED)
        if self._takes_cursor():
            responses.setdefault("400", VALIDATION_ERROR)
        responses.setdefault("400", BAD_REQUEST)
        return responses

    def _is_throttled(self) -> bool:
        try:
            return bool(self.view.get_throttles())
        except Exception:  # noqa: BLE001 - a view that can't tell without a request: assume it is
            return True

    def _takes_cursor(self) -> bool:
        manual = self.overrides.get("manual_parameters") or []
        if any(getattr(parameter, "name", None) == "cursor" for parameter in manual):
            return True
        return self.should_page() and isinstance(getattr(self.view, "paginator", None), CursorPagination)

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


def _drop_read_only_min_length(node) -> None:
    """drf-yasg gives every ``CharField`` without ``allow_blank`` a ``minLength`` of 1, read-only
    (output) fields included; but output strings such as an unset ``bio`` are empty."""
    if isinstance(node, dict):
        if node.get("readOnly") and node.get("type") == openapi.TYPE_STRING:
            node.pop("minLength", None)
        for value in node.values():
            _drop_read_only_min_length(value)
    elif isinstance(node, list):
        for value in node:
            _drop_read_only_min_length(value)


class SchemaGenerator(OpenAPISchemaGenerator):
    """All ids in this API are integers, path parameters included; read-only strings may be empty."""

    def get_schema(self, request=None, public=False):
        schema = super().get_schema(request, public)
        _drop_read_only_min_length(schema)
        return schema

    def get_path_parameters(self, path, view_cls):
        parameters = super().get_path_parameters(path, view_cls)
        for parameter in parameters:
            if parameter.name == "id" or parameter.name.endswith("_id"):
                parameter.type = openapi.TYPE_INTEGER
                parameter.pop("pattern", None)
        return parameters
