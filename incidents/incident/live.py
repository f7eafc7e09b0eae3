"""The live parts of the incident page: the header (status, severity, roles, the commander's actions) and
the facts grid (milestones, durations, People card, links), which every open page refreshes by polling
`incident_header` with the version it shows."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from incidents.incident import selectors
from incidents.incident.custom_values import field_values
from incidents.incident.forms import ROLE_CHOICES, StatusForm
from incidents.incident.models import DURATION_NOTE
from incidents.incident.services.lifecycle import TRANSITIONS
from incidents.models import Incident, IncidentStatus
from incidents.permissions.incident import can_command, can_record
from incidents.permissions.people import can_manage_participants

ROLE_LABELS = dict(ROLE_CHOICES)


def people_context(
    request: HttpRequest,
    incident: Incident,
    *,
    form: Any = None,
    target: str = "",
    message: str = "",
) -> dict[str, Any]:
    """What the People card shows: the role holders, the participants (one query), what the viewer may
    change, and after a post its outcome (`message`), or the `form` with errors for picker `target` (a
    role field or "participant"), which also gets the focus back."""
    user = request.user
    roles = [
        {"field": field, "label": ROLE_LABELS[field], "person": getattr(incident, field),
         "form": form if target == field else None}
        for field in ("commander", "communications_lead", "scribe")
    ]  # fmt: skip
    return {
        "incident": incident,
        "people_roles": roles,
        "participants": selectors.incident_participants(incident),
        "may_assign_roles": can_command(user, incident),
        "may_manage_participants": can_manage_participants(user, incident),
        "participant_form": form if target == "participant" else None,
        "people_message": message,
        "focus": target,
    }


def live_context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    """What the live parts of the incident page show (header, milestones, durations, People card)."""
    return {
        "incident": incident,
        "can_record": can_record(request.user, incident),
        "can_command": can_command(request.user, incident),
        "next_statuses": [(s, IncidentStatus(s).label) for s in sorted(TRANSITIONS[incident.status])],
        "status_form": StatusForm(auto_id="status_%s"),
        "milestone_rows": selectors.milestone_rows(incident),
        "duration_rows": incident.duration_rows(),
        "duration_note": DURATION_NOTE,
        "custom_values": field_values(incident),
        "affected_services": selectors.affected_services(incident),
        **people_context(request, incident),
    }


@login_required
def incident_header(request: HttpRequest, number: int) -> HttpResponse:
    """The live header: 204 while the incident is at `?version=`, else the header and (out of band) the
    milestones, durations and People card at the current version. Polled by every open incident page."""
    incident = selectors.incident_get_for(request.user, number)
    if request.GET.get("version", "") == str(incident.version):
        return HttpResponse(status=204)
    return render(request, "incidents/incident/_live.html", live_context(request, incident))
