"""Process rules: admins set them per incident type and severity; a postmortem they require is waived here.

Every write takes `actor=` and checks it first (`AccessDenied`: not found for someone who cannot see the
incident or open settings, else 403). Errors: `ValidationError` keyed by field. What the rules mean and how
the incident and review services enforce them: `incidents.incident.process`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.incident import process
from incidents.incident.services.common import lock_incident, save_incident
from incidents.incident.services.types import TYPE_MESSAGE
from incidents.markdown import markdown_text
from incidents.models import (
    POSTMORTEM_SECTIONS,
    Incident,
    IncidentType,
    PostmortemStatus,
    ProcessRule,
    Severity,
)
from incidents.permissions.checks import actor_user, authorize, require_waive_postmortem
from incidents.permissions.roles import can_manage_incident_types, can_manage_settings
from incidents.timeline.services import system_entry

#: The longest a postmortem may be due after the resolution, in days.
MAX_DUE_DAYS = 365
MAX_REASON = 2000


@transaction.atomic
def process_rule_save(
    *,
    actor: Any,
    incident_type: IncidentType | None,
    severity: str,
    postmortem_required: bool,
    postmortem_due_days: int,
    required_sections: list[str] | tuple[str, ...] = (),
    questions_required: bool = False,
) -> ProcessRule:
    """Set the rule for incidents of `incident_type` (None: every type without its own rule) at
    `severity`; it applies to incidents from then on, resolved or not (a checklist is read, never
    stored). Admins only (AccessDenied); ValidationError keyed by field."""
    authorize(actor, can_manage_incident_types, visible=can_manage_settings, message=TYPE_MESSAGE)
    errors: dict[str, str] = {}
    if severity not in Severity.values:
        errors["severity"] = "Choose a severity from SEV1 to SEV4."
    if not isinstance(postmortem_due_days, int) or not 0 <= postmortem_due_days <= MAX_DUE_DAYS:
        errors["postmortem_due_days"] = f"Give a number of days from 0 to {MAX_DUE_DAYS}."
    known = [k for k, _label in POSTMORTEM_SECTIONS]
    unknown = [str(k) for k in required_sections if k not in known]
    if unknown:
        errors["required_sections"] = f"No such section: {', '.join(unknown)}."
    if errors:
        raise ValidationError(errors)
    row, _created = ProcessRule.objects.select_for_update().get_or_create(
        incident_type=incident_type, severity=severity
    )
    row.postmortem_required = bool(postmortem_required)
    row.postmortem_due_days = postmortem_due_days
    row.required_sections = [k for k in known if k in set(required_sections)]
    row.questions_required = bool(questions_required)
    row.save()
    return row


@transaction.atomic
def incident_postmortem_waive(*, incident: Incident, actor: Any, reason: str) -> Incident:
    """Waive the postmortem the incident's process rule requires, with `reason`: the incident may then
    close without it, and its checklist and reminders say it was waived, by whom and why. Those
    `can_waive_postmortem` allows (admins, leads of the incident's teams; AccessDenied otherwise). Writes
    one "Postmortem waived" timeline entry and bumps the version. ValidationError keyed `reason` (empty or
    too long) or `postmortem` (none is required, it is published already, or it is waived already)."""
    require_waive_postmortem(actor, incident)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why this incident needs no postmortem."})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": f"Keep the reason under {MAX_REASON} characters."})
    current = lock_incident(incident, None)
    if current.postmortem_waived_at is not None:
        raise ValidationError({"postmortem": "Its postmortem is waived already."})
    if not process.rule_for(current).postmortem_required:
        raise ValidationError({"postmortem": "Its process rule requires no postmortem: nothing to waive."})
    pm = process.postmortem_of(current)
    if pm is not None and pm.status == PostmortemStatus.PUBLISHED:
        raise ValidationError({"postmortem": "Its postmortem is published: nothing to waive."})
    current.postmortem_waived_at = timezone.now()
    current.postmortem_waived_by = actor_user(actor)
    current.postmortem_waiver_reason = reason
    save_incident(current, ["postmortem_waived_at", "postmortem_waived_by", "postmortem_waiver_reason"])
    system_entry(incident=current, actor=actor, body=f"Postmortem waived: {markdown_text(reason)}")
    return current
