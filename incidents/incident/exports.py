"""The incident list as CSV: the list's filters, one row per incident the viewer may see, a column per custom
field of the types in it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from accounts.models import SecurityEvent
from accounts.security import security_event_record
from incidents.csv import csv_download
from incidents.incident import selectors
from incidents.incident.custom_values import field_values
from incidents.incident.forms import IncidentFilterForm
from incidents.incident.selectors import CUSTOM_PREFETCH
from incidents.models import CustomField, Incident

#: Incidents read from the database at a time.
CHUNK = 1000

INCIDENT_CSV_HEADER = (
    "reference", "title", "type", "severity", "status", "visibility", "started_at", "detected_at",
    "resolved_at", "impact_duration_seconds", "services", "commander",
)  # fmt: skip


_COLUMNS = (
    "id", "number", "title", "incident_type_id", "incident_type__name", "severity", "status", "visibility",
    "started_at", "detected_at", "resolved_at", "commander__email",
)  # fmt: skip


def _rows(incidents: QuerySet[Incident], columns: Sequence[CustomField]) -> Iterator[list[Any]]:
    """The CSV rows of `incidents`, in order, read CHUNK at a time as plain values: per chunk one query for
    the rows, one for their services, and for those of a type with custom fields their values (as
    `field_values` reads them), so no model is built for a row without custom values."""
    values = incidents.prefetch_related(None).select_related(None).values_list(*_COLUMNS)
    rows = values.iterator(chunk_size=CHUNK)
    while chunk := list(islice(rows, CHUNK)):
        ids = [row[0] for row in chunk]
        services: dict[int, list[str]] = defaultdict(list)
        through = Incident.services.through.objects.filter(incident_id__in=ids)
        for incident_id, slug in through.order_by("service__name").values_list(
            "incident_id", "service__slug"
        ):
            services[incident_id].append(slug)
        typed = [row[0] for row in chunk if row[3] is not None] if columns else []
        custom = {
            incident.pk: {fv.field.pk: fv.text for fv in field_values(incident)}
            for incident in Incident.objects.filter(pk__in=typed)
            .select_related("incident_type")
            .prefetch_related(*CUSTOM_PREFETCH)
        }
        for (
            pk,
            number,
            title,
            _t,
            type_name,
            severity,
            status,
            visibility,
            started,
            detected,
            resolved,
            email,
        ) in chunk:
            found = custom.get(pk, {})
            yield [
                f"INC-{number}", title, type_name or "", severity, status, visibility, started, detected, resolved,
                None if resolved is None else max(0, int((resolved - started).total_seconds())),
                ", ".join(services.get(pk, ())), email or "", *(found.get(f.pk, "") for f in columns),
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
        incidents = selectors.incident_list_for(request.user, **criteria)
        # One narrow query first: how many rows (for the security event) and which types (for the columns).
        types = list(incidents.prefetch_related(None).order_by().values_list("incident_type_id", flat=True))
    except ValidationError as exc:
        return HttpResponse(
            f"Invalid filters: {' '.join(exc.messages)}\n", status=400, content_type="text/plain"
        )
    count, type_ids = len(types), {t for t in types if t}
    columns = list(
        CustomField.objects.filter(incident_type_id__in=list(type_ids))
        .select_related("incident_type")
        .order_by("incident_type__name", "position", "id")
    )
    security_event_record(
        kind=SecurityEvent.Kind.EXPORT,
        actor=request.user,
        target="incidents.csv",
        detail=f"{count} rows; filters: {request.GET.urlencode()}"[:2000],
        request=request,
    )
    header = [*INCIDENT_CSV_HEADER, *(f"{f.incident_type.name}: {f.label}" for f in columns)]
    # Streamed as the database returns the rows, CHUNK at a time, so a long history is never held whole.
    return csv_download("incidents.csv", header, _rows(incidents, columns))
