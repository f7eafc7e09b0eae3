"""The trackers' typed readers: a field missing or of the wrong type is "no information".

Found by an outside tester: a GitHub `issues` webhook without `issue.state`, or a Jira issue whose
`status` or `duedate` was missing or not what Jira's schema says, reopened a done item or cleared its due
date. Each test takes a payload as the tracker's documentation shows it (GitHub "Webhook events and
payloads: issues" and "Get an issue"; Jira "Webhooks: jira:issue_updated" and "Get issue"), then, for
every field in it, removes the field or gives it a value of another type, sends it the way the tracker
would (a signed webhook, or the answer the reconcile sweep reads), and checks the done item stays done
with its due date, owner and timeline as they were.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse

from incidents.integrations.trackers.services import tracker_reconcile
from incidents.models import ActionItem, ActionItemStatus, TimelineEntry, TrackerIssue
from tests.factories import ActionItemFactory
from tests.incidents.integrations import tracker_setup as setup

pytestmark = pytest.mark.django_db

DUE = dt.date(2026, 12, 15)
UPDATED = "2026-12-01T10:00:00Z"
_deliveries = itertools.count()

# GitHub's `issues` webhook, action `closed` (docs.github.com, trimmed to one user object per role).
GITHUB_USER = {"login": "cora-gh", "id": 1, "node_id": "MDQ6VXNlcjE=", "type": "User", "site_admin": False}
GITHUB_ISSUE: dict[str, Any] = {
    "url": "https://api.github.com/repos/acme/web/issues/12",
    "html_url": "https://github.com/acme/web/issues/12",
    "id": 1,
    "node_id": "MDU6SXNzdWUx",
    "number": 12,
    "title": "Add a second check before destructive commands",
    "user": GITHUB_USER,
    "labels": [{"id": 208045946, "name": "bug", "color": "f29513", "default": True}],
    "state": "closed",
    "locked": False,
    "assignee": GITHUB_USER,
    "assignees": [GITHUB_USER],
    "comments": 0,
    "created_at": "2026-11-28T09:00:00Z",
    "updated_at": UPDATED,
    "closed_at": UPDATED,
    "author_association": "OWNER",
    "state_reason": "completed",
    "body": "Before `rm -rf` on a database host.",
}
GITHUB_HOOK: dict[str, Any] = {
    "action": "closed",
    "issue": GITHUB_ISSUE,
    "repository": {"id": 1296269, "name": "web", "full_name": "acme/web", "private": False},
    "sender": GITHUB_USER,
}

# Jira's issue as "Get issue" and the `jira:issue_updated` webhook carry it (developer.atlassian.com).
JIRA_USER = {
    "accountId": "5b10a2844c20165700ede21g",
    "emailAddress": "commander@example.com",
    "displayName": "Cora Commander",
    "active": True,
}
JIRA_ISSUE: dict[str, Any] = {
    "id": "10002",
    "self": "https://acme.atlassian.net/rest/api/3/issue/10002",
    "key": "OPS-7",
    "fields": {
        "summary": "Add a second check before destructive commands",
        "status": {
            "self": "https://acme.atlassian.net/rest/api/3/status/10001",
            "name": "Done",
            "id": "10001",
            "statusCategory": {"id": 3, "key": "done", "colorName": "green", "name": "Done"},
        },
        "resolution": {"id": "10000", "name": "Done"},
        "assignee": JIRA_USER,
        "duedate": DUE.isoformat(),
        "updated": "2026-12-01T10:00:00.000+0000",
    },
}
JIRA_HOOK: dict[str, Any] = {
    "timestamp": 1764620000000,
    "webhookEvent": "jira:issue_updated",
    "issue_event_type_name": "issue_generic",
    "user": JIRA_USER,
    "issue": JIRA_ISSUE,
    "changelog": {
        "id": "10100",
        "items": [
            {
                "field": "status",
                "fieldtype": "jira",
                "from": "10000",
                "fromString": "To Do",
                "to": "10001",
                "toString": "Done",
            },
            {"field": "duedate", "fieldtype": "jira", "from": None, "to": DUE.isoformat()},
        ],
    },  # fmt: skip
}
# Fields where null is a documented value (nobody, no due date, no reason): null there is information.
NULLABLE = {("issue", "assignee"), ("assignee",), ("issue", "state_reason"), ("state_reason",),
            ("issue", "closed_at"), ("closed_at",), ("issue", "fields", "duedate"), ("fields", "duedate"),
            ("issue", "fields", "assignee"), ("fields", "assignee"), ("issue", "fields", "resolution"),
            ("fields", "resolution")}  # fmt: skip


def mutations(root: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every variant of `root` with one field (at any depth, in objects) removed or given a value of
    another type, as (description, variant)."""
    for path, value in _fields(root):
        others: list[Any] = [7 if isinstance(value, str) else "x"]
        others += [["x"]] if isinstance(value, dict) else []
        if path not in NULLABLE and value is not None:
            others.append(None)
        for name, replacement in [("removed", _ABSENT), *((f"= {o!r}", o) for o in others)]:
            yield f"{'.'.join(path)} {name}", _with(root, path, replacement)


def _fields(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*path, key), value
            yield from _fields(value, (*path, key))


_ABSENT = object()


def _with(root: Any, path: tuple[str, ...], value: Any) -> Any:
    """A copy of `root` whose field at `path` is `value` (or absent)."""
    variant = copy.deepcopy(root)
    node = variant
    *parents, key = path
    for step in parents:
        node = node[step]
    if value is _ABSENT:
        del node[key]
    else:
        node[key] = value
    return variant


@pytest.fixture
def done_item(team, incident, commander):
    return ActionItemFactory(
        incident=incident, team=team, owner=commander, status=ActionItemStatus.DONE, due_date=DUE,
        completion_note="Closed in the tracker.",
    )  # fmt: skip


def _linked(connection, item, key, number):
    agreed = {"status": "closed", "owner": item.owner_id, "due_date": DUE.isoformat()}
    return TrackerIssue.objects.create(
        action_item=item, connection=connection, key=key, external_id=number,
        url=f"https://example.com/{number}", remote_status="closed", remote_closed=True,
        seen=dict(agreed), agreed=dict(agreed),
    )  # fmt: skip


def _reset(item: ActionItem) -> None:
    """Put the item and its issue back as they were after a failure, so each variant is judged alone."""
    ActionItem.objects.filter(pk=item.pk).update(status=ActionItemStatus.DONE, due_date=DUE)
    agreed = {"status": "closed", "owner": item.owner_id, "due_date": DUE.isoformat()}
    TrackerIssue.objects.filter(action_item=item).update(seen=agreed, agreed=agreed, conflicts={})


def _as_it_was(item: ActionItem, owner: Any, entries: int) -> str:
    item.refresh_from_db()
    changed = []
    if item.status != ActionItemStatus.DONE:
        changed.append(f"status {item.status}")
    if item.due_date != DUE:
        changed.append(f"due date {item.due_date}")
    if item.owner_id != owner.pk:
        changed.append(f"owner {item.owner}")
    if TimelineEntry.objects.filter(incident=item.incident).count() != entries:
        changed.append("a timeline entry")
    return ", ".join(changed)


def _post_github(client, connection, payload):
    body = json.dumps(payload).encode()
    return client.post(
        reverse("incidents:tracker_webhook", args=[connection.pk]), data=body, content_type="application/json",
        HTTP_X_GITHUB_EVENT="issues", HTTP_X_GITHUB_DELIVERY=f"g-{next(_deliveries)}",
        HTTP_X_HUB_SIGNATURE_256=setup.sign(body),
    )  # fmt: skip


def _post_jira(client, connection, payload):
    body = json.dumps(payload).encode()
    return client.post(
        reverse("incidents:tracker_webhook", args=[connection.pk]), data=body, content_type="application/json",
        HTTP_X_ATLASSIAN_WEBHOOK_IDENTIFIER=f"j-{next(_deliveries)}", HTTP_X_HUB_SIGNATURE=setup.sign(body),
    )  # fmt: skip


def test_a_github_webhook_missing_or_mistyping_any_field_never_reopens_or_reassigns(
    client_for, team, lead, commander, done_item, tracker_server
):
    connection = setup.github(team, lead, tracker_server)
    _linked(connection, done_item, "acme/web#12", "12")
    entries = TimelineEntry.objects.filter(incident=done_item.incident).count()
    hook = client_for(None)
    failures = []
    variants = list(mutations(GITHUB_HOOK))
    assert len(variants) > 100  # every field of the documented payload, at every depth
    for label, payload in variants:
        answer = _post_github(hook, connection, payload)
        if answer.status_code != 200 or (changed := _as_it_was(done_item, commander, entries)):
            failures.append(f"{label}: {answer.status_code} {changed}")
            _reset(done_item)
    assert failures == []
    # The same payload saying "open" still reopens the item: the check above could fail.
    reopened = copy.deepcopy(GITHUB_HOOK)
    reopened["action"], reopened["issue"]["state"], reopened["issue"]["state_reason"] = (
        "reopened",
        "open",
        None,
    )
    _post_github(hook, connection, reopened)
    done_item.refresh_from_db()
    assert done_item.status == ActionItemStatus.OPEN


def test_a_jira_webhook_missing_or_mistyping_any_field_never_reopens_or_clears_the_due_date(
    client_for, team, lead, commander, done_item, tracker_server
):
    connection = setup.jira(team, lead, tracker_server)
    _linked(connection, done_item, "OPS-7", "10002")
    entries = TimelineEntry.objects.filter(incident=done_item.incident).count()
    hook = client_for(None)
    failures = []
    variants = list(mutations(JIRA_HOOK))
    assert len(variants) > 100
    for label, payload in variants:
        answer = _post_jira(hook, connection, payload)
        if answer.status_code != 200 or (changed := _as_it_was(done_item, commander, entries)):
            failures.append(f"{label}: {answer.status_code} {changed}")
            _reset(done_item)
    assert failures == []
    cleared = copy.deepcopy(JIRA_HOOK)
    cleared["issue"]["fields"]["duedate"] = None  # null is Jira's "no due date": that one is information
    _post_jira(hook, connection, cleared)
    done_item.refresh_from_db()
    assert done_item.due_date is None


@pytest.mark.parametrize("kind", ["github", "jira"])
def test_the_sweep_reading_an_issue_missing_or_mistyping_any_field_changes_nothing(
    kind, team, lead, commander, done_item, tracker_server
):
    answer: dict[str, Any]
    if kind == "github":
        connection = setup.github(team, lead, tracker_server)
        _linked(connection, done_item, "acme/web#12", "12")
        route, answer = ("GET", "/repos/acme/web/issues/12"), GITHUB_ISSUE
    else:
        connection = setup.jira(team, lead, tracker_server)
        _linked(connection, done_item, "OPS-7", "10002")
        route, answer = ("GET", "/rest/api/3/issue/OPS-7"), JIRA_ISSUE
    entries = TimelineEntry.objects.filter(incident=done_item.incident).count()
    failures = []
    for label, variant in mutations(answer):
        tracker_server.answers[route] = (200, variant)
        tracker_reconcile()
        if changed := _as_it_was(done_item, commander, entries):
            failures.append(f"{label}: {changed}")
            _reset(done_item)
    assert failures == []
    assert TrackerIssue.objects.get().remote_closed  # what it last knew, kept
    opened = copy.deepcopy(answer)
    if kind == "github":
        opened["state"] = "open"
    else:
        opened["fields"]["status"]["statusCategory"]["key"] = "new"
    tracker_server.answers[route] = (200, opened)
    assert tracker_reconcile().applied == 1
    done_item.refresh_from_db()
    assert done_item.status == ActionItemStatus.OPEN
