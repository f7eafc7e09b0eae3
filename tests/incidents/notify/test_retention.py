"""Delivery records over years: the claim check stays an index lookup, and old records are pruned
without ever sending a reminder twice."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import ActionItemStatus, Notification, WebhookDelivery, WebhookEndpoint
from incidents.notify import webhooks
from incidents.notify.claims import claimed_keys
from incidents.notify.retention import deliveries_prune
from incidents.notify.tasks import prune_deliveries
from tests.factories import ActionItemFactory, IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db

D = dt.date


def at(y, m, d, h=12):
    return dt.datetime(y, m, d, h, tzinfo=dt.UTC)


def _sent(kind, object_key, period, *, created, status="sent", recipient="owner@example.com"):
    return Notification.objects.create(
        recipient=recipient,
        kind=kind,
        object_key=object_key,
        period=period,
        status=status,
        created_at=created,
    )


def test_the_claim_check_finds_the_exact_key_and_not_other_periods_of_the_same_item():
    _sent("reminder.overdue", "action_item:7", "2026-06-01+w0", created=at(2026, 6, 2))
    _sent("reminder.overdue", "action_item:7", "2026-06-01+w1", created=at(2026, 6, 9))
    wanted = [
        ("owner@example.com", "reminder.overdue", "action_item:7", "2026-06-01+w1"),
        ("owner@example.com", "reminder.overdue", "action_item:7", "2026-06-01+w2"),
        ("other@example.com", "reminder.overdue", "action_item:7", "2026-06-01+w1"),
    ]
    assert claimed_keys(wanted) == {wanted[0]}


def test_the_claim_check_on_postgresql_looks_keys_up_in_the_unique_index(requires_postgres):
    """Years of weekly reminders for the same items (200,000 rows): the check must not read them all."""
    table = Notification._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (recipient, kind, object_key, period, subject, status, attempts, last_error, "  # noqa: S608
            "created_at, snapshot) SELECT 'user' || (g % 50) || '@example.com', 'reminder.overdue', "
            "'action_item:' || (g % 400), '2024-01-01+w' || (g / 400), '', 'sent', 1, '', now(), '{}' "
            "FROM generate_series(1, 200000) AS g"
        )
        cursor.execute(f"ANALYZE {table}")
    keys = [
        (f"user{i % 50}@example.com", "reminder.overdue", f"action_item:{i}", "2026-06-01+w0")
        for i in range(400)
    ]
    with CaptureQueriesContext(connection) as queries:
        claimed_keys(keys)
    (sql,) = [q["sql"] for q in queries.captured_queries]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "unique_delivery" in plan, plan
    assert "Seq Scan on incidents_notification" not in plan, plan


def test_pruning_deletes_finished_records_past_the_retention_and_keeps_the_rest(settings):
    settings.NOTIFY_RETENTION_DAYS = 400
    now = at(2026, 6, 10)
    old, recent = now - dt.timedelta(days=401), now - dt.timedelta(days=399)
    gone = [
        _sent("reminder.due_soon", "action_item:1", "2025-05-05", created=old),
        _sent("digest.weekly", "user:1", "2025-W19", created=old, status="skipped"),
        _sent("incident.declared", "incident:1", "declared", created=old, status="failed"),
    ]
    kept = [
        _sent("reminder.due_soon", "action_item:2", "2025-05-07", created=recent),
        _sent("reminder.due_today", "action_item:3", "2025-05-05", created=old, status="pending"),
        _sent("reminder.overdue", "action_item:4", "2025-05-01+w0", created=old, status="sending"),
    ]
    assert deliveries_prune(now=now) == {"notifications": 3, "webhook_deliveries": 0}
    assert set(Notification.objects.values_list("id", flat=True)) == {n.pk for n in kept}
    assert not Notification.objects.filter(pk__in=[n.pk for n in gone]).exists()


def test_an_item_overdue_for_years_is_not_escalated_again_after_pruning(sweep_at, commander, settings):
    settings.NOTIFY_RETENTION_DAYS = 400
    owner = UserFactory(email="owner@example.com")
    incident = IncidentFactory(commander=commander)
    ActionItemFactory(owner=owner, incident=incident, due_date=D(2025, 1, 1), title="Test restores")
    moved = ActionItemFactory(owner=owner, incident=incident, due_date=D(2025, 1, 1), title="Moved")
    sweep_at(at(2025, 1, 20))
    assert sorted(m.subject.split(":")[0] for m in mail.outbox if m.to == [commander.email]) == [
        "Escalation",
        "Escalation",
    ]
    moved.due_date = D(2026, 6, 1)  # its old escalation can never be wanted again
    moved.save(update_fields=["due_date"])
    mail.outbox.clear()

    with time_machine.travel(at(2026, 3, 1), tick=False):
        counts = prune_deliveries()
    assert counts["notifications"] == 3  # both first overdue reminders and the moved item's escalation
    sweep_at(at(2026, 3, 1, 13))
    assert [m.subject for m in mail.outbox] == ['Action item "Test restores" is overdue by 424 days']
    assert Notification.objects.filter(kind="reminder.escalation").count() == 1


def test_a_recheck_reminder_is_kept_while_the_item_keeps_its_recheck_date(settings):
    settings.NOTIFY_RETENTION_DAYS = 400
    item = ActionItemFactory(status=ActionItemStatus.DONE, due_date=D(2024, 1, 1), recheck_date=D(2025, 1, 1))
    other = ActionItemFactory(
        status=ActionItemStatus.DONE, due_date=D(2024, 1, 1), recheck_date=D(2025, 9, 1)
    )
    kept = _sent("reminder.recheck", f"action_item:{item.pk}", "2025-01-01", created=at(2025, 1, 1))
    _sent("reminder.recheck", f"action_item:{other.pk}", "2025-01-01", created=at(2025, 1, 1))
    _sent("reminder.recheck", "action_item:999999", "2025-01-01", created=at(2025, 1, 1))  # item gone
    assert deliveries_prune(now=at(2026, 6, 1))["notifications"] == 2
    assert list(Notification.objects.values_list("id", flat=True)) == [kept.pk]


def test_the_overdue_webhook_of_an_item_still_overdue_is_kept(settings):
    settings.NOTIFY_RETENTION_DAYS = 400
    endpoint = WebhookEndpoint.objects.create(
        url="https://hooks.example.com/x", events=["action_item.overdue"]
    )
    item = ActionItemFactory(due_date=D(2025, 1, 1))
    done = ActionItemFactory(
        due_date=D(2025, 3, 1), status=ActionItemStatus.DONE
    )  # due date moved, then done

    def delivery(event, event_id):
        return WebhookDelivery.objects.create(
            endpoint=endpoint,
            event=event,
            event_id=event_id,
            payload={},
            status="sent",
            created_at=at(2025, 1, 2),
        )

    kept = delivery("action_item.overdue", f"action_item.overdue:{item.pk}:2025-01-01")
    delivery("action_item.overdue", f"action_item.overdue:{done.pk}:2025-01-01")
    delivery("incident.declared", "incident.declared:1")
    assert deliveries_prune(now=at(2026, 6, 1)) == {"notifications": 0, "webhook_deliveries": 2}
    assert list(WebhookDelivery.objects.values_list("id", flat=True)) == [kept.pk]
    with time_machine.travel(at(2026, 6, 1), tick=False):
        assert webhooks.webhooks_overdue_sweep() == 0  # the item is still overdue: nothing sent twice


def test_beat_prunes_deliveries_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["prune-deliveries"]
    assert entry["task"] == "incidents.notify.tasks.prune_deliveries"
    assert entry["schedule"] == 86400.0
