"""Tracker states arriving out of order, and what a tracker sends that does not mean "done" (found by an
outside tester with fake GitHub and Jira servers).

Webhooks are not delivered in order and the reconcile sweep may read an issue before a newer webhook
lands: each state carries the tracker's own `updated_at` (GitHub's issue `updated_at`, Jira's
`fields.updated`), and a state older than the last one applied is ignored. Payloads follow the
trackers' documented shapes (GitHub `issues` event with `state_reason`; Jira `jira:issue_updated`).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from incidents.integrations.trackers.services import tracker_reconcile
from incidents.models import ActionItemStatus, TrackerIssue
from tests.factories import ActionItemFactory
from tests.incidents.integrations import tracker_setup as setup

pytestmark = pytest.mark.django_db


CORA = {"login": "cora-gh", "id": 2, "type": "User"}  # the commander's GitHub login (tracker_setup.py)


def test_an_older_github_delivery_arriving_last_changes_nothing(
    client_for, team, lead, commander, responder, incident, tracker_server
):
    connection = setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    setup.linked(connection, item, 12)
    hook = client_for(None)
    # In GitHub: closed at 10:00, reopened at 10:05. The reopen is delivered first, the close last.
    assert (
        setup.github_hook(
            hook, connection, "reopened", 12, state="open", updated_at=setup.LATE, delivery="b"
        ).status_code
        == 200
    )
    setup.github_hook(hook, connection, "closed", 12, state="closed", updated_at=setup.EARLY, delivery="a")
    item.refresh_from_db()
    assert item.status == ActionItemStatus.OPEN
    # Assigned to Rory at 10:05 (delivered first), to Cora at 10:00 (delivered last): Rory keeps it.
    setup.github_hook(
        hook,
        connection,
        "assigned",
        12,
        state="open",
        updated_at=setup.LATE,
        assignee="octocat",
        delivery="c",
    )
    setup.github_hook(
        hook,
        connection,
        "assigned",
        12,
        state="open",
        updated_at=setup.EARLY,
        assignee="cora-gh",
        delivery="d",
    )
    item.refresh_from_db()
    assert item.owner == responder
    assert TrackerIssue.objects.get().remote_updated_at == dt.datetime(2026, 12, 1, 10, 5, tzinfo=dt.UTC)
    assert not [e for e in setup.entries(incident) if "done" in e]


def test_the_sweep_reading_an_older_state_does_not_undo_a_newer_webhook(
    client_for, team, lead, commander, incident, tracker_server
):
    connection = setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    setup.linked(connection, item, 14)
    setup.github_hook(
        client_for(None), connection, "closed", 14, state="closed", updated_at=setup.LATE, delivery="x"
    )
    item.refresh_from_db()
    assert item.status == ActionItemStatus.DONE
    # A read served from before the close (a cache, a replica that lags): open, at 10:00.
    tracker_server.answers[("GET", "/repos/acme/web/issues/14")] = (
        200, {"number": 14, "state": "open", "assignee": CORA, "updated_at": setup.EARLY},
    )  # fmt: skip
    assert tracker_reconcile().applied == 0
    item.refresh_from_db()
    assert item.status == ActionItemStatus.DONE
    # A newer read is applied as before.
    tracker_server.answers[("GET", "/repos/acme/web/issues/14")] = (
        200, {"number": 14, "state": "open", "assignee": CORA, "updated_at": "2026-12-01T11:00:00Z"},
    )  # fmt: skip
    assert tracker_reconcile().applied == 1
    item.refresh_from_db()
    assert item.status == ActionItemStatus.OPEN


def test_jira_deliveries_in_reverse_order_keep_the_newer_due_date(
    client_for, team, lead, commander, incident, tracker_server
):
    connection = setup.jira(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander, due_date=dt.date(2026, 12, 10))
    TrackerIssue.objects.create(action_item=item, connection=connection, key="OPS-7", external_id="10002",
                                url="https://acme.atlassian.net/browse/OPS-7", seen={"due_date": "2026-12-10"},
                                agreed={"status": "open", "owner": commander.pk, "due_date": "2026-12-10"})  # fmt: skip
    hook = client_for(None)
    due = [{"field": "duedate", "fieldtype": "jira", "from": None, "to": "x"}]
    setup.jira_hook(
        hook, connection, "OPS-7", due, updated="2026-12-01T10:05:00.000+0000", due="2026-12-20", delivery="2"
    )
    setup.jira_hook(
        hook, connection, "OPS-7", due, updated="2026-12-01T10:00:00.000+0000", due="2026-12-15", delivery="1"
    )
    item.refresh_from_db()
    assert item.due_date == dt.date(2026, 12, 20)


def test_a_jira_due_date_that_is_not_a_date_keeps_ours_and_says_so(
    client_for, team, lead, commander, incident, tracker_server
):
    connection = setup.jira(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander, due_date=dt.date(2026, 12, 10))
    TrackerIssue.objects.create(action_item=item, connection=connection, key="OPS-8", external_id="10003",
                                url="https://acme.atlassian.net/browse/OPS-8", seen={"due_date": "2026-12-10"},
                                remote_due_date=dt.date(2026, 12, 10),
                                agreed={"status": "open", "owner": commander.pk, "due_date": "2026-12-10"})  # fmt: skip
    due = [{"field": "duedate", "fieldtype": "jira", "from": "2026-12-10", "to": "2026-02-30"}]
    hooked = setup.jira_hook(
        client_for(None), connection, "OPS-8", due, updated=setup.LATE, due="2026-02-30", delivery="bad"
    )
    assert hooked.status_code == 200
    item.refresh_from_db()
    assert item.due_date == dt.date(2026, 12, 10)  # not cleared
    assert TrackerIssue.objects.get().remote_due_date == dt.date(2026, 12, 10)
    page = client_for(commander).get(reverse("incidents:action_item_detail", args=[item.pk])).content.decode()
    assert "due date “2026-02-30” is not a date: Hindsight keeps its own" in page
    # A real date later is taken, and the warning goes.
    fixed = [{"field": "duedate", "fieldtype": "jira", "from": "2026-02-30", "to": "2026-12-28"}]
    setup.jira_hook(client_for(None), connection, "OPS-8", fixed, updated="2026-12-01T11:00:00Z", due="2026-12-28",
               delivery="good")  # fmt: skip
    item.refresh_from_db()
    assert item.due_date == dt.date(2026, 12, 28)
    assert TrackerIssue.objects.get().warnings == {}


@pytest.mark.parametrize(("reason", "said"), [("not_planned", "not planned"), ("duplicate", "a duplicate")])
def test_a_github_issue_closed_as_not_planned_is_not_done(
    client_for, team, lead, commander, incident, tracker_server, reason, said
):
    connection = setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    setup.linked(connection, item, 20)
    setup.github_hook(
        client_for(None),
        connection,
        "closed",
        20,
        state="closed",
        reason=reason,
        updated_at=setup.LATE,
        delivery="n",
    )
    item.refresh_from_db()
    assert item.status == ActionItemStatus.WONT_DO
    assert item.completion_note == ""
    assert f"Closed as {said} in GitHub" in item.wont_do_reason
    assert f"was closed as {said} in GitHub" in setup.entries(incident)[-1]
    page = client_for(commander).get(reverse("incidents:action_item_detail", args=[item.pk])).content.decode()
    assert f"closed as {said.removeprefix('a ')}" in page  # the issue's state as GitHub has it


def test_a_reopen_clears_the_closed_in_github_note(
    client_for, team, lead, commander, incident, tracker_server
):
    connection = setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    setup.linked(connection, item, 21)
    hook = client_for(None)
    setup.github_hook(
        hook,
        connection,
        "closed",
        21,
        state="closed",
        reason="completed",
        updated_at=setup.EARLY,
        delivery="c",
    )
    item.refresh_from_db()
    assert "Closed in GitHub" in item.completion_note
    setup.github_hook(
        hook, connection, "reopened", 21, state="open", reason="reopened", updated_at=setup.LATE, delivery="r"
    )
    item.refresh_from_db()
    assert item.status == ActionItemStatus.OPEN
    assert item.completion_note == ""
    page = client_for(commander).get(reverse("incidents:action_item_detail", args=[item.pk])).content.decode()
    assert "<dt>Completion note</dt>" not in page  # (the item's history still shows the note it had)


def test_keeping_hindsights_wont_do_closes_the_github_issue_as_not_planned(
    client_for, team, lead, commander, incident, tracker_server
):
    connection = setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander, status=ActionItemStatus.WONT_DO,
                             wont_do_reason="Replaced by the new runbook")  # fmt: skip
    setup.linked(connection, item, 22, conflicts={"status": {"tracker": "open", "label": "open"}})
    tracker_server.answers[("PATCH", "/repos/acme/web/issues/22")] = (200, {"number": 22, "state": "closed"})
    setup.settle(client_for(commander), item, "status", "hindsight")
    assert tracker_server.requests[-1].json == {"state": "closed", "state_reason": "not_planned"}


def test_a_github_login_is_mapped_whatever_its_case(
    client_for, team, lead, commander, responder, incident, tracker_server
):
    connection = setup.github(team, lead, tracker_server)  # maps "octocat" to responder@example.com
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    setup.linked(connection, item, 30)
    setup.github_hook(
        client_for(None),
        connection,
        "assigned",
        30,
        state="open",
        updated_at=setup.LATE,
        assignee="OctoCat",
        delivery="o",
    )
    item.refresh_from_db()
    assert item.owner == responder
