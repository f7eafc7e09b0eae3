"""Weekly digest content per persona: permission-scoped at send time, restricted incidents invisible."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command

from incidents.models import Postmortem, PostmortemReview, PostmortemStatus
from incidents.notify.messages import digest_email
from tests.factories import ActionItemFactory, IncidentFactory, PolicyFindingFactory
from tests.mail import html_part

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 9, 30, tzinfo=dt.UTC)  # Monday 15 June; the week reported is 8-14 June
LAST_WEEK = dt.datetime(2026, 6, 10, 12, tzinfo=dt.UTC)


@pytest.fixture
def world(personas, team, commander):
    internal = IncidentFactory(title="Checkout errors", started_at=LAST_WEEK, commander=commander)
    internal.teams.add(team)
    secret = IncidentFactory(
        title="Leaked credentials", started_at=LAST_WEEK, visibility="restricted", commander=commander
    )
    secret.teams.add(team)
    secret.participants.add(commander)
    older = IncidentFactory(title="Old outage", started_at=LAST_WEEK - dt.timedelta(days=7))
    older.teams.add(team)
    for who in ("outsider", "viewer", "responder", "commander"):
        ActionItemFactory(
            owner=personas[who], incident=internal, due_date=dt.date(2026, 6, 12), title=f"Overdue for {who}"
        )
    ActionItemFactory(owner=commander, incident=secret, due_date=dt.date(2026, 6, 18), title="Rotate secrets")
    PolicyFindingFactory(owner=personas["responder"], title="Single-person production change")
    pm = Postmortem.objects.create(incident=internal, status=PostmortemStatus.IN_REVIEW)
    PostmortemReview.objects.create(postmortem=pm, reviewer=personas["viewer"])
    return {"internal": internal, "secret": secret}


def _digest(user):
    with time_machine.travel(NOW, tick=False):
        return digest_email(user, now=NOW)


@pytest.mark.parametrize(
    ("persona", "sees_internal", "sees_secret"),
    [
        ("outsider", False, False),
        ("viewer", True, False),
        ("responder", True, False),
        ("commander", True, True),
    ],
)
def test_digest_lists_team_incidents_the_persona_may_see(
    world, personas, persona, sees_internal, sees_secret
):
    message = _digest(personas[persona])
    html = html_part(message)
    assert message.subject == "Hindsight: last week (Mon 8 Jun – Sun 14 Jun) and the next seven days"
    for part in (message.body, html):
        assert f"Overdue for {persona}" in part
        assert ("Checkout errors" in part) is sees_internal
        assert ("Leaked credentials" in part) is sees_secret
        assert "Old outage" not in part  # outside the half-open window
    if persona in ("viewer", "responder"):
        # Not even as a count: one team incident, not two.
        assert "Incidents of your teams last week (1)" in message.body
    if persona == "commander":
        assert "Incidents of your teams last week (2)" in message.body
        assert "Rotate secrets" in message.body  # due this week (Thursday 18 June)


def test_digest_shows_findings_and_reviews_to_their_people(world, personas):
    assert "Single-person production change" in _digest(personas["responder"]).body
    viewer_digest = _digest(personas["viewer"])
    assert "Postmortems awaiting your review (1)" in viewer_digest.body
    assert f"/incidents/{world['internal'].number}/" in html_part(viewer_digest)


def test_admin_digest_only_reports_their_own_items(world, personas):
    # The admin owns nothing and is in no team: there is nothing to send.
    assert _digest(personas["admin"]) is None


def test_send_digests_dry_run_prints_and_sends_nothing(world, personas, capsys):
    with time_machine.travel(NOW, tick=False):
        call_command("send_digests", "--dry-run", "--user", "viewer@example.com")
    out = capsys.readouterr().out
    assert "=== To: viewer@example.com" in out
    assert "Subject: Hindsight: this week so far (Mon 15 Jun – Mon 15 Jun) and the next seven days" in out
    assert "Leaked credentials" not in out
    assert "Dry run: nothing was sent." in out
    assert mail.outbox == []


def test_send_digests_says_where_its_links_go_and_when_that_is_only_the_default(
    world, personas, capsys, settings
):
    settings.SITE_URL, settings.SITE_URL_IS_DEFAULT = "http://127.0.0.1:8000", True
    with time_machine.travel(NOW, tick=False):
        call_command("send_digests", "--dry-run", "--user", "viewer@example.com")
    err = capsys.readouterr().err
    assert "links in the digests go to http://127.0.0.1:8000, the default, because SITE_URL is not set" in err
    settings.SITE_URL, settings.SITE_URL_IS_DEFAULT = "https://hindsight.example.org", False
    with time_machine.travel(NOW, tick=False):
        call_command("send_digests", "--dry-run", "--user", "viewer@example.com")
    captured = capsys.readouterr()
    assert "Links go to https://hindsight.example.org (SITE_URL)." in captured.out
    assert "https://hindsight.example.org/" in captured.out.split("=== To:", 1)[1]
    assert "127.0.0.1:8000" not in captured.out + captured.err


def test_send_digests_for_an_unknown_user_is_an_error(db):
    with pytest.raises(CommandError, match="No active user"):
        call_command("send_digests", "--dry-run", "--user", "nobody@example.com")


def test_send_digests_sends_once_per_week(world, personas, eager_celery, django_capture_on_commit_callbacks):
    with time_machine.travel(NOW, tick=False):
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                call_command("send_digests", "--user", "viewer@example.com")
    assert [m.to for m in mail.outbox] == [["viewer@example.com"]]


def test_team_digest_tells_leads_about_due_date_target_breaches(
    team, eager_celery, django_capture_on_commit_callbacks
):
    from accounts.models import Membership
    from incidents.notify.digests import digests_sweep
    from tests.factories import MembershipFactory, UserFactory

    lead = UserFactory(email="lead@example.com")
    MembershipFactory(user=lead, team=team, role=Membership.Role.LEAD)
    ActionItemFactory(
        team=team,
        owner=UserFactory(email="late@example.com"),
        priority="P1",
        due_date=dt.date(2026, 7, 30),  # far past the 14-day P1 target
        created_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
        title="Hourly LVM snapshots",
    )
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        digests_sweep()
        digests_sweep()
    team_mail = [m for m in mail.outbox if m.subject.startswith(team.name)]
    assert len(team_mail) == 1
    assert team_mail[0].to == ["lead@example.com"]
    assert "Hourly LVM snapshots" in team_mail[0].body


def test_sweep_reminders_command_reports_counts(db, capsys):
    call_command("sweep_reminders")
    assert "Claimed 0 new reminder(s)" in capsys.readouterr().out


def test_an_on_demand_digest_on_sunday_evening_covers_the_week_in_progress_and_the_next_seven_days(
    world, personas
):
    sunday_evening = dt.datetime(2026, 6, 14, 20, 0, tzinfo=dt.UTC)  # Sunday 14 June, the week of 8-14 June
    ActionItemFactory(owner=personas["commander"], due_date=dt.date(2026, 6, 16), title="Tuesday item")
    ActionItemFactory(owner=personas["commander"], due_date=dt.date(2026, 6, 21), title="Past the look ahead")
    with time_machine.travel(sunday_evening, tick=False):
        message = digest_email(personas["commander"], now=sunday_evening, in_progress=True)
    assert message.subject == "Hindsight: this week so far (Mon 8 Jun – Sun 14 Jun) and the next seven days"
    assert "This week so far in Hindsight, Mon 8 Jun to today Sun 14 Jun 2026" in message.body
    assert "Checkout errors" in message.body  # started Wednesday 10 June, in the week in progress
    assert "Old outage" not in message.body
    ahead = message.body.split("Due in the next seven days", 1)[1]
    assert "Tuesday item" in ahead
    assert "Past the look ahead" not in message.body  # Sunday 21 June is the eighth day


def test_team_digest_includes_items_overdue_but_inside_their_target(
    team, eager_celery, django_capture_on_commit_callbacks
):
    from accounts.models import Membership
    from incidents.notify.digests import digests_sweep
    from tests.factories import MembershipFactory, UserFactory

    lead = UserFactory(email="lead@example.com")
    MembershipFactory(user=lead, team=team, role=Membership.Role.LEAD)
    ActionItemFactory(
        team=team,
        owner=UserFactory(email="late@example.com"),
        priority="P3",
        due_date=dt.date(2026, 6, 12),  # overdue on 15 June, well inside a P3 target
        created_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
        title="Alert on empty backups",
    )
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        digests_sweep()
    team_mail = [m for m in mail.outbox if m.subject.startswith(team.name)]
    assert len(team_mail) == 1
    assert "Alert on empty backups" in team_mail[0].body
