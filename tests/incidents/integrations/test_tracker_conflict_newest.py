"""A field changed on both sides is shown with the tracker's newest value: a newer webhook that carries
another value for it (even one whose event is about another field) replaces the one shown, so "Take the
tracker's" never applies a value the tracker no longer has.

Webhooks as Jira and GitHub sign and send them (tracker_setup.py); the conflict as the item page shows it.
"""

from __future__ import annotations

import pytest

from incidents.models import ActionItem, TrackerIssue
from tests.factories import ActionItemFactory
from tests.incidents.integrations import tracker_setup as setup

pytestmark = pytest.mark.django_db


def _person(user, account):
    return {"accountId": account, "emailAddress": user.email, "displayName": str(user)}


def test_an_owner_conflict_shows_the_assignee_of_the_newest_jira_webhook(
    client_for, team, lead, commander, responder, viewer, incident, tracker_server
):
    connection = setup.jira(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    TrackerIssue.objects.create(
        action_item=item, connection=connection, key="OPS-7", external_id="10002",
        url="https://acme.atlassian.net/browse/OPS-7", seen={"status": "open", "owner": commander.pk},
        agreed={"status": "open", "owner": commander.pk, "due_date": None},
    )  # fmt: skip
    ActionItem.objects.filter(pk=item.pk).update(owner=lead)  # Hindsight's side: Lee Lead now
    hook = client_for(None)
    rory = _person(responder, "acc-rory")
    assign = [{"field": "assignee", "fieldtype": "jira", "from": None, "fromString": None,
               "to": "acc-rory", "toString": "Rory"}]  # fmt: skip
    setup.jira_hook(hook, connection, "OPS-7", assign, delivery="j-1", assignee=rory, updated=setup.EARLY)
    assert TrackerIssue.objects.get().conflicts["owner"]["label"] == "Rory Responder"

    # Reassigned to Vera in Jira (that webhook was lost), then moved to In Progress: the newer state.
    progress = [{"field": "status", "fieldtype": "jira", "from": "1", "fromString": "To Do",
                 "to": "3", "toString": "In Progress"}]  # fmt: skip
    setup.jira_hook(
        hook, connection, "OPS-7", progress, delivery="j-2", category="indeterminate", status="In Progress",
        assignee=_person(viewer, "acc-vera"), updated=setup.LATE,
    )  # fmt: skip
    conflict = TrackerIssue.objects.get().conflicts["owner"]
    assert (conflict["tracker"], conflict["label"]) == (viewer.pk, "Vera Viewer")
    said = setup.item_page_text(client_for(commander), item)
    assert "Jira: Vera Viewer" in said
    assert "Rory Responder" not in said
    assert ActionItem.objects.get(pk=item.pk).owner == lead  # still nothing applied silently


def test_a_title_conflict_shows_the_title_of_the_newest_github_webhook(
    client_for, team, lead, commander, incident, tracker_server
):
    connection = setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander, title="Add a rule")
    setup.linked(connection, item, 12, conflicts={"title": {"tracker": "Add a two-person rule",
                                                             "label": "Add a two-person rule"}})  # fmt: skip
    # The issues event carries the issue's title now: "Add a second check before destructive commands".
    setup.github_hook(client_for(None), connection, "closed", 12, state="closed", updated_at=setup.LATE)
    conflict = TrackerIssue.objects.get().conflicts["title"]
    assert conflict["tracker"] == "Add a second check before destructive commands"
    assert "GitHub: Add a second check before destructive commands" in setup.item_page_text(
        client_for(commander), item
    )
