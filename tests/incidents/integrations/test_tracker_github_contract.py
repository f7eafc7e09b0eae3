"""GitHub by contract, against GitHub's own published descriptions (vendored in contracts/, see its README):
an action item's whole life in GitHub driven with the documented example payloads of the `issues` event
(`@octokit/webhooks-examples`, each validated against `@octokit/webhooks-schemas` before it is sent), and
every request Hindsight sends checked against GitHub's OpenAPI description (`@octokit/openapi`).

Every other tracker test is held to the same descriptions (conftest.py checks each GitHub request a
recording server received; tracker_setup.github_hook checks each trimmed payload, fields left out
forgiven); the last tests show the checks can fail.
"""

from __future__ import annotations

import contextlib
import json
import urllib.request
from typing import Any

import pytest
from django.urls import reverse

from incidents.integrations.trackers import tasks  # noqa: F401 - registers push_to_tracker with Celery
from incidents.integrations.trackers.configuration import tracker_connection_save
from incidents.models import ActionItem, ActionItemStatus, TrackerIssue
from tests.factories import ActionItemFactory
from tests.incidents.integrations import github_contract
from tests.incidents.integrations import tracker_setup as setup

pytestmark = pytest.mark.django_db

REPO = "Codertocat/Hello-World"  # the repository of GitHub's example payloads
ISSUE_PATH = f"/repos/{REPO}/issues/1"


def _documented(action: str, *, updated_at: str, **issue: Any) -> dict[str, Any]:
    """GitHub's documented example of the `issues` event `action` at `updated_at`, with `issue` fields
    changed; validated against the event's published schema. GitHub documents no `closed` example: it is
    the `reopened` one as a close leaves the issue (action, state, state_reason, closed_at)."""
    if action == "closed":
        payload = github_contract.examples("reopened")[0]
        payload["action"] = "closed"
        payload["issue"].update(state="closed", state_reason="completed", closed_at=updated_at)
    else:
        payload = github_contract.examples(action)[0]
    payload["issue"].update(updated_at=updated_at, **issue)
    assert github_contract.payload_violations(payload) == [], (
        f"not an issues {action} event as GitHub describes it"
    )
    return payload


def _deliver(client, connection, payload: dict[str, Any], delivery: str):
    body = json.dumps(payload).encode()
    return client.post(
        reverse("incidents:tracker_webhook", args=[connection.pk]), data=body, content_type="application/json",
        HTTP_X_GITHUB_EVENT="issues", HTTP_X_GITHUB_DELIVERY=delivery, HTTP_X_HUB_SIGNATURE_256=setup.sign(body),
    )  # fmt: skip


def _edit(web, item, **changes):
    item = ActionItem.objects.get(pk=item.pk)
    form = {
        "title": item.title, "owner": item.owner_id or "", "due_date": item.due_date.isoformat(),
        "priority": item.priority, "type": item.type, "version": item.version, **changes,
    }  # fmt: skip
    return web.post(reverse("incidents:action_item_edit", args=[item.pk]), form)


def test_an_items_life_in_github_with_githubs_documented_payloads_and_requests(
    client_for, eager_celery, django_capture_on_commit_callbacks, team, lead, commander, responder, incident,
    tracker_server,
):  # fmt: skip
    connection, _ = tracker_connection_save(
        actor=lead, team=team, kind="github", site_url=tracker_server.url, project=REPO, token=setup.TOKEN,
        webhook_secret=setup.SECRET, user_map={"Codertocat": responder.email, "cora-gh": commander.email},
    )  # fmt: skip
    item = ActionItemFactory(
        incident=incident, team=team, owner=commander, title="Spelling error in the README"
    )
    issue: dict[str, Any] = {}  # GitHub's issue as the requests leave it

    def opened(request):
        issue.update(_documented("reopened", updated_at="2026-12-01T09:00:00Z")["issue"])
        issue.update(title=request.json["title"], body=request.json["body"], state="open",
                     assignees=[{**issue["user"], "login": a} for a in request.json.get("assignees", [])])  # fmt: skip
        return 201, issue

    def patched(request):
        issue.update(request.json)
        if "assignees" in request.json:
            issue["assignees"] = [{**issue["user"], "login": a} for a in request.json["assignees"]]
            issue["assignee"] = issue["assignees"][0] if issue["assignees"] else None
        return 200, issue

    tracker_server.answers[("POST", f"/repos/{REPO}/issues")] = opened
    tracker_server.answers[("GET", ISSUE_PATH)] = lambda _r: (200, issue)
    tracker_server.answers[("PATCH", ISSUE_PATH)] = patched
    web = client_for(commander)
    hook = client_for(None)

    web.post(reverse("incidents:action_item_tracker", args=[item.pk]))  # Create in tracker
    assert TrackerIssue.objects.get().key == f"{REPO}#1"
    before = len(setup.entries(incident))

    # In GitHub: closed, reopened, assigned to Codertocat (Rory here); each delivered twice, as on a retry.
    for delivery, payload in [
        ("d-close", _documented("closed", updated_at="2026-12-01T10:00:00Z")),
        ("d-reopen", _documented("reopened", updated_at="2026-12-01T10:01:00Z")),
        ("d-assign", _documented("assigned", updated_at="2026-12-01T10:02:00Z")),
    ]:
        assert _deliver(hook, connection, payload, delivery).status_code == 200
        assert _deliver(hook, connection, payload, delivery).json()["duplicate"]
        if delivery == "d-close":
            assert ActionItem.objects.get(pk=item.pk).status == ActionItemStatus.DONE
    item.refresh_from_db()
    assert item.status == ActionItemStatus.OPEN
    assert item.owner == responder
    entries = setup.entries(incident)[before:]
    assert len(entries) == 3
    assert entries[0].endswith(f"done: its issue {REPO}#1 was closed in GitHub.")
    assert "reopened" in entries[1]
    assert "assigned to Rory Responder" in entries[2]

    # In Hindsight: renamed and handed to Cora, then won't be done: each set on the issue.
    with django_capture_on_commit_callbacks(execute=True):
        _edit(web, item, title="Fix the README's spelling", owner=commander.pk)
    with django_capture_on_commit_callbacks(execute=True):
        web.post(
            reverse("incidents:action_item_status", args=[item.pk]),
            {"status": "wont_do", "note": "The README is replaced", "version": ActionItem.objects.get(pk=item.pk).version},
        )  # fmt: skip

    patches = [r.json for r in tracker_server.requests if r.method == "PATCH"]
    assert {"title": "Fix the README's spelling"} in patches
    assert {"assignees": ["cora-gh"]} in patches
    assert patches[-1] == {"state": "closed", "state_reason": "not_planned"}
    assert (issue["state"], issue["state_reason"]) == ("closed", "not_planned")
    methods = {(r.method, r.path.split("?")[0]) for r in tracker_server.requests}
    assert {("POST", f"/repos/{REPO}/issues"), ("GET", ISSUE_PATH), ("PATCH", ISSUE_PATH)} <= methods
    assert github_contract.recorded_request_violations(tracker_server) == []


def test_githubs_documented_examples_conform_to_its_published_schemas():
    for action in ("assigned", "unassigned", "reopened"):
        found = github_contract.examples(action)
        assert found, f"the vendored examples have no issues {action} event"
        for payload in found:
            assert github_contract.payload_violations(payload) == []


def test_a_payload_outside_githubs_schema_is_caught():
    closed = _documented("closed", updated_at="2026-12-01T10:00:00Z")
    wrong_state = json.loads(json.dumps(closed))
    wrong_state["issue"]["state"] = "open"  # a closed event's issue is closed
    made_up = json.loads(json.dumps(closed))
    made_up["issue"]["closed_reason"] = "completed"  # no such field
    trimmed = {
        "action": "closed",
        "issue": {"number": 1, "state": "closed"},
        "repository": {"full_name": REPO},
    }
    assert github_contract.payload_violations(wrong_state)
    assert github_contract.payload_violations(made_up)
    assert github_contract.payload_violations(trimmed)  # fields left out
    assert github_contract.payload_violations(trimmed, strict=False) == []  # ... forgiven for a fixture
    number_as_text = {**trimmed, "issue": {"number": "1", "state": "closed"}}
    assert github_contract.payload_violations(number_as_text, strict=False)  # a wrong type is not


def test_a_request_outside_githubs_description_is_caught(tracker_server):
    sent = [
        ("POST", f"/repos/{REPO}/issues", {"title": "x", "asignees": ["octocat"]}),  # a misspelt field
        ("PATCH", ISSUE_PATH, {"state": "done"}),  # not a state
        ("PATCH", ISSUE_PATH, {"assignees": "octocat"}),  # not a list
        ("PATCH", f"/repos/{REPO}/issues/first", {"title": "x"}),  # not an issue number
        ("POST", f"/repos/{REPO}/issues/1/close", {}),  # no such operation
        ("GET", ISSUE_PATH + "?fields=state", None),  # a query parameter it does not take
        ("POST", f"/repos/{REPO}/issues", {"body": "no title"}),  # title is required
    ]
    for method, path, body in sent:
        request = urllib.request.Request(  # noqa: S310 - loopback recording server
            tracker_server.url + path, data=json.dumps(body).encode() if body is not None else None, method=method,
            headers={"Accept": "application/vnd.github+json", "Content-Type": "application/json"},
        )  # fmt: skip
        with contextlib.suppress(OSError):  # the server answers 404; the request is recorded all the same
            urllib.request.urlopen(request, timeout=5).close()  # noqa: S310
    found = github_contract.recorded_request_violations(tracker_server)
    assert len(found) == len(sent), found
    tracker_server.requests.clear()  # (else the fixture's own check fails this test, as it should)
