"""Unassigning in the tracker clears the item's owner, with a timeline entry: GitHub's `unassigned`
webhook (`assignee: null`, `assignees: []`), Jira's `jira:issue_updated` with the assignee set to null,
and Redmine's issue read by the sweep without `assigned_to`. Where Hindsight's owner changed too since
they last agreed, the item page shows the difference instead.

A recording server on loopback stands in for each tracker's REST API (tracker_setup.py).
"""

from __future__ import annotations

import pytest

from incidents.followup.services.items import action_item_update
from incidents.integrations.trackers.services import tracker_reconcile
from incidents.models import ActionItem, TrackerIssue
from tests.factories import ActionItemFactory
from tests.incidents.integrations import tracker_setup as setup

pytestmark = pytest.mark.django_db


UNASSIGN_JIRA = [{"field": "assignee", "fieldtype": "jira", "fieldId": "assignee",
                  "from": "5b10a2844c20165700ede21g", "to": None}]  # fmt: skip


def _linked(connection, item, key, external_id):
    values = {"status": "open", "owner": item.owner_id, "due_date": item.due_date.isoformat()}
    return TrackerIssue.objects.create(
        action_item=item, connection=connection, key=key, external_id=external_id,
        url=f"https://tracker.example/{external_id}", seen=dict(values), agreed=dict(values),
    )  # fmt: skip


def _unassign(kind, client, connection, server, item):
    """Unassign the item's issue as `kind` does it: a webhook, or (Redmine) an issue the sweep reads."""
    if kind == "github":
        setup.github_hook(client, connection, "unassigned", 12, state="open", delivery="d-un")
    elif kind == "jira":
        setup.jira_hook(client, connection, "OPS-7", UNASSIGN_JIRA, delivery="j-un", assignee=None)
    else:
        server.answers[("GET", "/issue_statuses.json")] = (200, setup.REDMINE_STATUSES)
        server.answers[("GET", "/issues/12.json")] = (
            200,
            setup.redmine_issue(1, due=item.due_date.isoformat()),
        )
        tracker_reconcile()


def _connect(kind, team, lead, server):
    if kind == "github":
        return setup.github(team, lead, server), "acme/web#12", "12", "GitHub"
    if kind == "jira":
        return setup.jira(team, lead, server), "OPS-7", "10002", "Jira"
    return setup.redmine(team, lead, server), "ops#12", "12", "Redmine"


@pytest.mark.parametrize("kind", ["github", "jira", "redmine"])
def test_unassigning_in_the_tracker_clears_the_owner_with_a_timeline_entry(
    client_for, team, lead, commander, incident, tracker_server, kind
):
    connection, key, external_id, label = _connect(kind, team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander, title="Add a check")
    _linked(connection, item, key, external_id)
    before = len(setup.entries(incident))

    _unassign(kind, client_for(None), connection, tracker_server, item)
    _unassign(kind, client_for(None), connection, tracker_server, item)  # a redelivery or a second sweep

    item.refresh_from_db()
    assert item.owner is None
    entries = setup.entries(incident)
    assert entries[before:] == [
        f"Action item Add a check has no owner now: its issue {key} was unassigned in {label}."
    ]
    page = setup.item_page_text(client_for(commander), item)
    assert "changed on both sides" not in page


@pytest.mark.parametrize("kind", ["github", "jira", "redmine"])
def test_unassigning_in_the_tracker_while_hindsights_owner_changed_too_is_shown_not_applied(
    client_for, team, lead, commander, responder, incident, tracker_server, kind
):
    connection, key, external_id, label = _connect(kind, team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander, title="Add a check")
    _linked(connection, item, key, external_id)
    action_item_update(item=item, actor=commander, owner=responder)  # not yet in the tracker
    before = len(setup.entries(incident))

    _unassign(kind, client_for(None), connection, tracker_server, item)

    assert ActionItem.objects.get(pk=item.pk).owner == responder
    assert len(setup.entries(incident)) == before
    web = client_for(commander)
    assert (
        f"Owner changed on both sides. Hindsight: Rory Responder · {label}: nobody"
        in setup.item_page_text(web, item)
    )
    setup.settle(web, item, "owner", "tracker")
    assert ActionItem.objects.get(pk=item.pk).owner is None
    assert setup.entries(incident)[-1].endswith(f"was unassigned in {label}.")
