"""The incident list as CSV: the list's filters, one row per incident the viewer may see, a column per custom
field of the types in it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from accounts.models import SecurityEvent
from accounts.security import security_event_record
from incidents.csv import csv_download
from incidents.incident import selectors
from incidents.incident.custom_values import field_values
from incidents.incident.forms import IncidentFilterForm
from incidents.models import CustomField, Incident

INCIDENT_CSV_HEADER = (
    "reference", "title", "type", "severity", "status", "visibility", "started_at", "detected_at",
    "resolved_at", "impact_duration_seconds", "services", "commander",
)  # fmt: skip


def _rows(incidents: Any, columns: Sequence[CustomField]) -> Iterator[list[Any]]:
    for incident in incidents:
        values = {fv.field.pk: fv.text for fv in field_values(incident)}
        yield [
            incident.reference, incident.title, incident.incident_type.name if incident.incident_type else "",
            incident.severity, incident.status, incident.visibility, incident.started_at, incident.detected_at,
            incident.resolved_at, incident.impact_duration, ", ".join(s.slug for s in incident.services.all()),
            incident.commander.email if incident.commander else "",
            *(values.get(f.pk, "") for f in columns),
        ]  # fmt: skip


@login_required
def incident_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """CSV of the incidents the viewer may see with the list's filters (`?status=&incident_type=&cf_<key>=`),
    newest first. Custom field columns are headed `<type>: <label>` (text as on the page: options joined
    with ", ", a person's name, dates ISO); bad filters answer 400 in plain text."""
    form = IncidentFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        errors = "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items())
        return HttpResponse(f"Invalid filters: {errors}\n", status=400, content_type="text/plain")
    criteria = form.criteria() if form.is_bound else {}
    try:
        incidents: list[Incident] = list(selectors.incident_list_for(request.user, **criteria))
    except ValidationError as exc:
        return HttpResponse(
            f"Invalid filters: {' '.join(exc.messages)}\n", status=400, content_type="text/plain"
        )
    type_ids = {i.incident_type_id for i in incidents if i.incident_type_id}
    columns = list(
        CustomField.objects.filter(incident_type_id__in=type_ids)
        .select_related("incident_type")
        .order_by("incident_type__name", "position", "id")
    )
    security_event_record(
        kind=SecurityEvent.Kind.EXPORT,
        actor=request.user,
        target="incidents.csv",
        detail=f"{len(incidents)} rows; filters: {request.GET.urlencode()}"[:2000],
        request=request,
    )
    header = [*INCIDENT_CSV_HEADER, *(f"{f.incident_type.name}: {f.label}" for f in columns)]
    return csv_download("incidents.csv", header, _rows(incidents, columns))
