"""Insights page (figures with SVG charts, tables and CSV), search, and similar-incident partials."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from accounts.models import SecurityEvent
from accounts.security import security_event_record
from incidents.csv import csv_download
from incidents.incident import selectors
from incidents.inputs import int_param
from incidents.insights import charts, metrics, registry, search, search_kinds
from incidents.insights.forms import DEFAULT_DAYS, InsightsFilterForm, SearchForm
from incidents.insights.metrics import cache as insights_cache
from incidents.insights.similar import similar_incidents_for
from incidents.paging import page_notice, page_number


def _figure_html(user: Any, filters: metrics.MetricFilters, slug: str, query: str) -> str:
    figure = registry.figure_for(user, filters, slug)
    context = {"figure": figure, "charts": charts.render_spec(figure.chart), "query": query}
    return render_to_string("incidents/insights/_figure.html", context)


@login_required
def insights(request: HttpRequest) -> HttpResponse:
    # Each figure's HTML is kept a short time per viewer scope and filters, and dropped by any write it
    # counts (incidents/insights/metrics/cache.py): viewers who see the same incidents share it.
    user = request.user
    scope = insights_cache.viewer_scope(user)
    zone = timezone.get_current_timezone()
    # Without filters the page opens on the last 90 days in the viewer's zone (or, when they hold no
    # incident, on the 90 days up to the latest one), which the form then shows.
    opening = None
    if not request.GET:
        today = timezone.localdate()
        opening = insights_cache.cached_one(
            scope,
            metrics.MetricFilters(zone=zone),
            "opening",
            lambda: metrics.opening_range(user, today=today, zone=zone, days=DEFAULT_DAYS),
            extra=f"{today}|{DEFAULT_DAYS}",
        )
    data = request.GET if opening is None else InsightsFilterForm.default_data(opening)
    form = InsightsFilterForm(data)
    figures: list[str] = []
    valid = form.is_valid()
    if valid:
        filters = form.to_filters()
        query = data.urlencode()
        figures = [
            mark_safe(html)  # noqa: S308 - rendered by _figure_html from our template, escaped there
            for html in insights_cache.cached_many(
                scope,
                filters,
                [f"figure:{slug}" for slug in registry.FIGURES],
                lambda name: _figure_html(user, filters, name.removeprefix("figure:"), query),
                extra=query,
            )
        ]
    return render(
        request,
        "incidents/insights/insights.html",
        {
            "form": form,
            "figures": figures,
            "valid": valid,
            "zone": timezone.get_current_timezone_name(),
            "default_range": opening is not None,
            "opening": opening,
            "default_days": DEFAULT_DAYS,
        },
        status=200 if valid else 400,
    )


def _rounded(value: Any) -> Any:
    """Fractions to 4 places (a percentage as 33.3333); everything else as the figure holds it."""
    return round(value, 4) if isinstance(value, float) else value


@login_required
def insights_csv(request: HttpRequest, figure: str) -> HttpResponse | StreamingHttpResponse:
    if figure not in registry.FIGURES:
        raise Http404("No such figure.")
    slug = figure
    form = InsightsFilterForm(request.GET)
    if not form.is_valid():
        errors = "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items())
        return HttpResponse(f"Invalid filters: {errors}\n", status=400, content_type="text/plain")
    data = registry.figure_for(request.user, form.to_filters(), slug)

    security_event_record(
        kind=SecurityEvent.Kind.EXPORT,
        actor=request.user,
        target=f"hindsight-{slug}.csv",
        detail=request.GET.urlencode()[:2000],
        request=request,
    )
    header = [
        f"{c} (seconds)" if k == "seconds" else c for c, k in zip(data.columns, data.kinds, strict=False)
    ]
    return csv_download(f"hindsight-{slug}.csv", header, ([_rounded(v) for v in row] for row in data.rows))


@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    results: search.SearchResults | None = None
    query, notice, asked = "", "", request.GET.get("page")
    valid = form.is_valid()
    if valid:
        query = form.cleaned_data["q"]
        if query:
            results = search.search(
                request.user, query, filters=form.to_filters(), page=page_number(asked)[0]
            )
            notice = page_notice(asked, results.page, results.pages)
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("kind", None)
    kinds = (
        [
            {"kind": kind, "label": search_kinds.kind_label(kind, n), "more": kind in results.capped}
            for kind, n in results.counts.items()
        ]
        if results
        else []
    )
    return render(
        request,
        "incidents/insights/search.html",
        {
            "form": form,
            "query": query,
            "results": results,
            "page_notice": notice,
            "kinds": kinds,
            "kind": form.cleaned_data.get("kind", "") if valid else "",
            "params": params.urlencode(),
            "kind_params": (params.urlencode() + "&") if params else "",
            "full_text": search_kinds.is_postgres(),
            "rank_candidates": search.RANK_CANDIDATES,
        },
        status=200 if valid else 400,
    )


@login_required
def similar_for_incident(request: HttpRequest, number: int) -> HttpResponse:
    """HTMX partial for the incident page: incidents that look like this one."""
    incident = selectors.incident_get_for(request.user, number)
    similar = similar_incidents_for(
        request.user,
        title=incident.title,
        service_ids=[s.pk for s in incident.services.all()],
        factor_categories=set(incident.factors.values_list("category", flat=True)),
        exclude_id=incident.pk,
    )
    return render(request, "incidents/insights/_similar.html", {"similar": similar, "declaring": False})


@login_required
def similar_preview(request: HttpRequest) -> HttpResponse:
    """HTMX partial for the declare form: past incidents like the title being typed."""
    title = request.GET.get("title", "")
    service_ids = [n for s in request.GET.getlist("services") if (n := int_param(s, low=1)) is not None]
    similar = (
        similar_incidents_for(request.user, title=title, service_ids=service_ids)
        if len(title.strip()) >= 3
        else []
    )
    return render(request, "incidents/insights/_similar.html", {"similar": similar, "declaring": True})
