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


def test_demo_gitlab_incident_has_owned_action_items_some_overdue():
    call_command("load_demo")
    items = list(ActionItem.objects.filter(incident=demo_gitlab.gitlab_incident()).select_related("owner"))
    assert len(items) == len(demo_gitlab.GITLAB_ACTION_ITEMS)
    assert all(i.owner and i.due_date for i in items)
    overdue = [i for i in items if i.is_overdue]
    assert 3 <= len(overdue) < len(items)
    assert any(i.recheck_due for i in items)


def test_demo_items_stay_overdue_relative_to_the_day_of_loading():
    with time_machine.travel(dt.datetime(2030, 3, 1, 12, tzinfo=dt.UTC), tick=False):
        call_command("load_demo")
        overdue = [i.title for i in ActionItem.objects.select_related("owner") if i.is_overdue]
    assert "Take hourly LVM snapshots of the production database hosts" in overdue


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
