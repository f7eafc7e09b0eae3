"""Stakeholder updates: a structured update (status, customer impact, what we are doing, next update at)
posted on an incident, one timeline entry each, emailed once to its stakeholders.

`stakeholder_update_post` takes `actor=` and checks it (`require_record`: those who may record on the
incident, the communications lead among them; not found for those who cannot see it, else 403) before it
touches a row. Errors: `ValidationError` keyed by field.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.inputs import normalise_newlines
from incidents.models import EntryKind, EntrySource, Incident, StakeholderUpdate, UpdateStatus
from incidents.notify import services as notify
from incidents.permissions.checks import actor_user, require_record
from incidents.timefmt import format_time
from incidents.timeline.services import timeline_entry_add

MAX_TEXT = 5000
#: The furthest ahead the next update may be promised.
MAX_PROMISE = timedelta(days=7)


def _text(value: str | None, key: str, empty: str, errors: dict[str, str]) -> str:
    text = normalise_newlines((value or "").strip())
    if not text:
        errors[key] = empty
    elif len(text) > MAX_TEXT:
        errors[key] = f"Keep it under {MAX_TEXT:,} characters (this has {len(text):,})."
    return text


def _check_next(next_update_at: datetime | None, status: str, now: datetime, zone: tzinfo | None) -> str:
    """Why `next_update_at` is refused (empty when it is fine)."""
    if next_update_at is None:
        if status == UpdateStatus.RESOLVED:
            return ""
        return "Say when the next update comes (only a final update, status Resolved, promises none)."
    if timezone.is_naive(next_update_at):
        return "The time needs a time zone."
    if next_update_at <= now:
        return (
            f"The next update ({format_time(next_update_at, zone)}) must be after now "
            f"({format_time(now, zone)})."
        )
    if next_update_at > now + MAX_PROMISE:
        return "Promise the next update within 7 days."
    return ""


def update_timeline_text(update: StakeholderUpdate) -> str:
    """The timeline entry of an update: its status, then the impact and what we are doing (Markdown)."""
    return (
        f"**Stakeholder update: {update.get_status_display()}**\n\n"
        f"Customer impact: {update.customer_impact}\n\nWhat we are doing: {update.doing}"
    )


def stakeholder_update_post(
    *,
    incident: Incident,
    actor: Any,
    status: str,
    customer_impact: str,
    doing: str,
    next_update_at: datetime | None = None,
    source: str = EntrySource.WEB,
) -> StakeholderUpdate:
    """Post a stakeholder update on `incident` now and return it (`stakeholder_update_post_once` without a
    retry key; its rules and errors)."""
    update, _ = stakeholder_update_post_once(
        incident=incident,
        actor=actor,
        status=status,
        customer_impact=customer_impact,
        doing=doing,
        next_update_at=next_update_at,
        source=source,
    )
    return update


@transaction.atomic
def stakeholder_update_post_once(
    *,
    incident: Incident,
    actor: Any,
    status: str,
    customer_impact: str,
    doing: str,
    next_update_at: datetime | None = None,
    source: str = EntrySource.WEB,
    dedup_key: str | None = None,
) -> tuple[StakeholderUpdate, bool]:
    """Post a stakeholder update on `incident` now: (the update, True), or (the update posted before with
    `dedup_key` on this incident, False) and nothing written or sent again, also when both arrive at once.

    `status`: an `UpdateStatus` code (what stakeholders are told; the incident's own status is the
    commander's). `customer_impact`, `doing`: Markdown, required, at most 5,000 characters each.
    `next_update_at`: aware, after now and within 7 days; required unless `status` is resolved (a final
    update). Writes one `communication` timeline entry and, after commit, emails the update once to the
    incident's subscribers who may see it and (internal incidents only) its severity's mailing list
    (`notify.stakeholder_update_posted`). AccessDenied unless the actor may record on the incident;
    ValidationError keyed `status`, `customer_impact`, `doing` or `next_update_at`.
    """
    require_record(actor, incident)
    if dedup_key and (earlier := incident.stakeholder_updates.filter(dedup_key=dedup_key).first()):
        return earlier, False
    user = actor_user(actor)
    now = timezone.now()
    errors: dict[str, str] = {}
    if status not in UpdateStatus.values:
        errors["status"] = "Choose investigating, identified, monitoring or resolved."
    impact = _text(
        customer_impact, "customer_impact", "Say what customers notice (or that they notice nothing).", errors
    )
    doing_text = _text(doing, "doing", "Say what we are doing about it.", errors)
    if why := _check_next(next_update_at, status, now, user.tzinfo if user is not None else None):
        errors["next_update_at"] = why
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            update = StakeholderUpdate.objects.create(
                incident=incident,
                status=status,
                customer_impact=impact,
                doing=doing_text,
                next_update_at=next_update_at,
                posted_by=user,
                posted_at=now,
                dedup_key=dedup_key or None,
            )
    except IntegrityError:  # the same key, posted at the same moment: the first one stands
        earlier = incident.stakeholder_updates.filter(dedup_key=dedup_key).first() if dedup_key else None
        if earlier is None:
            raise
        return earlier, False
    timeline_entry_add(
        incident=incident,
        actor=actor,
        body=update_timeline_text(update),
        kind=EntryKind.COMMUNICATION,
        occurred_at=now,
        source=source if source in (EntrySource.WEB, EntrySource.API) else EntrySource.WEB,
    )
    notify.stakeholder_update_posted(update, actor=actor)
    return update, True
