"""Writing an incident's custom field values: at its declaration and when someone edits them.

Values are validated here, for the web forms and the API alike (`custom_values.clean_value`); errors are a
`ValidationError` keyed `cf_<key>` per field (the web form's field names; the API answers them under
`custom_fields`). A person field takes only people the writer may pick (`users_visible_to`, the one rule).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from incidents.incident.custom_values import clean_value, field_values, form_key, value_rows
from incidents.incident.services.common import lock_incident, save_incident
from incidents.markdown import markdown_text
from incidents.models import CustomField, CustomFieldValue, Incident, IncidentType
from incidents.permissions.checks import SYSTEM, require_record
from incidents.permissions.people import users_visible_to
from incidents.timeline.services import system_entry


def clean_custom_values(
    *,
    actor: Any,
    incident_type: IncidentType | None,
    values: Mapping[str, Any],
    incident: Incident | None = None,
    partial: bool = False,
    stored: Mapping[int, Any] | None = None,
) -> dict[CustomField, Any]:
    """The typed value of each field of `incident_type` that `values` (key -> raw value) gives.

    Not `partial` (a declaration): every field of the type is cleaned, so a required one left out is an
    error. `partial` (an edit): only the keys sent. A key the type does not have is an error, so is any
    value without a type. `stored` (field id -> typed value) lets a person already chosen stay although
    the writer could not pick them now. ValidationError keyed `cf_<key>` (or `incident_type`)."""
    if incident_type is None:
        if values:
            raise ValidationError({"incident_type": "Choose an incident type: custom fields belong to one."})
        return {}
    fields = {f.key: f for f in incident_type.fields.select_related("incident_type")}
    errors: dict[str, str] = {
        form_key(str(k)): f"{incident_type.name} incidents have no field “{k}”."
        for k in values
        if k not in fields
    }
    # Hindsight itself (SYSTEM: imports, the demo) may name any active person.
    people = User.objects.filter(is_active=True) if actor is SYSTEM else users_visible_to(actor, incident)
    cleaned: dict[CustomField, Any] = {}
    for key, field in fields.items():
        if partial and key not in values:
            continue
        raw = values.get(key)
        before = (stored or {}).get(field.pk)
        if (
            before is not None
            and getattr(before, "pk", None) is not None
            and raw in (before.pk, str(before.pk))
        ):
            cleaned[field] = before  # the person chosen before stays, pickable now or not
            continue
        try:
            cleaned[field] = clean_value(field, raw, people=people)
        except ValidationError as exc:
            errors[form_key(key)] = " ".join(exc.messages)
    if errors:
        raise ValidationError(errors)
    return cleaned


def store_custom_values(incident: Incident, cleaned: Mapping[CustomField, Any]) -> None:
    """Replace the stored values of the fields in `cleaned` (typed values) on `incident`."""
    CustomFieldValue.objects.filter(incident=incident, field__in=list(cleaned)).delete()
    rows = [row for field, value in cleaned.items() for row in value_rows(incident, field, value)]
    CustomFieldValue.objects.bulk_create(rows)


@transaction.atomic
def incident_custom_fields_set(
    *, incident: Incident, actor: Any, values: Mapping[str, Any], expected_version: int | None = None
) -> Incident:
    """Set the custom field values `values` (key -> raw value; empty clears) of `incident`'s type.

    Those who may record on the incident (AccessDenied otherwise). With `expected_version`, an incident
    changed since raises IncidentConflict. A change writes one "Custom fields edited" timeline entry naming
    each field's old and new value and bumps the incident's version; sending the stored values changes
    nothing. ValidationError keyed `cf_<key>`, or `incident_type` for an incident without a type."""
    require_record(actor, incident)
    current = lock_incident(incident, expected_version)
    if current.incident_type_id is None:
        raise ValidationError({"incident_type": "This incident has no type, so it has no custom fields."})
    before = {fv.field.pk: fv for fv in field_values(current)}
    cleaned = clean_custom_values(
        actor=actor,
        incident_type=current.incident_type,
        values=values,
        incident=current,
        partial=True,
        stored={pk: fv.value for pk, fv in before.items()},
    )
    changed = {f: v for f, v in cleaned.items() if before[f.pk].value != v}
    if not changed:
        return current
    store_custom_values(current, changed)
    save_incident(current, [])
    notes = []
    for field, value in changed.items():
        old = before[field.pk].text
        new = type(before[field.pk])(field, value).text
        label = markdown_text(field.label)
        if not new:
            notes.append(f"{label} cleared (was {markdown_text(old)})")
        elif not old:
            notes.append(f"{label} set to {markdown_text(new)}")
        else:
            notes.append(f"{label} changed from {markdown_text(old)} to {markdown_text(new)}")
    system_entry(incident=current, actor=actor, body="Custom fields edited: " + "; ".join(notes))
    return current
