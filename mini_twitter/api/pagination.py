"""Pagination classes of the API contract: ``{next, previous, results}`` and ``?page_size=`` ≤ 100."""

from collections import OrderedDict

from rest_framework import exceptions, pagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

MAX_PAGE_SIZE = 100
# The largest page number whose OFFSET still fits the databases' 64-bit integers (a larger one would
# overflow in the query: a 500). No table comes near it, so such a page is simply empty.
MAX_PAGE_NUMBER = (2**63 - 2) // (MAX_PAGE_SIZE + 1)


def _paginated_schema(schema: dict) -> dict:
    return {
        "type": "object",
        "required": ["results"],
        "properties": {
            "next": {"type": "string", "format": "uri", "nullable": True},
            "previous": {"type": "string", "format": "uri", "nullable": True},
            "results": schema,
        },
    }


class PageNumberPagination(pagination.PageNumberPagination):
    """Page-number pagination without a COUNT query: it fetches one row more than a page to learn
    whether there is a next one, so large tables stay cheap to page."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_query_param = "page"

    def get_page_number(self, request) -> int:
        try:
            return min(max(1, int(request.query_params.get(self.page_query_param, 1))), MAX_PAGE_NUMBER)
        except ValueError:
            return 1

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.size = self.get_page_size(request)
        self.number = self.get_page_number(request)
        start = (self.number - 1) * self.size
        rows = list(queryset[start : start + self.size + 1])
        self.has_next = len(rows) > self.size
        return rows[: self.size]

    def _link(self, number: int | None) -> str | None:
        if number is None:
            return None
        url = self.request.build_absolute_uri()
        if number == 1:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, number)

    def get_paginated_response(self, data):
        return Response(
            OrderedDict(
                [
                    ("next", self._link(self.number + 1 if self.has_next else None)),
                    ("previous", self._link(self.number - 1 if self.number > 1 else None)),
                    ("results", data),
                ]
            )
        )

    def get_paginated_response_schema(self, schema):
        return _paginated_schema(schema)


class CursorPagination(pagination.CursorPagination):
    """Cursor pagination for time-ordered lists: new rows never shift a page."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = ("-created_at", "-id")

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as exc:
            # A malformed cursor is bad input (400), not an unknown resource.
            raise exceptions.ValidationError({"cursor": ["Invalid cursor."]}) from exc

    def get_paginated_response_schema(self, schema):
        return _paginated_schema(schema)


class OldestFirstCursorPagination(CursorPagination):
    ordering = ("created_at", "id")
