"""A Jira issue closed without the work done makes its action item "Won't do", never "Done", as a GitHub
issue closed as not planned does.

Payloads are shaped as Atlassian documents `jira:issue_updated` (developer.atlassian.com, "Webhooks" and
"Issue fields: resolution"): closing an issue through a workflow transition with a resolution screen
changes two fields at once, so the changelog carries one item for `status` and one for `resolution`
(`fieldId`, `from`/`to` the ids, `fromString`/`toString` the names), and the issue's `fields.resolution`
is the resolution object (`self`, `id`, `description`, `name`), null again when the issue is reopened.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.integrations.trackers.jira import JiraTracker
from incidents.models import ActionItemStatus, TrackerIssue
from tests.factories import ActionItemFactory
from tests.incidents.integrations import tracker_setup as setup

pytestmark = pytest.mark.django_db


def _status(to: str, to_id: str, *, from_: str = "To Do", from_id: str = "10000") -> dict:
    return {"field": "status", "fieldtype": "jira", "fieldId": "status",
            "from": from_id, "fromString": from_, "to": to_id, "toString": to}  # fmt: skip


def _resolution(name: str | None, *, before: str | None = None) -> dict:
    ids = setup.JIRA_RESOLUTIONS
    return {"field": "resolution", "fieldtype": "jira", "fieldId": "resolution",
            "from": ids[before] if before else None, "fromString": before,
            "to": ids[name] if name else None, "toString": name}  # fmt: skip


def _linked(connection, item) -> TrackerIssue:
    return TrackerIssue.objects.create(
        action_item=item, connection=connection, key="OPS-9", external_id="10009",
        url="https://acme.atlassian.net/browse/OPS-9", seen={"status": "open", "owner": item.owner_id},
        agreed={"status": "open", "owner": item.owner_id, "due_date": None},
    )  # fmt: skip


def _close(hook, connection, resolution, *, delivery="close", status="Done", updated=setup.EARLY):
    return setup.jira_hook(
        hook, connection, "OPS-9", [_status(status, "10001"), _resolution(resolution)], delivery=delivery,
        category="done", status=status, resolution=resolution, updated=updated,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("resolution", "how"),
    [
        ("Won't Do", "closed as not planned"),
        ("Won't Fix", "closed as not planned"),
        ("Cannot Reproduce", "closed as not planned"),
        ("Duplicate", "closed as a duplicate"),
    ],
)
def test_a_jira_issue_resolved_as_not_done_makes_the_item_wont_do(
    client_for, team, lead, commander, incident, tracker_server, resolution, how
):
    connection = setup.jira(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    _linked(connection, item)
    before = len(setup.entries(incident))
    hook = client_for(None)

    assert _close(hook, connection, resolution).status_code == 200
    assert _close(hook, connection, resolution).json()["duplicate"]  # Jira's retry of the same delivery

    item.refresh_from_db()
    assert item.status == ActionItemStatus.WONT_DO
    assert item.completion_note == ""
    assert f"{how.capitalize()} in Jira (OPS-9)" in item.wont_do_reason
    entries = setup.entries(incident)
    assert len(entries) == before + 1
    assert entries[-1].endswith(f"won't be done: its issue OPS-9 was {how} in Jira.")
    page = setup.item_page_text(client_for(commander), item)
    assert "Won't do" in page
    assert "Done" not in page.split("Won't do", 1)[0].rsplit("Status", 1)[-1]  # the status shown is not Done


def test_resolved_as_done_is_done_and_a_reopen_clears_the_resolution(
    client_for, team, lead, commander, incident, tracker_server
):
    connection = setup.jira(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    _linked(connection, item)
    hook = client_for(None)

    _close(hook, connection, "Done")
    item.refresh_from_db()
    assert item.status == ActionItemStatus.DONE
    assert "Closed in Jira as OPS-9" in item.completion_note

    # Reopened: the status goes back to To Do and Jira clears the resolution (to null) in the same change.
    reopen = [_status("To Do", "10000", from_="Done", from_id="10001"), _resolution(None, before="Done")]
    setup.jira_hook(hook, connection, "OPS-9", reopen, delivery="reopen", resolution=None, updated=setup.LATE)
    item.refresh_from_db()
    assert item.status == ActionItemStatus.OPEN
    assert "reopened" in setup.entries(incident)[-1]


def test_wont_do_then_reopened_then_done_lands_each_once(
    client_for, team, lead, commander, incident, tracker_server
):
    connection = setup.jira(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    _linked(connection, item)
    hook = client_for(None)
    before = len(setup.entries(incident))

    _close(hook, connection, "Won't Do", delivery="a", updated="2026-12-01T10:00:00Z")
    reopen = [_status("To Do", "10000", from_="Done", from_id="10001"), _resolution(None, before="Won't Do")]
    setup.jira_hook(hook, connection, "OPS-9", reopen, delivery="b", resolution=None,
                    updated="2026-12-01T10:01:00Z")  # fmt: skip
    _close(hook, connection, "Done", delivery="c", updated="2026-12-01T10:02:00Z")

    item.refresh_from_db()
    assert item.status == ActionItemStatus.DONE
    assert item.wont_do_reason == ""
    entries = setup.entries(incident)[before:]
    assert len(entries) == 3
    assert "won't be done" in entries[0]
    assert "reopened" in entries[1]
    page = client_for(commander).get(reverse("incidents:action_item_detail", args=[item.pk])).content.decode()
    assert "/browse/OPS-9" in page


def test_a_resolution_set_without_the_issue_object_saying_so_is_read_from_the_changelog(
    client_for, team, lead, commander, incident, tracker_server
):
    """A webhook whose issue carries no `resolution` field (a trimmed or older payload) is still read by
    the changelog's resolution item: Won't Do is not taken as done."""
    connection = setup.jira(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    _linked(connection, item)
    items = [_status("Closed", "6"), _resolution("Won't Do")]
    setup.jira_hook(client_for(None), connection, "OPS-9", items, category="done", status="Closed",
                    updated=setup.EARLY)  # fmt: skip
    item.refresh_from_db()
    assert item.status == ActionItemStatus.WONT_DO


@pytest.mark.parametrize(
    ("name", "reason"),
    [("Won’t Do", "not_planned"), ("won't fix", "not_planned"), ("Incomplete", "not_planned"),
     ("Duplicate", "duplicate"), ("Done", ""), ("Fixed", "")],
)  # fmt: skip
def test_resolution_names_are_read_whatever_their_case_or_apostrophe(name, reason):
    issue = setup.jira_issue("OPS-9", category="done", status="Done")
    issue["fields"]["resolution"] = {"id": "1", "name": name}
    assert JiraTracker._state("OPS-9", issue).close_reason == reason
    open_issue = setup.jira_issue("OPS-9", category="indeterminate", status="In Progress")
    open_issue["fields"]["resolution"] = {"id": "1", "name": name}
    assert JiraTracker._state("OPS-9", open_issue).close_reason == ""  # only a closed issue has a reason
