"""Reminder wording decided at send time, from the due date and the recipient's local date: the headline
of a due-date reminder ("is overdue by 1 day"), the claim a reworded reminder makes on the one it now is
(one email per item and day), and a required postmortem's due date ("overdue by 2 days (due by ...)")."""

from __future__ import annotations

from datetime import date

from django.db.models import Q
from django.utils import timezone

from incidents.models import DeliveryStatus, Notification
from incidents.notify.claims import notification_claim
from incidents.notify.reminders import due_rule
from incidents.plural import counted

REMINDER_HEADLINES = {
    "due_soon": "is due in {days} day{plural}",
    "due_today": "is due today",
    "overdue": "is overdue by {days} day{plural}",
}


def kind_now(kind: str, due: date | None, today: date) -> str:
    """The reminder kind the due date gives on the recipient's local `today` (at send time), so a
    reminder claimed as "due soon" but delivered after the due date says it is overdue."""
    if due is None:
        return kind
    delta = (due - today).days
    return "due_soon" if delta > 0 else "due_today" if delta == 0 else "overdue"


def reworded_claim(row: Notification, now_kind: str, due: date | None, today: date) -> bool:
    """A reminder reworded at send time (claimed as `due_soon`/`due_today`, delivered when the due date
    gives `now_kind`) stands in for the reminder of that kind and period: it claims that row and marks it
    skipped, so the sweep's own claim of it sends nothing. True when this row may send; False when the
    reminder it now is has been sent, is being sent or was stood in for by another reworded row (one
    email for the item and day, whichever row is delivered first)."""
    prefix, kind = row.kind.split(".", 1)
    if due is None or now_kind == kind:
        return True
    rule = due_rule(due=due, today=today)
    if rule is None or rule[0] != now_kind:
        return True
    key = {"recipient": row.recipient[:254], "kind": f"{prefix}.{now_kind}", "object_key": row.object_key}
    key["period"] = rule[1][:40]
    reason = f"Sent as the {kind.replace('_', ' ')} reminder (notification {row.pk}), reworded at send time."
    claimed = notification_claim(**key, user_id=row.user_id)
    if claimed is not None:
        Notification.objects.filter(pk=claimed.pk).update(status=DeliveryStatus.SKIPPED, last_error=reason)
        return True
    return bool(
        Notification.objects.filter(**key, status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED])
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=timezone.now()))
        .update(status=DeliveryStatus.SKIPPED, last_error=reason, locked_until=None)
    )


def reminder_headline(kind: str, due: date | None, today: date) -> str:
    kind = kind_now(kind, due, today)
    days = abs((due - today).days) if due else 0
    return REMINDER_HEADLINES[kind].format(days=days, plural="" if days == 1 else "s")


def postmortem_due_wording(due: date | None, today: date, zone: str) -> dict[str, str]:
    """The one wording of a required postmortem's due date on the commander's local `today` (at send
    time), for the subject and the body alike: `due_subject` ("due today", "overdue by 2 days (due by
    Tue 9 Jun 2026)") and `due_body` (the same, with the zone the date is read in). Empty strings when
    nothing is due."""
    if due is None:
        return {"due_subject": "", "due_body": ""}
    late = (today - due).days
    by = f"due by {due:%a} {due.day} {due:%b %Y}"
    if late > 0:
        said = f"overdue by {counted(late, 'day')}"
        return {"due_subject": f"{said} ({by})", "due_body": f"{said} ({by}, {zone})"}
    if late == 0:
        return {"due_subject": "due today", "due_body": f"{by} ({zone})"}
    return {"due_subject": by, "due_body": f"{by} ({zone})"}
