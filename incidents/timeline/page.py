"""The timeline section of the incident page: what the page (and the timeline's own partials) need to show
it. The incident page (`incidents.incident.pages`) renders it; the timeline's views share its helpers."""

from __future__ import annotations

from typing import Any, TypedDict
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from incidents.models import EntryKind, EvidenceMarker, Incident
from incidents.permissions.incident import can_record
from incidents.timefmt import typed_times_label, zone_label
from incidents.timeline import selectors
from incidents.timeline.forms import QuickAddForm
from incidents.timeline.selectors import TimelineCursor
from incidents.timeparse import BareClock, bare_clock_days


class TimelineFilters(TypedDict):
    """The kind and evidence-marker filters of the query string ("" when absent or unknown)."""

    kind: str
    marker: str


def timeline_filters(request: HttpRequest) -> TimelineFilters:
    """The kind and marker filters of `request`'s query string (unknown values dropped)."""
    kind = request.GET.get("kind", "")
    marker = request.GET.get("marker", "")
    return {
        "kind": kind if kind in EntryKind.values else "",
        "marker": marker if marker in EvidenceMarker.values else "",
    }


def timeline_base(incident: Incident) -> str:
    """The path the timeline's partials and forms live under (`/incidents/42/timeline/`)."""
    return reverse("incidents:detail", args=[incident.number]) + "timeline/"


def when_label(span: BareClock | None) -> str:
    """The time box's label: `times in Europe/Copenhagen, UTC+01:00, on 3 Mar` (the days a bare time is
    read on: `span`'s, else today)."""
    zone, today = timezone.get_current_timezone(), timezone.localdate()
    return typed_times_label(zone, bare_clock_days(span, zone) if span else [today], today=today)


def timeline_context(
    request: HttpRequest, incident: Incident, *, quick_form: QuickAddForm | None = None
) -> dict[str, Any]:
    """What the incident page needs for its timeline section (a fixed number of queries).

    Renders the newest `selectors.TIMELINE_WINDOW` entries matching the kind/marker filters in the query
    string; editors also see removed entries. `quick_form` is a quick add posted without JavaScript that
    was refused: shown as posted, with its errors (else an empty form, for editors only). Keys:
    `timeline`, `timeline_filters`, `timeline_query`, `timeline_cursor`, `timeline_base`, `quick_form`,
    `kind_choices`, `marker_choices`, `zone_label`, `when_label`.
    """
    editor = can_record(request.user, incident)
    filters = timeline_filters(request)
    window = selectors.timeline_window(incident, include_removed=editor, **filters)
    if quick_form is None and editor:
        quick_form = QuickAddForm(initial={"kind": EntryKind.NOTE})
    return {
        "timeline": window,
        "timeline_filters": filters,
        "timeline_query": urlencode({k: v for k, v in filters.items() if v}),
        "timeline_cursor": TimelineCursor.start().encode(),
        "timeline_base": timeline_base(incident),
        "quick_form": quick_form if editor else None,
        "kind_choices": EntryKind.choices,
        "marker_choices": EvidenceMarker.choices,
        "zone_label": zone_label(timezone.localtime()),
        "when_label": when_label(selectors.bare_clock_span(incident)) if editor else "",
    }
