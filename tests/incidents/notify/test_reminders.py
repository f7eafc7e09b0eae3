"""Follow-up reminders: decided on the owner's local date, sent once, never for closed items."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core import mail

from incidents.models import ActionItemStatus, FindingStatus, Notification, Postmortem, PostmortemStatus
from incidents.notify.reminders import business_days_between, due_rule
from tests.factories import ActionItemFactory, IncidentFactory, PolicyFindingFactory, UserFactory
from tests.mail import html_part

pytestmark = pytest.mark.django_db

UTC = dt.UTC
D = dt.date


def at(y, m, d, h=12, mi=0, tz="UTC"):
    return dt.datetime(y, m, d, h, mi, tzinfo=zoneinfo.ZoneInfo(tz))


def test_due_rule_names_soon_today_and_weekly_overdue():
    due = D(2026, 6, 10)
    assert due_rule(due=due, today=D(2026, 6, 6)) is None
    assert due_rule(due=due, today=D(2026, 6, 7)) == ("due_soon", "2026-06-10")
    assert due_rule(due=due, today=D(2026, 6, 9)) == ("due_soon", "2026-06-10")
    assert due_rule(due=due, today=due) == ("due_today", "2026-06-10")
    assert due_rule(due=due, today=D(2026, 6, 11)) == ("overdue", "2026-06-10+w0")
    assert due_rule(due=due, today=D(2026, 6, 17)) == ("overdue", "2026-06-10+w0")
    assert due_rule(due=due, today=D(2026, 6, 18)) == ("overdue", "2026-06-10+w1")


def test_business_days_skip_the_weekend():
    friday = D(2026, 6, 5)
    assert business_days_between(friday, D(2026, 6, 11)) == 4
    assert business_days_between(friday, D(2026, 6, 12)) == 5
    assert business_days_between(friday, friday) == 0


def test_item_due_10_june_is_not_overdue_at_2330_utc_for_a_los_angeles_owner(sweep_at):
    owner = UserFactory(email="la@example.com", time_zone="America/Los_Angeles")
    item = ActionItemFactory(owner=owner, due_date=D(2026, 6, 10), title="Rotate the keys")
    late_utc = at(2026, 6, 10, 23, 30)
    with time_machine.travel(late_utc, tick=False):
        assert item.is_overdue is False
    sweep_at(late_utc)
    assert [m.subject for m in mail.outbox] == ['Action item "Rotate the keys" is due today']
    # 00:30 on 11 June in Los Angeles is 07:30 UTC: now it is overdue.
    sweep_at(at(2026, 6, 11, 7, 30))
    assert mail.outbox[-1].subject == 'Action item "Rotate the keys" is overdue by 1 day'
    assert len(mail.outbox) == 2


def test_sweeping_twice_sends_each_reminder_once(sweep_at):
    owner = UserFactory(email="owner@example.com")
    ActionItemFactory(owner=owner, due_date=D(2026, 6, 10))
    ActionItemFactory(owner=owner, due_date=D(2026, 6, 12))
    sweep_at(at(2026, 6, 10, 9))
    sweep_at(at(2026, 6, 10, 9, 5))
    assert len(mail.outbox) == 2
    assert Notification.objects.filter(status="sent").count() == 2


@pytest.mark.parametrize("status", [ActionItemStatus.DONE, ActionItemStatus.WONT_DO])
def test_done_and_wont_do_items_get_nothing(sweep_at, status):
    owner = UserFactory(email="owner@example.com")
    ActionItemFactory(owner=owner, due_date=D(2026, 6, 1), status=status)
    sweep_at(at(2026, 6, 10))
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_item_closed_after_the_claim_is_skipped_not_sent(eager_celery, django_capture_on_commit_callbacks):
    from incidents.notify.delivery import notification_deliver
    from incidents.notify.reminders import reminders_sweep

    item = ActionItemFactory(owner=UserFactory(email="o@example.com"), due_date=D(2026, 6, 1))
    with time_machine.travel(at(2026, 6, 10), tick=False):
        reminders_sweep()  # claimed; the on-commit publish is captured, not run
        row = Notification.objects.get()
        item.status = ActionItemStatus.DONE
        item.save()
        assert notification_deliver(notification_id=row.pk) == "skipped"
    assert mail.outbox == []
    row.refresh_from_db()
    assert row.status == "skipped"


def test_overdue_repeats_weekly_then_escalates_to_the_commander(sweep_at, commander):
    owner = UserFactory(email="owner@example.com", display_name="Owen Owner")
    incident = IncidentFactory(commander=commander)
    ActionItemFactory(owner=owner, incident=incident, due_date=D(2026, 6, 1), title="Test restores")
    for day in range(2, 17):  # 2 June .. 16 June, every day at 10:00 and 10:05 UTC
        sweep_at(at(2026, 6, day, 10))
        sweep_at(at(2026, 6, day, 10, 5))
    to_owner = [m for m in mail.outbox if m.to == ["owner@example.com"]]
    to_commander = [m for m in mail.outbox if m.to == [commander.email]]
    # Overdue on 2, 9 and 16 June; escalation once, on 15 June (14 days overdue).
    assert [m.subject for m in to_owner] == [
        'Action item "Test restores" is overdue by 1 day',
        'Action item "Test restores" is overdue by 8 days',
        'Action item "Test restores" is overdue by 15 days',
    ]
    assert len(to_commander) == 1
    assert to_commander[0].subject.startswith("Escalation: ")
    assert "overdue for 14 days" in to_commander[0].body
    html = html_part(to_commander[0])
    item = incident.action_items.get()
    assert f"/action-items/{item.pk}/" in html  # the item's own page (incident page before it existed)


def test_escalation_goes_to_team_leads_without_a_commander(sweep_at, team):
    from accounts.models import Membership
    from tests.factories import MembershipFactory

    lead = UserFactory(email="lead@example.com")
    MembershipFactory(user=lead, team=team, role=Membership.Role.LEAD)
    owner = UserFactory(email="owner@example.com")
    ActionItemFactory(owner=owner, incident=None, team=team, due_date=D(2026, 6, 1))
    sweep_at(at(2026, 6, 15, 10))
    assert sorted(m.to[0] for m in mail.outbox) == ["lead@example.com", "owner@example.com"]


def test_recheck_date_reached_reminds_the_owner_once(sweep_at):
    owner = UserFactory(email="owner@example.com")
    ActionItemFactory(
        owner=owner,
        status=ActionItemStatus.DONE,
        due_date=D(2026, 5, 1),
        recheck_date=D(2026, 6, 10),
        title="Alert on empty backups",
    )
    sweep_at(at(2026, 6, 9, 12))
    assert mail.outbox == []
    sweep_at(at(2026, 6, 10, 12))
    sweep_at(at(2026, 6, 11, 12))
    assert [m.subject for m in mail.outbox] == ['Re-check "Alert on empty backups": did it work?']


def test_risk_acceptance_expiring_within_7_days_tells_the_owner(sweep_at):
    owner = UserFactory(email="owner@example.com")
    PolicyFindingFactory(
        owner=owner,
        status=FindingStatus.RISK_ACCEPTED,
        risk_accepted_until=D(2026, 6, 17),
        title="One person can drop the database",
    )
    sweep_at(at(2026, 6, 9))
    assert mail.outbox == []
    sweep_at(at(2026, 6, 10))
    sweep_at(at(2026, 6, 11))
    assert [m.subject for m in mail.outbox] == [
        'Policy finding "One person can drop the database": risk acceptance ends on Wed 17 Jun 2026'
    ]


def test_finding_overdue_on_owner_date(sweep_at):
    owner = UserFactory(email="owner@example.com", time_zone="Pacific/Auckland")
    PolicyFindingFactory(owner=owner, status=FindingStatus.OPEN, due_date=D(2026, 6, 10), title="No backups")
    # 13:00 UTC on 10 June is 01:00 on 11 June in Auckland.
    sweep_at(at(2026, 6, 10, 13))
    assert [m.subject for m in mail.outbox] == ['Policy finding "No backups": is overdue by 1 day']


def test_unpublished_postmortem_reminds_the_commander_after_5_business_days(sweep_at, commander):
    resolved = at(2026, 6, 5, 15)  # a Friday
    incident = IncidentFactory(
        commander=commander,
        status="resolved",
        started_at=resolved - dt.timedelta(hours=3),
        resolved_at=resolved,
    )
    Postmortem.objects.create(incident=incident, status=PostmortemStatus.DRAFT)
    sweep_at(at(2026, 6, 11, 12))  # Thursday: 4 business days
    assert mail.outbox == []
    sweep_at(at(2026, 6, 12, 12))  # Friday: 5 business days
    sweep_at(at(2026, 6, 12, 12, 5))
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [commander.email]
    assert "postmortem still unpublished" in mail.outbox[0].subject
    assert "still draft" in mail.outbox[0].body


def test_published_postmortem_gets_no_reminder(sweep_at, commander):
    resolved = at(2026, 6, 1, 15)
    incident = IncidentFactory(
        commander=commander,
        status="resolved",
        started_at=resolved - dt.timedelta(hours=3),
        resolved_at=resolved,
    )
    Postmortem.objects.create(incident=incident, status=PostmortemStatus.PUBLISHED)
    sweep_at(at(2026, 6, 12, 12))
    assert mail.outbox == []


def test_reminder_email_has_text_and_html_parts_with_a_link_back(sweep_at, settings):
    settings.SITE_URL = "https://hindsight.example.org"
    incident = IncidentFactory()
    ActionItemFactory(
        owner=UserFactory(email="o@example.com"), incident=incident, due_date=D(2026, 6, 10), title="A & B"
    )
    sweep_at(at(2026, 6, 10))
    message = mail.outbox[0]
    link = f"https://hindsight.example.org/action-items/{incident.action_items.get().pk}/"
    assert message.subject == 'Action item "A & B" is due today'
    assert link in message.body
    html = html_part(message)  # the text/html alternative
    assert "A &amp; B" in html
    assert link in html


def test_the_beat_task_reopens_expired_risk_acceptances_through_the_followup_service():
    from incidents.followup.tasks import expire_risk_acceptances

    owner = UserFactory(email="owner@example.com")
    finding = PolicyFindingFactory(
        owner=owner, status=FindingStatus.RISK_ACCEPTED, risk_accepted_until=D(2026, 6, 1), title="Expired"
    )
    with time_machine.travel(at(2026, 6, 10), tick=False):
        expire_risk_acceptances()
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN


def test_beat_schedule_is_in_utc_with_expiry_and_no_long_intervals(settings):
    assert settings.CELERY_TIMEZONE == "UTC"
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["options"]["expires"] < entry["schedule"], name


def test_a_reminder_delivered_late_says_what_is_true_when_it_arrives(eager_celery):
    from incidents.notify.delivery import notification_deliver
    from incidents.notify.reminders import reminders_sweep

    ActionItemFactory(
        owner=UserFactory(email="o@example.com"), due_date=D(2026, 6, 11), title="Test restores"
    )
    with time_machine.travel(at(2026, 6, 10), tick=False):
        reminders_sweep()  # claimed as "due in 1 day"; the worker is down
    row = Notification.objects.get()
    assert row.kind == "reminder.due_soon"
    with time_machine.travel(at(2026, 6, 12), tick=False):
        assert notification_deliver(notification_id=row.pk) == "sent"
    (message,) = mail.outbox
    text = f"{message.subject} {message.body}"
    assert "overdue by 1 day" in text
    assert "due in 1 day" not in text


@pytest.mark.parametrize("reworded_first", [True, False])
def test_a_due_today_reminder_delivered_after_midnight_is_the_one_overdue_email(eager_celery, reworded_first):
    # Owner in Dubai (UTC+4); the sweep at 23:37 on the due date claims "due today" with the worker down;
    # the worker starts at 00:00 the next day, when the sweep also claims the overdue reminder.
    from incidents.notify.delivery import notification_deliver
    from incidents.notify.reminders import reminders_sweep

    ActionItemFactory(
        owner=UserFactory(email="o@example.com", time_zone="Asia/Dubai"),
        due_date=D(2026, 6, 10),
        title="Test restores",
    )
    with time_machine.travel(at(2026, 6, 10, 23, 37, tz="Asia/Dubai"), tick=False):
        reminders_sweep()
    with time_machine.travel(at(2026, 6, 11, 0, 0, tz="Asia/Dubai"), tick=False):
        reminders_sweep()
        rows = {r.kind: r for r in Notification.objects.all()}
        order = ["reminder.due_today", "reminder.overdue"]
        for kind in order if reworded_first else order[::-1]:
            if kind in rows:
                notification_deliver(notification_id=rows[kind].pk)
        reminders_sweep()  # a later sweep claims nothing new either
        for row in Notification.objects.filter(status="pending"):
            notification_deliver(notification_id=row.pk)
    assert [m.subject for m in mail.outbox] == ['Action item "Test restores" is overdue by 1 day']


def test_a_due_soon_finding_reminder_delivered_late_is_the_one_overdue_email(eager_celery):
    from incidents.notify.delivery import notification_deliver
    from incidents.notify.reminders import reminders_sweep

    owner = UserFactory(email="f@example.com")
    PolicyFindingFactory(owner=owner, due_date=D(2026, 6, 11), title="No backups")
    with time_machine.travel(at(2026, 6, 10), tick=False):
        reminders_sweep()
    with time_machine.travel(at(2026, 6, 12), tick=False):
        (row,) = Notification.objects.all()
        assert notification_deliver(notification_id=row.pk) == "sent"
        reminders_sweep()
        for row in Notification.objects.filter(status="pending"):
            notification_deliver(notification_id=row.pk)
    assert [m.subject for m in mail.outbox] == ['Policy finding "No backups": is overdue by 1 day']
