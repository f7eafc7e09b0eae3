"""Pagination: page numbers for most lists (`?page=`, `?page_size=` up to 500), cursors for the timeline."""

from __future__ import annotations

from rest_framework import pagination


class PagePagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class TimelineCursorPagination(pagination.CursorPagination):
    """Stable pages over (occurred_at, id): entries inserted meanwhile never shift or repeat a page."""

    ordering = ("occurred_at", "id")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
