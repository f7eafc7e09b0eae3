"""Bulk reassignment: a lead or admin gives someone's action items and policy findings to another person.

Used when an owner leaves (the reassign page lists deactivated people who still own open work). Each change
is an ordinary edit through `action_item_update` / `policy_finding_update`, so it has its history record,
version bump and assignment notice; nothing is deleted.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from incidents.followup.services.findings import policy_finding_update
from incidents.followup.services.items import action_item_update
from incidents.models import (
    ActionItem,
    PolicyFinding,
)
from incidents.permissions.checks import authorize
from incidents.permissions.followup import can_reassign_work, can_view_action_item, can_view_finding


@transaction.atomic
def followup_reassign(
    *,
    actor: Any,
    new_owner: Any,
    items: Iterable[ActionItem] = (),
    findings: Iterable[PolicyFinding] = (),
) -> tuple[int, int]:
    """Give the listed action items and findings to `new_owner` (bulk reassign). Nothing is deleted.

    Each change is an edit through `action_item_update` / `policy_finding_update` (history, version,
    `*.assigned` event). A finding whose verifier is the new owner loses its verifier. Returns
    (items changed, findings changed). Raises AccessDenied: not found for an item or finding the actor
    cannot see, 403 unless they may reassign work (`can_reassign_work`) and edit each one;
    ValidationError for an inactive new owner.
    """
    items, findings = list(items), list(findings)
    for item in items:
        authorize(actor, partial(can_view_action_item, item=item), visible=False, message="")
    for finding in findings:
        authorize(actor, partial(can_view_finding, finding=finding), visible=False, message="")
    authorize(actor, can_reassign_work, message="Only team leads and admins may reassign work in bulk.")
    if new_owner is None or not new_owner.is_active:
        raise ValidationError({"new_owner": "Choose an active person to take the work over."})
    n_items = n_findings = 0
    for item in items:
        if item.owner_id != new_owner.pk:
            action_item_update(item=item, actor=actor, owner=new_owner)
            n_items += 1
    for finding in findings:
        if finding.owner_id != new_owner.pk:
            changes: dict[str, Any] = {"owner": new_owner}
            if finding.verifier_id == new_owner.pk:
                changes["verifier"] = None
            policy_finding_update(finding=finding, actor=actor, **changes)
            n_findings += 1
    return n_items, n_findings
