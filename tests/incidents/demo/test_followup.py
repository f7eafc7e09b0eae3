"""The demo's follow-through: the GitLab action items and the access-control finding."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from incidents.demo import followup as demo_followup
from incidents.demo import gitlab as demo_gitlab
from incidents.demo import people as demo_people
from incidents.models import ActionItem, FindingStatus, PolicyFinding

pytestmark = pytest.mark.django_db


def _due(item: ActionItem) -> dt.date:
    assert item.due_date is not None
    return item.due_date


def test_demo_items_gitlab_finished_are_done_in_2017_and_the_rest_are_open_and_not_yet_due():
    with time_machine.travel(dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC), tick=False):
        call_command("load_demo")
        items = list(
            ActionItem.objects.filter(incident=demo_gitlab.gitlab_incident()).select_related("owner")
        )
        assert len(items) == len(demo_gitlab.GITLAB_ACTION_ITEMS)
        assert all(i.owner and i.due_date for i in items)
        done = {i.title: i for i in items if i.status == "done"}
        assert set(done) == {
            "Show the host name and environment in every shell prompt, production in red",
            "Set max_connections from measured load instead of 8,000",
            "Rebuild the production replicas and confirm replication is healthy",
        }
        for item in done.values():
            assert item.created_at.year == item.completed_at.year == item.due_date.year == 2017
            assert item.completed_at.date() <= _due(item)  # done within its target
            assert {h.history_date.year for h in item.history.all()} == {2017}
        prompt = done["Show the host name and environment in every shell prompt, production in red"]
        assert prompt.recheck_outcome == "worked"
        assert prompt.recheck_confirmed_at.year == 2017
        assert not any(i.recheck_due for i in items)
        still_open = [i for i in items if i.status != "done"]
        assert not any(i.is_overdue for i in still_open)
        assert min((_due(i) - i.owner_today()).days for i in still_open) == 5
        assert {i.status for i in still_open} == {"open", "in_progress", "blocked"}


def test_a_fresh_demo_sends_no_reminder_until_two_days_after_loading_then_the_owner_hears(
    sweep_at, mailoutbox
):
    loaded = dt.datetime(2026, 12, 3, 18, 55, tzinfo=dt.UTC)  # 07:55 the next day in Auckland (dba)
    with time_machine.travel(loaded, tick=False):
        call_command("load_demo")
    assert sweep_at(loaded + dt.timedelta(minutes=5))["claimed"] == 0
    assert sweep_at(loaded + dt.timedelta(hours=20))["claimed"] == 0  # past midnight everywhere
    assert mailoutbox == []
    # Reminders do fire: two days after loading, the nearest item is due in 3 days, and its owner hears.
    sweep_at(loaded + dt.timedelta(days=2))
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (
            ["dba@example.com"],
            'Action item "Alert when a backup is missing, empty or much smaller than the last one" is due in 3 days',
        )
    ]


def test_demo_open_items_are_due_relative_to_the_day_of_loading():
    with time_machine.travel(dt.datetime(2030, 3, 1, 12, tzinfo=dt.UTC), tick=False):
        call_command("load_demo")
        item = ActionItem.objects.select_related("owner").get(
            title="Take hourly LVM snapshots of the production database hosts"
        )
        assert (_due(item) - item.owner_today()).days == 7
        assert item.created_at.date() == dt.date(2030, 3, 1)


def test_demo_finding_is_driven_to_verified_and_closed_by_two_demo_users():
    call_command("load_demo")
    finding = PolicyFinding.objects.get(title=demo_followup.GITLAB_FINDING_TITLE)
    assert finding.status == FindingStatus.OPEN
    assert list(finding.incidents.all()) == [demo_gitlab.gitlab_incident()]
    owner, verifier = Client(), Client()
    for client, email in ((owner, "dba-lead@example.com"), (verifier, "commander@example.com")):
        client.post(reverse("accounts:login"), {"username": email, "password": demo_people.DEMO_PASSWORD})
    move = reverse("incidents:finding_transition", args=[finding.pk])
    verify = reverse("incidents:finding_verify", args=[finding.pk])
    assert owner.post(move, {"status": "remediating", "version": finding.version}).status_code == 302
    assert (
        owner.post(
            move,
            {
                "status": "remediated",
                "note": "Two-person approval on db hosts.",
                "version": finding.version + 1,
            },
        ).status_code
        == 302
    )
    assert owner.post(verify, {"evidence": "mine", "version": finding.version + 2}).status_code == 403
    assert (
        verifier.post(
            verify, {"evidence": "Tried rm as one person: refused.", "version": finding.version + 2}
        ).status_code
        == 302
    )
    # Its remediation item is still open: closing says so, and closes once that is confirmed.
    assert verifier.post(move, {"status": "closed", "version": finding.version + 3}).status_code == 400
    closed = {"status": "closed", "version": finding.version + 3, "close_with_open_items": "on"}
    assert verifier.post(move, closed).status_code == 302
    finding.refresh_from_db()
    assert finding.status == FindingStatus.CLOSED
    assert finding.verified_by.email == "commander@example.com"
