"""Pagination and ordering that never skip or repeat a row.

- Page numbers for most lists (`?page=`, `?page_size=` up to 500).
- Keyset cursors for the timeline (`TimelineCursorPagination`): the cursor holds the whole sort key,
  (occurred_at, id), so both directions are exact with any number of entries at the same instant.
  DRF's own CursorPagination keeps only the first field plus an offset, and its `previous` link skips a
  block when a page holds nothing but equal timestamps (encode/django-rest-framework#7709).
- `StableOrderingFilter`: every `?ordering=` ends with the primary key, so rows with equal values keep one
  order from page to page (PostgreSQL returns ties in any order otherwise); an unknown key is a 400.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from django.db.models import Model, Q, QuerySet
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class PagePagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class StableOrderingFilter(OrderingFilter):
    """The API's one `?ordering=` filter (every viewset that sorts uses it; tests/security/test_ordering.py
    checks each): a comma-separated list of the view's `ordering_fields`, each optionally led by `-`.

    - An unknown key (a typo, a field that is not offered, an empty item) is a 400
      `{"ordering": ["Unknown ordering “x”; use one of: created_at, -created_at, ..."]}` instead of DRF's
      silent fall-back to the default order, so a caller never reads a list in an order they did not ask for.
    - The primary key is appended as the last key (in the direction of the first key) unless the caller
      already sorts by it, so rows with equal values keep one order from page to page (PostgreSQL returns
      ties in any order otherwise).
    """

    def allowed(self, queryset: QuerySet[Any], view: APIView, request: Request) -> list[str]:
        """The keys `?ordering=` takes on `view`, in the order the view lists them (without the `-` forms)."""
        return [str(item[0]) for item in self.get_valid_fields(queryset, view, {"request": request})]

    def remove_invalid_fields(
        self, queryset: QuerySet[Any], fields: Iterable[str], view: APIView, request: Request
    ) -> list[str]:
        """`fields` as given when every one is an allowed key (or its `-` form); else ValidationError
        (400) `{"ordering": ["Unknown ordering “…”; use one of: …"]}`."""
        fields = list(fields)
        allowed = self.allowed(queryset, view, request)
        unknown = [term for term in fields if term.removeprefix("-") not in allowed]
        if unknown:
            choices = ", ".join(f"{key}, -{key}" for key in allowed) or "(none: this list has one order)"
            shown = unknown[0][:40]
            raise ValidationError(
                {self.ordering_param: [f"Unknown ordering “{shown}”; use one of: {choices}."]}
            )
        return list(fields)

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: APIView) -> Sequence[str] | None:
        ordering = super().get_ordering(request, queryset, view)
        if not ordering:
            return ordering
        keys = [str(k) for k in ordering]
        if any(k.lstrip("-") in ("pk", "id") for k in keys):
            return keys
        return [*keys, "-pk" if keys[0].startswith("-") else "pk"]


# The largest microsecond count a cursor may carry: 9999-12-31 (bounds a tampered cursor).
_MAX_MICROS = 253_402_300_799_999_999


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _encode_position(value: datetime, pk: int) -> str:
    return f"{(value - _EPOCH) // timedelta(microseconds=1)}.{pk}"


def _decode_position(text: str) -> tuple[datetime, int]:
    micros, _, pk = text.partition(".")
    if not (micros.isascii() and micros.isdigit() and pk.isascii() and pk.isdigit()):
        raise ValueError(text)
    if int(micros) > _MAX_MICROS or len(pk) > 19:
        raise ValueError(text)
    return _EPOCH + timedelta(microseconds=int(micros)), int(pk)


class KeysetCursorPagination(pagination.CursorPagination):
    """Cursor pages over `(ordering[0], id)`, ascending; `ordering[0]` is a datetime field.

    The cursor's position is `<microseconds>.<id>` of the row the page continues after (forward) or
    before (`previous`). Pages are exact in both directions whatever the ties; a row inserted meanwhile
    never shifts a page. A tampered cursor is 404 "Invalid cursor", as in DRF.
    """

    ordering: Any = ("occurred_at", "id")

    def paginate_queryset(
        self, queryset: Any, request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        self.request = request
        self.base_url = request.build_absolute_uri()
        self.page_size = self.get_page_size(request)
        if not self.page_size:
            return None
        field = self.ordering[0]
        cursor = self.decode_cursor(request)
        reverse = bool(cursor and cursor.reverse)
        if cursor is not None and cursor.position is not None:
            try:
                value, pk = _decode_position(str(cursor.position))
            except (ValueError, OverflowError, OSError) as exc:
                raise NotFound(self.invalid_cursor_message) from exc
            if reverse:
                queryset = queryset.filter(Q(**{f"{field}__lt": value}) | Q(**{field: value, "id__lt": pk}))
            else:
                queryset = queryset.filter(Q(**{f"{field}__gt": value}) | Q(**{field: value, "id__gt": pk}))
        order = (f"-{field}", "-id") if reverse else (field, "id")
        rows = list(queryset.order_by(*order)[: self.page_size + 1])
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if reverse:
            rows.reverse()
        started = cursor is not None and cursor.position is not None
        # Going forward, rows lie behind us when we started from a position; going back, ahead of us.
        self.has_next = more if not reverse else True
        self.has_previous = started if not reverse else more
        self.page = rows
        self._first = rows[0] if rows else None
        self._last = rows[-1] if rows else None
        # An empty page keeps where it was asked from; nothing before it means "from the start".
        self._position = cursor.position if cursor and not (reverse and not rows) else None
        return rows

    def _position_of(self, row: Model) -> str:
        return _encode_position(getattr(row, self.ordering[0]), int(row.pk))

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        position = self._position_of(self._last) if self._last is not None else self._position
        return self.encode_cursor(pagination.Cursor(offset=0, reverse=False, position=cast(Any, position)))

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        position = self._position_of(self._first) if self._first is not None else self._position
        return self.encode_cursor(pagination.Cursor(offset=0, reverse=True, position=cast(Any, position)))

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data})


class TimelineCursorPagination(KeysetCursorPagination):
    """Stable pages over (occurred_at, id): entries inserted meanwhile never shift or repeat a page."""

    ordering = ("occurred_at", "id")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
