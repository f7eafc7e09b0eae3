"""The postmortem library pages: published postmortems one may see, and the lessons across them."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from incidents.paging import page_of
from incidents.review import library
from incidents.review.forms import LibraryFilterForm


def _page(request: HttpRequest, template: str, lessons: bool) -> HttpResponse:
    form = LibraryFilterForm(request.GET)
    valid = form.is_valid()
    filters = form.to_filters() if valid else library.LibraryFilters()
    select = library.library_lessons if lessons else library.library_postmortems
    rows = select(request.user, filters) if valid else select(request.user).none()
    page = page_of(rows, library.PER_PAGE, request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    filtered = any(v for k, v in params.items() if k != "page")
    context = {"form": form, "page": page, "params": params.urlencode(), "filtered": filtered}
    return render(request, template, context, status=200 if valid else 400)


@login_required
def postmortem_library(request: HttpRequest) -> HttpResponse:
    """Published postmortems the viewer may see, searched and filtered, newest first, 20 a page."""
    return _page(request, "incidents/review/library.html", lessons=False)


@login_required
def postmortem_lessons(request: HttpRequest) -> HttpResponse:
    """The Lessons section of every published postmortem the viewer may see (same filters), 20 a page."""
    return _page(request, "incidents/review/lessons.html", lessons=True)
