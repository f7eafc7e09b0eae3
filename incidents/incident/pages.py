"""The incident page, rendered by its own view and by a form posted from it without JavaScript that comes
back with its errors (the timeline's quick add), so the page shows what was typed beside what was wrong."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from incidents.incident import live, selectors
from incidents.incident.forms import ReopenForm, SeverityForm
from incidents.timeline.forms import QuickAddForm
from incidents.timeline.page import timeline_context


def incident_page(
    request: HttpRequest, number: int, *, quick_form: QuickAddForm | None = None, status: int = 200
) -> HttpResponse:
    """The incident page of INC-`number` for `request.user` (404 when they cannot see it), answered with
    `status`. `quick_form`: a refused quick add, shown with the text, kind and time as posted and its
    errors (422 from the quick add view); None gives the empty form."""
    incident = selectors.incident_get_for(request.user, number)
    context = {
        **live.live_context(request, incident),
        **timeline_context(request, incident, quick_form=quick_form),
        # Each form its own ids: both have a reason and a time, and one page holds both.
        "severity_form": SeverityForm(initial={"severity": incident.severity}, auto_id="severity_%s"),
        "reopen_form": ReopenForm(auto_id="reopen_%s"),
    }
    return render(request, "incidents/incident/detail.html", context, status=status)
