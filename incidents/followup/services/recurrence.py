"""Recurrence writes: a contributing factor seen again flags the done action items that were meant to prevent it.

`contributing_factor_mark_recurrence` points a factor at its earlier occurrence and calls
`action_items_flag_recurrence`, which marks "did not prevent recurrence" on the done items of the earlier
occurrences; the owner reviews the flag with `action_item_review_recurrence` (and may reopen the item).
Same conventions as `items.py`: one transaction each, `actor=` (`SYSTEM` for Hindsight itself) checked
first (AccessDenied), one history record per change through `save_work`. Emits `action_item.recurrence_flagged` [item_id, incident_id].
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.followup.services.common import (
    Change,
    change_reason,
    lock_work,
    required_note,
    save_work,
)
from incidents.followup.services.items import action_item_change_status
from incidents.models import ActionItem, ActionItemStatus, ContributingFactor
from incidents.permissions.checks import require_edit_action_item, require_record

S = ActionItemStatus


def _earlier_occurrences(factor: ContributingFactor, limit: int = 50) -> list[ContributingFactor]:
    """The factors `factor` recurs: its `recurrence_of` chain, plus the other recurrences of those factors
    (the review marks every recurrence against the first occurrence), never `factor`'s own incident."""
    seen: set[int] = {factor.pk}
    chain: list[ContributingFactor] = []
    current = factor.recurrence_of
    while current is not None and current.pk not in seen and len(chain) < limit:
        seen.add(current.pk)
        chain.append(current)
        current = current.recurrence_of
    if chain:
        siblings = (
            ContributingFactor.objects.filter(recurrence_of__in=chain)
            .exclude(pk__in=seen)
            .exclude(incident_id=factor.incident_id)
        )
        chain += list(siblings[:limit])
    return chain


@transaction.atomic
def action_items_flag_recurrence(*, factor: ContributingFactor, actor: Any) -> list[ActionItem]:
    """Flag "did not prevent recurrence" on done items linked to the factor's earlier occurrences.

    Follows `recurrence_of` back through the chain of earlier occurrences. Already-flagged items are left
    alone, so calling this twice flags nothing new. Returns the items flagged now. The actor must be
    able to record on the factor's incident.
    """
    require_record(actor, factor.incident)
    earlier = _earlier_occurrences(factor)
    if not earlier:
        return []
    items = list(
        ActionItem.objects.select_for_update()
        .filter(factor__in=earlier, status=S.DONE, did_not_prevent_recurrence=False)
        .order_by("id")
    )
    now = timezone.now()
    incident = factor.incident
    for item in items:
        item.did_not_prevent_recurrence = True
        item.recurrence_incident = incident
        item.recurrence_flagged_at = now
        item.recurrence_reviewed_at = None
        item.recurrence_review_note = ""
        save_work(
            item,
            [
                "did_not_prevent_recurrence",
                "recurrence_incident",
                "recurrence_flagged_at",
                "recurrence_reviewed_at",
                "recurrence_review_note",
            ],
            actor=actor,
            # Not the incident's reference: the item's history is read by people who may not see it.
            reason=change_reason(
                Change.RECURRENCE, "The factor it addressed was seen again in a later incident."
            ),
        )
    return items


@transaction.atomic
def action_item_review_recurrence(
    *, item: ActionItem, actor: Any, note: str, reopen: bool = False
) -> ActionItem:
    """Record the review of a "did not prevent recurrence" flag; with `reopen`, the item opens again.

    A note is required. Raises ValidationError when the item is not flagged.
    """
    require_edit_action_item(actor, item)
    current = lock_work(item, None)
    if not current.did_not_prevent_recurrence:
        raise ValidationError({"note": "This item is not flagged as failing to prevent a recurrence."})
    note = required_note(note, "Say what the review concluded.")
    current.recurrence_reviewed_at = timezone.now()
    current.recurrence_review_note = note
    save_work(
        current,
        ["recurrence_reviewed_at", "recurrence_review_note"],
        actor=actor,
        reason=change_reason(Change.RECURRENCE_REVIEWED, note),
    )
    if reopen and current.status == S.DONE:
        return action_item_change_status(
            item=current, actor=actor, status=S.OPEN, note=f"Did not prevent recurrence: {note}"
        )
    return current


@transaction.atomic
def contributing_factor_mark_recurrence(
    *, factor: ContributingFactor, actor: Any, earlier: ContributingFactor | None
) -> ContributingFactor:
    """Mark `factor` as the same factor seen before in `earlier` (None clears it), then flag the done
    action items of the earlier occurrences with `action_items_flag_recurrence`.

    Raises ValidationError for the factor itself, a factor of the same incident, or a loop.
    """
    require_record(actor, factor.incident)
    current = (
        ContributingFactor.objects.select_for_update(of=("self",))
        .select_related("incident")
        .get(pk=factor.pk)
    )
    if earlier is not None:
        earlier = ContributingFactor.objects.get(pk=earlier.pk)
        if earlier.pk == current.pk or earlier.incident_id == current.incident_id:
            raise ValidationError({"recurrence_of": "Choose a factor from an earlier, different incident."})
        if current.pk in {f.pk for f in [earlier, *_earlier_occurrences(earlier)]}:
            raise ValidationError({"recurrence_of": "That would make the recurrences go round in a loop."})
    current.recurrence_of = earlier
    current.save(update_fields=["recurrence_of"])
    if earlier is not None:
        action_items_flag_recurrence(factor=current, actor=actor)
    return current
