"""Weekly digests for 5,000 users with 10 action items each, and one reminder sweep over 100,000 open items.

Targets (issue 6): report the total digest time and the queries per user (flat: the same for 50 users
as for 5,000), and the time of one sweep over 100,000 open action items using the (status, due_date)
index; on PostgreSQL the plan is printed. Nothing is sent: publishing is replaced by a counter.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from django.db import connection

USERS = 5_000
ITEMS_PER_USER = 10
SWEEP_ITEMS = 100_000
ZONES = ("UTC", "America/New_York", "Europe/Berlin", "Asia/Tokyo", "America/Los_Angeles", "Pacific/Auckland")
NOW = datetime(2026, 6, 15, 9, 30, tzinfo=UTC)


def _populate(prefix: str, users: int, items_per_user: int) -> list:
    from accounts.models import Membership, Team, User
    from incidents.models import ActionItem, Incident

    team = Team.objects.create(name=f"{prefix} team", slug=f"{prefix}-team")
    User.objects.bulk_create(
        [
            User(
                email=f"{prefix}{i}@example.com",
                display_name=f"{prefix.title()} {i}",
                time_zone=ZONES[i % len(ZONES)],
                password="!",
            )
            for i in range(users)
        ],
        batch_size=2000,
    )
    people = list(User.objects.filter(email__startswith=prefix).order_by("id"))
    Membership.objects.bulk_create(
        [Membership(user=u, team=team, role="responder") for u in people], batch_size=2000
    )
    number = (Incident.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    incident = Incident.objects.create(
        number=number, title=f"{prefix} bench incident", severity="SEV2", started_at=NOW - timedelta(days=4)
    )
    incident.teams.add(team)
    items = []
    for u in people:
        for k in range(items_per_user):
            items.append(
                ActionItem(
                    incident=incident,
                    team=team,
                    owner=u,
                    title=f"Item {k} of {u.email}",
                    due_date=(NOW + timedelta(days=k - 4)).date(),  # 4 overdue, 1 today, 5 ahead
                )
            )
    ActionItem.objects.bulk_create(items, batch_size=5000)
    return people


def _digests(people: list) -> tuple[float, int, int]:
    from incidents.notify.messages import digest_email

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        t0 = time.perf_counter()
        built = sum(1 for u in people if digest_email(u, now=NOW) is not None)
        elapsed = time.perf_counter() - t0
    return elapsed, queries, built


def _sweep_bench(ctx) -> list[dict]:
    from accounts.models import User
    from incidents.models import ActionItem, Notification
    from incidents.notify import reminders, selectors

    owners = list(User.objects.filter(email__startswith="digest").order_by("id")[:2000])
    existing = ActionItem.objects.count()
    rows = []
    for i in range(SWEEP_ITEMS - existing):
        rows.append(
            ActionItem(
                owner=owners[i % len(owners)],
                title=f"Sweep item {i}",
                # Spread over a year: about 1 in 30 is due soon, due today or overdue.
                due_date=(NOW + timedelta(days=(i % 365) - 7)).date(),
            )
        )
    ActionItem.objects.bulk_create(rows, batch_size=5000)
    open_items = ActionItem.objects.filter(status="open").count()
    published: list[int] = []
    real_publish = reminders.notifications_publish
    reminders.notifications_publish = published.extend  # type: ignore[assignment]
    try:
        t0 = time.perf_counter()
        first = reminders.reminders_sweep(now=NOW, republish=False)
        first_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        second = reminders.reminders_sweep(now=NOW + timedelta(minutes=5), republish=False)
        second_s = time.perf_counter() - t0
    finally:
        reminders.notifications_publish = real_publish
    plan = ""
    if connection.vendor == "postgresql":
        plan = selectors.reminder_action_item_queryset(due_on_or_before=NOW.date() + timedelta(days=4))[
            :2000
        ].explain(analyze=True)
        print("\nPlan of the reminder sweep's page query (PostgreSQL):\n" + plan)
    else:
        plan = selectors.reminder_action_item_queryset(due_on_or_before=NOW.date() + timedelta(days=4))[
            :2000
        ].explain()
        print("\nPlan of the reminder sweep's page query (SQLite):\n" + plan)
    Notification.objects.all().delete()
    return [
        {
            "name": f"reminder sweep, {open_items:,} open items, first run",
            "seconds": first_s,
            "target": "one sweep well inside the 5-minute beat interval",
            "ok": first_s < 60,
            "note": f"{first['claimed']:,} reminders claimed",
            "extra": {"plan": plan, **first},
        },
        {
            "name": f"reminder sweep, {open_items:,} open items, steady state",
            "seconds": second_s,
            "target": "one sweep well inside the 5-minute beat interval",
            "ok": second_s < 60,
            "note": f"{second['claimed']:,} new reminders (all already claimed)",
            "extra": second,
        },
    ]


def run(ctx) -> list[dict]:
    people = _populate("digest", USERS, ITEMS_PER_USER)
    small_s, small_q, _ = _digests(people[:50])
    total_s, total_q, built = _digests(people)
    per_user_small = small_q / 50
    per_user_all = total_q / len(people)
    results = [
        {
            "name": f"weekly digests, {len(people):,} users x {ITEMS_PER_USER} items",
            "seconds": total_s,
            "note": f"{built:,} digests built (text + HTML), {total_s / len(people) * 1000:.1f} ms per user",
            "target": "report total time",
            "ok": built == len(people),
        },
        {
            "name": "digest queries per user, 50 vs 5,000 users",
            "unit": "queries/user",
            "value": per_user_all,
            "note": f"{per_user_small:.1f} per user for 50 users, {per_user_all:.1f} for {len(people):,}",
            "target": "flat (does not grow with users)",
            "ok": per_user_all <= per_user_small,
            "extra": {"queries_50": small_q, "queries_all": total_q},
        },
    ]
    results += _sweep_bench(ctx)
    return results
