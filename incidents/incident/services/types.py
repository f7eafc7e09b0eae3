"""Incident types and their custom fields: admins define them in the settings pages.

Every write takes `actor=` and checks it (`can_manage_incident_types`: admins) before it touches a row; a
refusal is `AccessDenied` (404 to someone who cannot open settings, else 403). Errors:
`django.core.exceptions.ValidationError` keyed by field.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from incidents.incident.custom_values import option_renames
from incidents.incident.directory import name_and_slug_errors
from incidents.models import (
    OPTION_KINDS,
    CustomField,
    CustomFieldKind,
    CustomFieldValue,
    IncidentType,
    PostmortemTemplate,
    Severity,
)
from incidents.permissions.checks import authorize
from incidents.permissions.roles import can_manage_incident_types, can_manage_settings

TYPE_MESSAGE = "Only admins define incident types and their fields."


def _authorize(actor: Any) -> None:
    authorize(actor, can_manage_incident_types, visible=can_manage_settings, message=TYPE_MESSAGE)


def _type_errors(name: str, slug: str, severity: str, exclude: int | None) -> dict[str, str]:
    errors = name_and_slug_errors(IncidentType, name, slug, exclude, noun="type", example="Security")
    if severity not in Severity.values:
        errors["default_severity"] = "Choose a severity from SEV1 to SEV4."
    return errors


@transaction.atomic
def incident_type_save(
    *,
    actor: Any,
    incident_type: IncidentType | None = None,
    name: str,
    slug: str = "",
    description: str = "",
    default_severity: str = Severity.SEV3,
    restricted_by_default: bool = False,
    postmortem_template: PostmortemTemplate | None = None,
    archived: bool = False,
    runbook_tasks: str = "",
) -> IncidentType:
    """Create an incident type (`incident_type` None) or edit it. The slug defaults to the slugified
    name. Declarations of the type take its default severity, visibility and postmortem template, and start
    with its `runbook_tasks` (one a line) as tasks; editing a type changes no incident declared before. Admins only (AccessDenied); ValidationError keyed by field."""
    _authorize(actor)
    name = (name or "").strip()
    slug = slugify(slug or name)
    errors = _type_errors(name, slug, default_severity, incident_type.pk if incident_type else None)
    if errors:
        raise ValidationError(errors)
    row = (
        IncidentType()
        if incident_type is None
        else IncidentType.objects.select_for_update().get(pk=incident_type.pk)
    )
    row.name, row.slug, row.description = name, slug, (description or "").strip()
    row.default_severity, row.restricted_by_default = default_severity, bool(restricted_by_default)
    row.postmortem_template, row.archived = postmortem_template, bool(archived)
    tasks = [line.strip() for line in (runbook_tasks or "").splitlines() if line.strip()]
    if any(len(t) > 200 for t in tasks):
        raise ValidationError({"runbook_tasks": "Keep each task under 200 characters."})
    row.runbook_tasks = "\n".join(tasks)
    row.save()
    return row


def clean_options(kind: str, options: Any) -> list[str]:
    """The options of a field of `kind` as stored: stripped, in order, without blanks; a select needs at
    least one and no repeats (case-insensitive); other kinds have none. ValidationError keyed `options`."""
    if kind not in OPTION_KINDS:
        return []
    raw = options.splitlines() if isinstance(options, str) else list(options or [])
    cleaned = [str(o).strip() for o in raw if str(o).strip()]
    if not cleaned:
        raise ValidationError({"options": "Give a select at least one option, one a line."})
    lowered = [o.lower() for o in cleaned]
    repeated = sorted({o for o in cleaned if lowered.count(o.lower()) > 1})
    if repeated:
        raise ValidationError({"options": f"Each option once: {', '.join(repeated)} is repeated."})
    if any(len(o) > 200 for o in cleaned):
        raise ValidationError({"options": "Keep each option under 200 characters."})
    return cleaned


@transaction.atomic
def custom_field_save(
    *,
    actor: Any,
    incident_type: IncidentType,
    field: CustomField | None = None,
    label: str,
    key: str = "",
    kind: str,
    options: Any = (),
    required: bool = False,
    help_text: str = "",
    position: int = 0,
) -> CustomField:
    """Add a custom field to `incident_type` (`field` None) or edit one of its fields. `key` (default: the
    label, slugified with underscores) names it in the API and exports and is unique within the type. A
    field's kind cannot change once it holds values (they were validated for the old kind). An option of a
    select edited on its line is renamed (`option_renames`): every incident holding it holds the new one,
    in the same transaction, so the list, filters, search, Insights, the API and exports show the new
    name. Admins only (AccessDenied); ValidationError keyed by field."""
    _authorize(actor)
    label = (label or "").strip()
    key = slugify(key or label).replace("-", "_")
    errors: dict[str, str] = {}
    if not label:
        errors["label"] = "Name the field (for example Customer ticket)."
    if not key:
        errors["key"] = "Give a key of letters, digits and underscores."
    else:
        others = CustomField.objects.filter(incident_type=incident_type, key=key)
        if field is not None:
            others = others.exclude(pk=field.pk)
        if others.exists():
            errors["key"] = "Another field of this type uses this key."
    if kind not in CustomFieldKind.values:
        errors["kind"] = "Choose a kind of field."
    elif field is not None and field.kind != kind and field.values.exists():
        errors["kind"] = "Incidents hold values of this field: its kind stays."
    if errors:
        raise ValidationError(errors)
    if field is not None and field.incident_type_id != incident_type.pk:
        raise ValidationError({"field": "This field belongs to another type."})
    # Locked, so two admins renaming the same option cannot leave values under a name no longer offered.
    row = (
        CustomField(incident_type=incident_type)
        if field is None
        else CustomField.objects.select_for_update().get(pk=field.pk)
    )
    old_options = list(row.options) if field is not None and row.kind == kind else []
    row.label, row.key, row.kind = label, key, kind
    row.options = clean_options(kind, options)
    row.required, row.help_text, row.position = bool(required), (help_text or "").strip(), int(position or 0)
    row.save()
    for before, after in option_renames(old_options, row.options).items():
        CustomFieldValue.objects.filter(field=row, text=before).update(text=after)
    return row
