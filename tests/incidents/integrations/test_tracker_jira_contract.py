"""Jira Cloud by contract: every request Hindsight sends to Jira, over a whole item's life, is checked against
the shapes of Jira Cloud's published REST API v3 (the OpenAPI document of "The Jira Cloud platform REST
API", version 1001.0.0-SNAPSHOT: operations createIssue, getIssue, editIssue, assignIssue, getTransitions,
doTransition), and the webhook Hindsight reads is Atlassian's documented `jira:issue_updated` payload
(developer.atlassian.com "Webhooks": `timestamp`, `webhookEvent`, `issue_event_type_name`, `user`, `issue`,
`changelog.items` with `field`, `fieldtype`, `fieldId`, `from`, `fromString`, `to`, `toString`), signed
as Jira signs a webhook with a secret (`X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body>`).

The schemas are the parts of the published ones Hindsight uses, written out by hand in jira_contract.py
(Atlassian publishes the document, several megabytes, on its site only, in no npm or PyPI package): a
request outside them (an unknown operation, query parameter or body field, a value of the wrong type)
fails the test, and every other tracker test's Jira requests are held to them too (conftest.py). Jira
answers edits, assignments and transitions with 204 and no body, as here.
"""

from __future__ import annotations

import base64
import contextlib
import json
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # its stubs (types-jsonschema) are not installed
import pytest
from django.urls import reverse

from incidents.integrations.trackers import tasks  # noqa: F401 - registers push_to_tracker with Celery
from incidents.models import ActionItem, ActionItemStatus, TrackerIssue
from tests.factories import ActionItemFactory
from tests.incidents.integrations import tracker_setup as setup
from tests.incidents.integrations.jira_contract import WEBHOOK, contract_violations

pytestmark = pytest.mark.django_db

CORA_ID = "5b10a2844c20165700ede21g"  # Atlassian account ids, as the documentation's examples write them
RORY_ID = "5b10ac8d82e05b22cc7d4ef5"


def _person(account_id: str, email: str, name: str) -> dict[str, Any]:
    return {"self": f"https://acme.atlassian.net/rest/api/3/user?accountId={account_id}", "accountId": account_id,
            "emailAddress": email, "displayName": name, "active": True, "accountType": "atlassian"}  # fmt: skip


def _issue_bean(summary: str, due: str, assignee: dict[str, Any] | None) -> dict[str, Any]:
    # getIssue's IssueBean with ?fields=status,assignee,duedate,resolution,updated,summary
    return {
        "expand": "renderedFields,names,schema", "id": "10002",
        "self": "https://acme.atlassian.net/rest/api/3/issue/10002", "key": "OPS-7",
        "fields": {
            "summary": summary, "duedate": due, "assignee": assignee, "resolution": None,
            "updated": "2026-12-01T10:00:00.000+0000",
            "status": {"self": "https://acme.atlassian.net/rest/api/3/status/10000", "name": "To Do", "id": "10000",
                       "statusCategory": {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"}},
        },
    }  # fmt: skip


def _edit(web, item, **changes):
    item = ActionItem.objects.get(pk=item.pk)
    form = {
        "title": item.title, "owner": item.owner_id or "", "due_date": item.due_date.isoformat(),
        "priority": item.priority, "type": item.type, "version": item.version, **changes,
    }  # fmt: skip
    return web.post(reverse("incidents:action_item_edit", args=[item.pk]), form)


def test_every_request_of_an_items_life_in_jira_is_one_jira_publishes(
    client_for, eager_celery, django_capture_on_commit_callbacks, team, lead, commander, responder, incident,
    tracker_server,
):  # fmt: skip
    setup.jira(team, lead, tracker_server, user_map={CORA_ID: commander.email, RORY_ID: responder.email})
    item = ActionItemFactory(incident=incident, team=team, owner=commander, title="Page the DBA on lag")
    due = item.due_date.isoformat()
    server = tracker_server
    server.answers[("POST", "/rest/api/3/issue")] = (
        201, {"id": "10002", "key": "OPS-7", "self": "https://acme.atlassian.net/rest/api/3/issue/10002"},
    )  # fmt: skip  # CreatedIssue
    people = {CORA_ID: _person(CORA_ID, commander.email, "Cora Commander"),
              RORY_ID: _person(RORY_ID, responder.email, "Rory Responder")}  # fmt: skip
    issue = _issue_bean("Page the DBA on lag", due, people[CORA_ID])  # Jira's issue, as the edits leave it

    def edit(request):
        issue["fields"].update(request.json["fields"])
        return 204, None

    def assign(request):
        issue["fields"]["assignee"] = people.get(request.json["accountId"])
        return 204, None

    server.answers[("GET", "/rest/api/3/issue/OPS-7")] = lambda _r: (200, issue)
    server.answers[("PUT", "/rest/api/3/issue/OPS-7")] = edit
    server.answers[("PUT", "/rest/api/3/issue/OPS-7/assignee")] = assign
    server.answers[("POST", "/rest/api/3/issue/OPS-7/transitions")] = (204, None)
    server.answers[("GET", "/rest/api/3/issue/OPS-7/transitions")] = (200, {"expand": "transitions", "transitions": [
        {"id": "11", "name": "To Do", "to": {"id": "10000", "name": "To Do", "statusCategory": {"key": "new"}}},
        {"id": "31", "name": "Done", "to": {"id": "10001", "name": "Done", "statusCategory": {"key": "done"}}},
    ]})  # fmt: skip
    web = client_for(commander)

    web.post(reverse("incidents:action_item_tracker", args=[item.pk]))  # Create in tracker
    with django_capture_on_commit_callbacks(execute=True):
        _edit(web, item, title="Page the DBA on replication lag", owner=responder.pk, due_date="2026-12-24")
    with django_capture_on_commit_callbacks(execute=True):
        _edit(web, item, owner="")  # nobody owns it now: Jira's issue is unassigned
    with django_capture_on_commit_callbacks(execute=True):
        web.post(
            reverse("incidents:action_item_status", args=[item.pk]),
            {
                "status": "done",
                "note": "Paging rule live",
                "version": ActionItem.objects.get(pk=item.pk).version,
            },
        )

    writes = [(r.method, r.path, r.json) for r in server.requests if r.method != "GET"]
    assert writes[0][:2] == ("POST", "/rest/api/3/issue")
    assert writes[0][2]["fields"]["assignee"] == {"accountId": CORA_ID}
    bodies = [body for _, _, body in writes[1:]]
    assert {"accountId": RORY_ID} in bodies
    assert {"fields": {"summary": "Page the DBA on replication lag"}} in bodies
    assert {"fields": {"duedate": "2026-12-24"}} in bodies
    assert {"accountId": None} in bodies  # unassigned, as assignIssue documents it
    assert bodies[-1] == {"transition": {"id": "31"}}  # into the done status category
    assert contract_violations(server) == []
    assert TrackerIssue.objects.get().remote_closed is True


def test_a_request_outside_the_published_shapes_is_caught(tracker_server):
    # The check above could fail: a made-up field, a wrong type, an operation Jira does not have.
    import urllib.request

    auth = "Basic " + base64.b64encode(b"bot@example.com:jira-api-token").decode()
    for method, path, body in [
        ("PUT", "/rest/api/3/issue/OPS-7", {"fields": {"dueDate": "2026-12-24"}}),
        ("PUT", "/rest/api/3/issue/OPS-7/assignee", {"accountId": 5}),
        ("POST", "/rest/api/3/issue/OPS-7/close", {}),
    ]:
        request = urllib.request.Request(  # noqa: S310 - loopback recording server
            tracker_server.url + path, data=json.dumps(body).encode(), method=method,
            headers={"Authorization": auth, "Accept": "application/json", "Content-Type": "application/json"},
        )  # fmt: skip
        with contextlib.suppress(OSError):  # the server answers 404; the request is recorded all the same
            urllib.request.urlopen(request, timeout=5).close()  # noqa: S310
    assert len(contract_violations(tracker_server)) == 3
    tracker_server.requests.clear()  # (else the fixture's own check fails this test, as it should)


def test_atlassians_documented_unassign_webhook_clears_the_owner(
    client_for, team, lead, commander, incident, tracker_server
):
    connection = setup.jira(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander, title="Page the DBA on lag")
    agreed = {"status": "open", "owner": commander.pk, "due_date": item.due_date.isoformat()}
    TrackerIssue.objects.create(
        action_item=item, connection=connection, key="OPS-7", external_id="10002",
        url="https://acme.atlassian.net/browse/OPS-7", seen=dict(agreed), agreed=dict(agreed),
    )  # fmt: skip
    issue = _issue_bean("Page the DBA on lag", item.due_date.isoformat(), None)
    issue["fields"]["updated"] = "2026-12-01T10:05:00.000+0000"
    payload = {
        "timestamp": 1764620700000, "webhookEvent": "jira:issue_updated", "issue_event_type_name": "issue_assigned",
        "user": _person(CORA_ID, commander.email, "Cora Commander"), "issue": issue,
        "changelog": {"id": "10101", "items": [{"field": "assignee", "fieldtype": "jira", "fieldId": "assignee",
                                                 "from": CORA_ID, "fromString": "Cora Commander",
                                                 "to": None, "toString": None}]},
    }  # fmt: skip
    jsonschema.validate(payload, WEBHOOK)  # as Atlassian documents it
    body = json.dumps(payload).encode()

    answer = client_for(None).post(
        reverse("incidents:tracker_webhook", args=[connection.pk]), data=body, content_type="application/json",
        HTTP_X_ATLASSIAN_WEBHOOK_IDENTIFIER="wh-1", HTTP_X_HUB_SIGNATURE=setup.sign(body),
    )  # fmt: skip

    assert answer.status_code == 200
    item.refresh_from_db()
    assert item.owner is None
    assert item.status == ActionItemStatus.OPEN
    assert setup.entries(incident)[-1].endswith("has no owner now: its issue OPS-7 was unassigned in Jira.")
