"""Follow-up reminders: a sweep over the database, decided per owner on the owner's local date.

Rules (D = due date, T = the owner's local date today):
- due soon: 1 ≤ D − T ≤ 3, once per due date (a sweep that missed a day still sends it);
- due today: D = T, once per due date;
- overdue: T > D, once on the first overdue day and then once a week (one per 7-day block) while open;
- escalation: T − D ≥ 14, once per due date, to the incident commander (or, without one, or when the
  commander is the owner, the leads of the item's team);
- re-check: a done item whose re-check date has been reached and not confirmed, once per re-check date;
- policy findings: the same due rules for open or remediating findings; a risk acceptance ending
  within 7 days, once per acceptance end date;
- postmortem: one its process rule requires (`incidents.incident.process`), on its due date (N business
  days, Mon-Fri in the commander's zone, after the resolve date); one not required but started, still
  unpublished 5 business days after the resolve date; once per resolve, to the commander; none once
  published or waived;
- stakeholder update: an open incident whose latest update promised the next one by now, once per
  promise (the latest update), to the communications lead, else the commander (`notify.updates`).
Done and won't-do items and closed findings get nothing: they are not selected, and the message builder
re-checks the state at send time.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from django.utils import timezone

from incidents.incident import process
from incidents.notify import selectors
from incidents.notify.claims import Wanted, notifications_claim_many
from incidents.notify.delivery import deliveries_republish_stale, notifications_publish

DUE_SOON_DAYS = 3
ESCALATE_AFTER_DAYS = 14
ACCEPTANCE_WARNING_DAYS = 7
POSTMORTEM_BUSINESS_DAYS = 5


@lru_cache(maxsize=512)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_date(now: datetime, time_zone: str) -> date:
    """The calendar date at instant `now` (aware) in IANA zone `time_zone` (UTC when unknown)."""
    return now.astimezone(_zone(time_zone)).date()


def due_rule(*, due: date, today: date) -> tuple[str, str] | None:
    """Which due-date reminder applies on the owner's date `today`: (`due_soon`|`due_today`|`overdue`,
    period) or None. The period makes the reminder unique: the due date, plus the overdue week."""
    days = (due - today).days
    if 1 <= days <= DUE_SOON_DAYS:
        return ("due_soon", due.isoformat())
    if days == 0:
        return ("due_today", due.isoformat())
    if days < 0:
        week = (-days - 1) // 7
        return ("overdue", f"{due.isoformat()}+w{week}")
    return None


def business_days_between(start: date, end: date) -> int:
    """Mon-Fri days in (start, end]: 5 for a Monday start and the next Monday end."""
    if end <= start:
        return 0
    full_weeks, extra = divmod((end - start).days, 7)
    count = full_weeks * 5
    for i in range(1, extra + 1):
        if (start + timedelta(days=i)).weekday() < 5:
            count += 1
    return count


def _action_item_wanted(now: datetime, horizon: date) -> list[Wanted]:
    wanted: list[Wanted] = []
    leads_cache: dict[int, list[tuple[int, str]]] | None = None
    after = 0
    while True:
        rows = selectors.reminder_action_item_rows(due_on_or_before=horizon, after_id=after)
        if not rows:
            break
        after = rows[-1]["id"]
        for row in rows:
            today = local_date(now, row["owner__time_zone"])
            rule = due_rule(due=row["due_date"], today=today)
            if rule is None:
                continue
            kind, period = rule
            key = f"action_item:{row['id']}"
            wanted.append(Wanted(row["owner__email"], f"reminder.{kind}", key, period, row["owner_id"]))
            if kind == "overdue" and (today - row["due_date"]).days >= ESCALATE_AFTER_DAYS:
                commander = row["incident__commander_id"]
                targets: list[tuple[int, str]] = []
                if commander and commander != row["owner_id"] and row["incident__commander__is_active"]:
                    targets = [(commander, row["incident__commander__email"])]
                elif row["team_id"]:
                    if leads_cache is None:
                        leads_cache = selectors.team_leads_by_team()
                    targets = [t for t in leads_cache.get(row["team_id"], []) if t[0] != row["owner_id"]]
                for user_id, email in targets:
                    wanted.append(
                        Wanted(email, "reminder.escalation", key, row["due_date"].isoformat(), user_id)
                    )
    for row in selectors.recheck_action_item_rows(recheck_on_or_before=horizon):
        if local_date(now, row["owner__time_zone"]) >= row["recheck_date"]:
            wanted.append(
                Wanted(
                    row["owner__email"],
                    "reminder.recheck",
                    f"action_item:{row['id']}",
                    row["recheck_date"].isoformat(),
                    row["owner_id"],
                )
            )
    return wanted


def _finding_wanted(now: datetime, horizon: date) -> list[Wanted]:
    wanted: list[Wanted] = []
    for row in selectors.reminder_finding_rows(due_on_or_before=horizon):
        rule = due_rule(due=row["due_date"], today=local_date(now, row["owner__time_zone"]))
        if rule:
            kind, period = rule
            wanted.append(
                Wanted(
                    row["owner__email"],
                    f"finding.{kind}",
                    f"policy_finding:{row['id']}",
                    period,
                    row["owner_id"],
                )
            )
    for row in selectors.expiring_acceptance_rows(
        until_on_or_before=horizon + timedelta(days=ACCEPTANCE_WARNING_DAYS - DUE_SOON_DAYS)
    ):
        until = row["risk_accepted_until"]
        # Only before the end date: after it the acceptance has ended and is judged so at read time.
        if 0 <= (until - local_date(now, row["owner__time_zone"])).days <= ACCEPTANCE_WARNING_DAYS:
            wanted.append(
                Wanted(
                    row["owner__email"],
                    "finding.acceptance_expiring",
                    f"policy_finding:{row['id']}",
                    until.isoformat(),
                    row["owner_id"],
                )
            )
    return wanted


def postmortem_reminder_period(resolution: int | None, resolved_at: datetime) -> str:
    """The delivery period of the "postmortem not published" reminder: one per resolution, so moving the
    resolution time (its timeline row moves, keeping its id) sends nothing again, while a reopen and a new
    resolve start a new one. `resolution:<row id>`; an incident resolved without a row (older data) is
    keyed on its resolution time, `<YYYYmmddTHHMMSS>` in UTC, as every reminder was before."""
    if resolution is not None:
        return f"resolution:{resolution}"
    return resolved_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S")


#: How far back a required postmortem's reminder is looked for (a rule's due date is at most a year out).
POSTMORTEM_LOOKBACK_DAYS = 400


def _postmortem_wanted(now: datetime) -> list[Wanted]:
    wanted: list[Wanted] = []
    rows = selectors.unpublished_postmortem_rows(
        resolved_before=now, resolved_after=now - timedelta(days=POSTMORTEM_LOOKBACK_DAYS)
    )
    rules = process.rules_for((row["incident_type_id"], row["severity"]) for row in rows)
    for row in rows:
        tz = row["commander__time_zone"]
        resolved_on = local_date(row["resolved_at"], tz)
        today = local_date(now, tz)
        rule = rules[(row["incident_type_id"], row["severity"])]
        if rule.postmortem_required:
            due_now = today >= process.add_business_days(resolved_on, rule.postmortem_due_days)
        else:
            due_now = (
                row["postmortem__id"] is not None
                and row["resolved_at"] >= now - timedelta(days=90)
                and business_days_between(resolved_on, today) >= POSTMORTEM_BUSINESS_DAYS
            )
        if due_now:
            wanted.append(
                Wanted(
                    row["commander__email"],
                    "postmortem.unpublished",
                    f"incident:{row['id']}",
                    postmortem_reminder_period(row["resolution"], row["resolved_at"]),
                    row["commander_id"],
                )
            )
    return wanted


def update_due_wanted(rows: list[Any]) -> list[Wanted]:
    """The reminders the sweep claims for `rows` (`notify.selectors.update_due_rows`: open incidents whose
    latest update's promised next update has come): to the active communications lead, else the active
    commander; nobody without either."""
    wanted = []
    for row in rows:
        if row["communications_lead_id"] and row["communications_lead__is_active"]:
            target = (row["communications_lead_id"], row["communications_lead__email"])
        elif row["commander_id"] and row["commander__is_active"]:
            target = (row["commander_id"], row["commander__email"])
        else:
            continue
        period = f"update:{row['latest_update_id']}"
        wanted.append(Wanted(target[1], "update.due", f"incident:{row['id']}", period, target[0]))
    return wanted


def reminders_sweep(*, now: datetime | None = None, republish: bool = True) -> dict[str, Any]:
    """Run one reminder sweep at instant `now` (default: the current time).

    Republishes stale pending rows first (the broker may have lost them), then claims every reminder the
    rules call for and publishes the new claims on commit. Safe to run concurrently and repeatedly: the
    unique delivery record makes each reminder go out once. Returns counts: `claimed`, `republished`.
    """
    now = now or timezone.now()
    republished = deliveries_republish_stale(now=now) if republish else 0
    # The furthest local date anywhere is UTC + 14 h, so one day past the UTC date covers every owner.
    horizon = now.date() + timedelta(days=1 + DUE_SOON_DAYS)
    wanted = _action_item_wanted(now, horizon) + _finding_wanted(now, horizon) + _postmortem_wanted(now)
    wanted += update_due_wanted(selectors.update_due_rows(now=now))
    ids = notifications_claim_many(wanted)
    notifications_publish(ids)
    return {"claimed": len(ids), "republished": republished, "considered": len(wanted)}
