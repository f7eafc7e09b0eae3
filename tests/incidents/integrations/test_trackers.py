"""Issue-tracker sync, by contract: GitHub Issues and Jira Cloud.

A recording server on loopback stands in for each tracker's REST API; the requests Hindsight sends are
checked against the shapes of GitHub's "Create an issue" (REST 2022-11-28) and Jira's "Create issue"
(REST v3). Webhook payloads follow each tracker's documented `issues` / `jira:issue_updated` payloads and
are signed as the trackers sign them (HMAC-SHA256 of the raw body, `sha256=<hex>`). Each test drives an
action item as a user sees it: the item page, its status and owner, and the incident's timeline.
"""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.urls import reverse

from incidents.integrations.trackers.base import hmac_sha256_matches
from incidents.integrations.trackers.configuration import tracker_connection_save
from incidents.integrations.trackers.credentials import decrypt
from incidents.integrations.trackers.services import tracker_reconcile
from incidents.models import (
    ActionItem,
    ActionItemStatus,
    TrackerDelivery,
    TrackerIssue,
    Visibility,
)
from tests.factories import ActionItemFactory, IncidentFactory
from tests.incidents.integrations import tracker_setup as setup

pytestmark = pytest.mark.django_db


def test_the_signature_is_githubs_documented_example():
    # docs.github.com "Validating webhook deliveries", "Testing the webhook payload validation".
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert hmac_sha256_matches("It's a Secret to Everybody", b"Hello, World!", expected)
    assert not hmac_sha256_matches("It's a Secret to Everybody", b"Hello, World?", expected)
    assert not hmac_sha256_matches("It's a Secret to Everybody", b"Hello, World!", "")


def test_github_create_close_reopen_and_assign_each_land_once(
    client_for, team, lead, commander, responder, incident, tracker_server
):
    connection = setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander, title="Add a second check",
                             description="Before `rm -rf` on a database host.")  # fmt: skip
    tracker_server.answers[("POST", "/repos/acme/web/issues")] = (
        201, {"id": 1, "number": 12, "html_url": "https://github.com/acme/web/issues/12", "state": "open"},
    )  # fmt: skip
    web = client_for(commander)
    page = web.get(reverse("incidents:action_item_detail", args=[item.pk]))
    assert "Create in tracker" in page.content.decode()
    web.post(reverse("incidents:action_item_tracker", args=[item.pk]))

    sent = tracker_server.requests[-1]
    assert (sent.method, sent.path) == ("POST", "/repos/acme/web/issues")
    assert sent.headers["Accept"] == "application/vnd.github+json"
    assert sent.headers["Authorization"] == f"Bearer {setup.TOKEN}"
    assert sent.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert set(sent.json) <= {"title", "body", "assignee", "milestone", "labels", "assignees"}  # the schema's
    assert sent.json["title"] == "Add a second check"
    assert sent.json["assignees"] == ["cora-gh"]
    assert f"/action-items/{item.pk}/" in sent.json["body"]
    assert item.due_date.isoformat() in sent.json["body"]
    page = web.get(reverse("incidents:action_item_detail", args=[item.pk])).content.decode()
    assert "acme/web#12" in page
    assert "Create in tracker" not in page
    assert setup.entries(incident)[-1].endswith("opened in GitHub as acme/web#12.")
    before = len(setup.entries(incident))

    hook = client_for(None)
    assert (
        setup.github_hook(hook, connection, "closed", 12, state="closed", delivery="d-close").status_code
        == 200
    )
    assert setup.github_hook(hook, connection, "closed", 12, state="closed", delivery="d-close").json()[
        "duplicate"
    ]
    item.refresh_from_db()
    assert item.status == ActionItemStatus.DONE
    assert "https://github.com/acme/web/issues/12" in item.completion_note  # the issue is the evidence
    assert len(setup.entries(incident)) == before + 1

    setup.github_hook(hook, connection, "reopened", 12, state="open", delivery="d-reopen")
    item.refresh_from_db()
    assert item.status == ActionItemStatus.OPEN
    setup.github_hook(hook, connection, "assigned", 12, state="open", assignee="octocat", delivery="d-assign")
    item.refresh_from_db()
    assert item.owner == responder  # by the mapping octocat = responder@example.com
    entries = setup.entries(incident)
    assert len(entries) == before + 3
    assert "reopened" in entries[-2]
    assert "assigned to Rory Responder" in entries[-1]
    # A late redelivery of the close (same delivery id) changes nothing.
    setup.github_hook(hook, connection, "closed", 12, state="closed", delivery="d-close")
    item.refresh_from_db()
    assert item.status == ActionItemStatus.OPEN
    assert len(setup.entries(incident)) == before + 3


def test_a_bad_or_missing_signature_is_refused_and_nothing_is_stored(
    client_for, team, lead, incident, tracker_server
):
    connection = setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team)
    TrackerIssue.objects.create(action_item=item, connection=connection, key="acme/web#3", external_id="3",
                                url="https://github.com/acme/web/issues/3", seen={"status": "open"},
                                agreed={"status": "open", "owner": None, "due_date": None})  # fmt: skip
    hook = client_for(None)
    bad = setup.github_hook(hook, connection, "closed", 3, state="closed", secret="not-the-secret")
    assert bad.status_code == 401
    unsigned = hook.post(reverse("incidents:tracker_webhook", args=[connection.pk]), data=b"{}",
                         content_type="application/json", HTTP_X_GITHUB_EVENT="issues")  # fmt: skip
    assert unsigned.status_code == 401
    item.refresh_from_db()
    assert item.status == ActionItemStatus.OPEN
    assert not TrackerDelivery.objects.exists()
    assert hook.post(reverse("incidents:tracker_webhook", args=[987654]), data=b"{}",
                     content_type="application/json").status_code == 404  # fmt: skip


def test_jira_create_close_reopen_assignee_and_due_date(
    client_for, api_for, team, lead, commander, responder, incident, tracker_server
):
    connection = setup.jira(team, lead, tracker_server)
    item = ActionItemFactory(
        incident=incident, team=team, owner=commander, title="Page the DBA on replication lag"
    )
    tracker_server.answers[("POST", "/rest/api/3/issue")] = (
        201, {"id": "10002", "key": "OPS-7", "self": f"{tracker_server.url}/rest/api/3/issue/10002"},
    )  # fmt: skip
    created = api_for(commander).post(reverse("api:action-item-tracker", args=[item.pk]), {}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["key"] == "OPS-7"
    assert created.json()["tracker"] == "Jira"
    assert created.json()["synced_at"].endswith("Z")

    sent = tracker_server.requests[-1]
    assert (sent.method, sent.path) == ("POST", "/rest/api/3/issue")
    assert (
        sent.headers["Authorization"]
        == "Basic " + base64.b64encode(b"bot@example.com:jira-api-token").decode()
    )
    fields = sent.json["fields"]
    assert fields["project"] == {"key": "OPS"}
    assert fields["issuetype"] == {"name": "Task"}
    assert fields["summary"] == "Page the DBA on replication lag"
    assert fields["duedate"] == item.due_date.isoformat()
    assert fields["description"]["type"] == "doc"
    assert fields["description"]["version"] == 1
    link = fields["description"]["content"][-1]["content"][-1]
    assert link["marks"][0]["attrs"]["href"].endswith(f"/action-items/{item.pk}/")
    assert api_for(commander).get(reverse("api:action-item-tracker", args=[item.pk])).json()["key"] == "OPS-7"

    hook = client_for(None)
    before = len(setup.entries(incident))
    done = [
        {
            "field": "status",
            "fieldtype": "jira",
            "from": "10000",
            "fromString": "To Do",
            "to": "10001",
            "toString": "Done",
        }
    ]
    assert (
        setup.jira_hook(
            hook, connection, "OPS-7", done, delivery="j-done", category="done", status="Done"
        ).status_code
        == 200
    )
    item.refresh_from_db()
    assert item.status == ActionItemStatus.DONE
    assert "/browse/OPS-7" in item.completion_note
    back = [
        {
            "field": "status",
            "fieldtype": "jira",
            "from": "10001",
            "fromString": "Done",
            "to": "10000",
            "toString": "To Do",
        }
    ]
    setup.jira_hook(hook, connection, "OPS-7", back, delivery="j-back")
    item.refresh_from_db()
    assert item.status == ActionItemStatus.OPEN
    person = {
        "accountId": "5b10ac8d82e05b22cc7d4ef5",
        "emailAddress": "responder@example.com",
        "displayName": "Rory",
    }
    assign = [
        {
            "field": "assignee",
            "fieldtype": "jira",
            "fieldId": "assignee",
            "from": None,
            "to": person["accountId"],
        }
    ]
    setup.jira_hook(hook, connection, "OPS-7", assign, delivery="j-assign", assignee=person)
    assert item.due_date is not None
    new_due = (item.due_date + dt.timedelta(days=7)).isoformat()
    due = [{"field": "duedate", "fieldtype": "jira", "fieldId": "duedate", "from": None, "to": new_due}]
    setup.jira_hook(hook, connection, "OPS-7", due, delivery="j-due", assignee=person, due=new_due)
    setup.jira_hook(hook, connection, "OPS-7", due, delivery="j-due", assignee=person, due=new_due)  # a retry
    item.refresh_from_db()
    assert item.owner == responder
    assert item.due_date.isoformat() == new_due
    assert len(setup.entries(incident)) == before + 4


def test_a_field_changed_on_both_sides_is_shown_and_never_applied_silently(
    client_for, team, lead, commander, incident, tracker_server
):
    connection = setup.jira(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    tracker_server.answers[("POST", "/rest/api/3/issue")] = (201, {"id": "10003", "key": "OPS-8"})
    web = client_for(commander)
    web.post(reverse("incidents:action_item_tracker", args=[item.pk]))
    assert item.due_date is not None
    ours = item.due_date + dt.timedelta(days=3)
    web.post(reverse("incidents:action_item_edit", args=[item.pk]), {
        "title": item.title, "owner": commander.pk, "due_date": ours.isoformat(), "priority": item.priority,
        "type": item.type, "version": ActionItem.objects.get(pk=item.pk).version,
    })  # fmt: skip
    item.refresh_from_db()
    assert item.due_date == ours
    theirs = (item.due_date + dt.timedelta(days=10)).isoformat()
    due = [{"field": "duedate", "fieldtype": "jira", "from": None, "to": theirs}]
    hooked = setup.jira_hook(client_for(None), connection, "OPS-8", due, delivery="j-both", due=theirs)
    assert hooked.status_code == 200, hooked.content
    assert hooked.json()["applied"] == {"OPS-8": []}
    item.refresh_from_db()
    assert item.due_date == ours  # not applied
    page = web.get(reverse("incidents:action_item_detail", args=[item.pk])).content.decode()
    assert "Due date changed on both sides" in page
    assert "Keep Hindsight's" in page
    assert theirs in page
    setup.settle(web, item, "due_date", "tracker")
    item.refresh_from_db()
    assert item.due_date.isoformat() == theirs
    assert (
        "changed on both sides"
        not in web.get(reverse("incidents:action_item_detail", args=[item.pk])).content.decode()
    )


def test_the_sweep_catches_a_missed_webhook_once(team, lead, commander, incident, tracker_server):
    connection = setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    TrackerIssue.objects.create(action_item=item, connection=connection, key="acme/web#5", external_id="5",
                                url="https://github.com/acme/web/issues/5", seen={"status": "open"},
                                agreed={"status": "open", "owner": commander.pk, "due_date": None})  # fmt: skip
    tracker_server.answers[("GET", "/repos/acme/web/issues/5")] = (
        200,
        {"number": 5, "state": "closed", "assignee": {"login": "cora-gh", "id": 2, "type": "User"}},
    )
    assert tracker_reconcile().applied == 1
    item.refresh_from_db()
    assert item.status == ActionItemStatus.DONE
    entries = len(setup.entries(incident))
    assert tracker_reconcile().applied == 0  # nothing new: nothing changes
    assert len(setup.entries(incident)) == entries
    assert tracker_server.requests[-1].headers["Authorization"] == f"Bearer {setup.TOKEN}"


def test_the_sweep_opens_issues_for_p1_items_but_not_on_restricted_incidents(
    team, lead, commander, incident, tracker_server
):
    setup.github(team, lead, tracker_server, auto_create_p1=True)
    p1 = ActionItemFactory(incident=incident, team=team, priority="P1")
    ActionItemFactory(incident=incident, team=team, priority="P2")
    secret_incident = IncidentFactory(title="Hidden", visibility=Visibility.RESTRICTED)
    ActionItemFactory(incident=secret_incident, team=team, priority="P1")
    tracker_server.answers[("POST", "/repos/acme/web/issues")] = (
        201,
        {"number": 40, "html_url": "https://github.com/acme/web/issues/40"},
    )
    tracker_server.answers[("GET", "/repos/acme/web/issues/40")] = (200, {"number": 40, "state": "open"})
    assert tracker_reconcile().created == 1
    assert list(TrackerIssue.objects.values_list("action_item_id", flat=True)) == [p1.pk]


def test_items_on_a_restricted_incident_never_go_to_a_tracker(
    api_for, client_for, team, lead, commander, incident, tracker_server
):
    setup.github(team, lead, tracker_server)
    incident.visibility = Visibility.RESTRICTED
    incident.save()
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    answer = api_for(commander).post(reverse("api:action-item-tracker", args=[item.pk]), {}, format="json")
    assert answer.status_code == 403
    page = client_for(commander).get(reverse("incidents:action_item_detail", args=[item.pk])).content.decode()
    assert "Create in tracker" not in page
    assert "restricted incident" in page
    assert tracker_server.requests == []
    assert not TrackerIssue.objects.exists()


def test_a_tracker_error_is_said_and_nothing_is_stored(
    api_for, team, lead, commander, incident, tracker_server
):
    setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team)
    tracker_server.answers[("POST", "/repos/acme/web/issues")] = (401, {"message": "Bad credentials"})
    answer = api_for(commander).post(reverse("api:action-item-tracker", args=[item.pk]), {}, format="json")
    assert answer.status_code == 400
    assert "Bad credentials" in answer.json()["tracker"][0]
    assert not TrackerIssue.objects.exists()


def test_a_loopback_tracker_is_refused_without_the_test_setting(team, lead):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        tracker_connection_save(
            actor=lead, team=team, kind="github", site_url="http://127.0.0.1:9/", project="a/b", token="x"
        )
    assert "site_url" in refused.value.message_dict


def test_settings_page_stores_credentials_encrypted_and_shows_the_secret_once(client_for, team, lead, viewer):
    url = reverse("incidents:tracker_list")
    assert client_for(viewer).get(url).status_code == 403
    web = client_for(lead)
    answer = web.post(url, {
        "team": team.pk, "kind": "jira", "site_url": "https://acme.atlassian.net", "project": "OPS",
        "username": "bot@example.com", "issue_type": "Task", "token": "jira-secret-token",
        "user_map": "5b10ac8d = responder@example.com", "is_active": "on",
    })  # fmt: skip
    assert answer.status_code == 200
    connection = team.tracker
    shown = answer.content.decode()
    secret = decrypt(connection.webhook_secret_encrypted)
    assert secret in shown
    assert reverse("incidents:tracker_webhook", args=[connection.pk]) in shown
    assert "jira-secret-token" not in connection.token_encrypted
    assert decrypt(connection.token_encrypted) == "jira-secret-token"
    assert connection.user_map == {"5b10ac8d": "responder@example.com"}
    edit = web.get(reverse("incidents:tracker_edit", args=[connection.pk])).content.decode()
    assert "jira-secret-token" not in edit
    assert secret not in edit
    bad = web.post(url, {"team": team.pk, "kind": "github", "site_url": "https://api.github.com", "project": "no slash",
                         "user_map": "just-a-login", "is_active": "on"})  # fmt: skip
    assert bad.status_code == 400
    assert "Line 1" in bad.content.decode()


def test_the_item_page_with_its_tracker_issue_stays_within_its_query_budget(
    client_for, django_assert_max_num_queries, team, lead, commander, incident, tracker_server
):
    connection = setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    TrackerIssue.objects.create(
        action_item=item, connection=connection, key="acme/web#9", external_id="9",
        url="https://github.com/acme/web/issues/9", remote_status="open",
        conflicts={"owner": {"tracker": None, "label": "nobody"}, "status": {"tracker": "closed", "label": "closed"}},
    )  # fmt: skip
    web = client_for(commander)
    url = reverse("incidents:action_item_detail", args=[item.pk])
    web.get(url)
    with django_assert_max_num_queries(8):
        page = web.get(url).content.decode()
    assert "acme/web#9" in page
    assert page.count("changed on both sides") == 2


def test_an_issue_address_that_is_not_a_web_address_is_never_linked(
    api_for, team, lead, commander, incident, tracker_server
):
    setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team)
    tracker_server.answers[("POST", "/repos/acme/web/issues")] = (
        201,
        {"number": 13, "html_url": "javascript:alert(1)"},
    )
    assert (
        api_for(commander)
        .post(reverse("api:action-item-tracker", args=[item.pk]), {}, format="json")
        .status_code
        == 201
    )
    assert TrackerIssue.objects.get().url == ""
    item.refresh_from_db()
    assert item.tracker_url == ""


def test_an_item_from_a_policy_finding_on_a_restricted_incident_never_goes_to_a_tracker(
    api_for, client_for, team, lead, commander, responder, tracker_server
):
    from tests.factories import PolicyFindingFactory

    setup.github(team, lead, tracker_server, auto_create_p1=True)
    secret_incident = IncidentFactory(title="Hidden", visibility=Visibility.RESTRICTED)
    finding = PolicyFindingFactory(title="One person can drop production", owner=commander, team=team)
    finding.incidents.add(secret_incident)
    item = ActionItemFactory(incident=None, finding=finding, team=team, owner=commander, priority="P1")
    # The item's owner may change it, but not send it out; a responder outside the incident sees nothing.
    answer = api_for(commander).post(reverse("api:action-item-tracker", args=[item.pk]), {}, format="json")
    assert answer.status_code == 403
    page = client_for(commander).get(reverse("incidents:action_item_detail", args=[item.pk])).content.decode()
    assert "Create in tracker" not in page
    assert "restricted incident" in page
    outside = api_for(responder).post(reverse("api:action-item-tracker", args=[item.pk]), {}, format="json")
    assert outside.status_code == 404
    assert tracker_reconcile().created == 0  # nor automatically, as a P1 item
    assert tracker_server.requests == []
    assert not TrackerIssue.objects.exists()


def _history_reasons(item) -> list[str]:
    from incidents.history import history_for

    return [r.reason for r in history_for(ActionItem.objects.get(pk=item.pk))]


def test_keeping_hindsights_due_date_sets_it_on_the_jira_issue_and_in_the_items_history(
    client_for, team, lead, commander, incident, tracker_server
):
    connection = setup.jira(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    tracker_server.answers[("POST", "/rest/api/3/issue")] = (201, {"id": "10004", "key": "OPS-9"})
    tracker_server.answers[("PUT", "/rest/api/3/issue/OPS-9")] = (204, None)  # Jira's "Edit issue"
    web = client_for(commander)
    web.post(reverse("incidents:action_item_tracker", args=[item.pk]))
    assert item.due_date is not None
    ours = item.due_date + dt.timedelta(days=3)
    web.post(reverse("incidents:action_item_edit", args=[item.pk]), {
        "title": item.title, "owner": commander.pk, "due_date": ours.isoformat(), "priority": item.priority,
        "type": item.type, "version": ActionItem.objects.get(pk=item.pk).version,
    })  # fmt: skip
    theirs = (item.due_date + dt.timedelta(days=10)).isoformat()
    due = [{"field": "duedate", "fieldtype": "jira", "from": None, "to": theirs}]
    setup.jira_hook(client_for(None), connection, "OPS-9", due, delivery="j-both", due=theirs)
    entries = len(setup.entries(incident))

    setup.settle(web, item, "due_date", "hindsight")
    sent = tracker_server.requests[-1]
    assert (sent.method, sent.path) == ("PUT", "/rest/api/3/issue/OPS-9")
    assert sent.json == {"fields": {"duedate": ours.isoformat()}}
    assert sent.headers["Authorization"].startswith("Basic ")
    item.refresh_from_db()
    assert item.due_date == ours
    page = web.get(reverse("incidents:action_item_detail", args=[item.pk])).content.decode()
    assert "changed on both sides" not in page
    assert f"due {ours.isoformat()}" in page  # the issue as Hindsight left it
    assert any(
        f"Kept Hindsight's due date ({ours.isoformat()}) and set it in Jira on OPS-9" in r
        for r in _history_reasons(item)
    )
    # Jira's webhook for the change Hindsight made changes nothing and raises no new conflict.
    echo = [{"field": "duedate", "fieldtype": "jira", "from": theirs, "to": ours.isoformat()}]
    setup.jira_hook(client_for(None), connection, "OPS-9", echo, delivery="j-echo", due=ours.isoformat())
    assert TrackerIssue.objects.get().conflicts == {}
    assert len(setup.entries(incident)) == entries


def test_keeping_hindsights_status_moves_the_jira_issue_through_its_workflow(
    client_for, team, lead, commander, incident, tracker_server
):
    connection = setup.jira(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander, status=ActionItemStatus.DONE)
    TrackerIssue.objects.create(action_item=item, connection=connection, key="OPS-10", external_id="10010",
                                url=f"{tracker_server.url}/browse/OPS-10", seen={"status": "closed"},
                                agreed={"status": "open", "owner": commander.pk, "due_date": None},
                                conflicts={"status": {"tracker": "open", "label": "open"}})  # fmt: skip
    # Jira's "Get transitions" answer: the ids are the workflow's own.
    tracker_server.answers[("GET", "/rest/api/3/issue/OPS-10/transitions")] = (200, {"transitions": [
        {"id": "11", "name": "Start", "to": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}}},
        {"id": "31", "name": "Finish", "to": {"name": "Done", "statusCategory": {"key": "done"}}},
    ]})  # fmt: skip
    tracker_server.answers[("POST", "/rest/api/3/issue/OPS-10/transitions")] = (204, None)
    web = client_for(commander)
    setup.settle(web, item, "status", "hindsight")
    sent = tracker_server.requests[-1]
    assert (sent.method, sent.path, sent.json) == (
        "POST", "/rest/api/3/issue/OPS-10/transitions", {"transition": {"id": "31"}},
    )  # fmt: skip
    issue = TrackerIssue.objects.get()
    assert issue.conflicts == {}
    assert issue.remote_closed


def test_keeping_hindsights_owner_and_status_updates_the_github_issue(
    client_for, team, lead, commander, responder, incident, tracker_server
):
    connection = setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=responder)
    TrackerIssue.objects.create(action_item=item, connection=connection, key="acme/web#21", external_id="21",
                                url="https://github.com/acme/web/issues/21", seen={"status": "closed", "owner": None},
                                agreed={"status": "closed", "owner": commander.pk, "due_date": None},
                                conflicts={"owner": {"tracker": None, "label": "nobody"},
                                           "status": {"tracker": "closed", "label": "closed (done)"}})  # fmt: skip
    tracker_server.answers[("PATCH", "/repos/acme/web/issues/21")] = (200, {"number": 21, "state": "open"})
    web = client_for(commander)
    setup.settle(web, item, "owner", "hindsight")
    setup.settle(web, item, "status", "hindsight")
    patches = [r for r in tracker_server.requests if r.method == "PATCH"]
    assert [r.path for r in patches] == ["/repos/acme/web/issues/21"] * 2
    # GitHub's "Update an issue" body: only fields of its schema.
    assert patches[0].json == {"assignees": ["octocat"]}  # responder@example.com's login in the user map
    assert patches[1].json == {"state": "open", "state_reason": "reopened"}
    for r in patches:
        assert set(r.json) <= {
            "title",
            "body",
            "assignee",
            "state",
            "state_reason",
            "milestone",
            "labels",
            "assignees",
        }
        assert r.headers["X-GitHub-Api-Version"] == "2022-11-28"
    reasons = _history_reasons(item)
    assert any(
        "Kept Hindsight's owner (Rory Responder) and set it in GitHub on acme/web#21" in r for r in reasons
    )
    assert any("Kept Hindsight's status (open) and set it in GitHub" in r for r in reasons)


def test_a_tracker_that_refuses_the_push_back_leaves_the_conflict_shown(
    client_for, team, lead, commander, incident, tracker_server
):
    connection = setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    TrackerIssue.objects.create(action_item=item, connection=connection, key="acme/web#22", external_id="22",
                                url="https://github.com/acme/web/issues/22", seen={"status": "closed"},
                                agreed={"status": "closed", "owner": commander.pk, "due_date": None},
                                conflicts={"status": {"tracker": "closed", "label": "closed (done)"}})  # fmt: skip
    tracker_server.answers[("PATCH", "/repos/acme/web/issues/22")] = (
        403,
        {"message": "Resource not accessible"},
    )
    web = client_for(commander)
    answer = setup.settle(web, item, "status", "hindsight", follow=True)
    assert "Resource not accessible" in answer.content.decode()
    assert "Status changed on both sides" in answer.content.decode()
    assert TrackerIssue.objects.get().conflicts.keys() == {"status"}


def test_keeping_hindsights_value_of_an_item_restricted_since_sends_nothing(
    client_for, team, lead, commander, incident, tracker_server
):
    connection = setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    TrackerIssue.objects.create(action_item=item, connection=connection, key="acme/web#23", external_id="23",
                                url="https://github.com/acme/web/issues/23", seen={"status": "closed"},
                                agreed={"status": "closed", "owner": commander.pk, "due_date": None},
                                conflicts={"status": {"tracker": "closed", "label": "closed (done)"}})  # fmt: skip
    incident.visibility = Visibility.RESTRICTED
    incident.save()
    setup.settle(client_for(commander), item, "status", "hindsight")
    assert tracker_server.requests == []
    assert TrackerIssue.objects.get().conflicts == {}
    assert any("not set in GitHub" in r and "restricted" in r for r in _history_reasons(item))


def test_moving_a_tracker_to_another_address_needs_the_token_again(client_for, team, lead, tracker_server):
    from django.core.exceptions import ValidationError

    connection = setup.github(team, lead, tracker_server)
    with pytest.raises(ValidationError) as refused:
        tracker_connection_save(actor=lead, team=team, kind="github", site_url="https://github.example.com/api/v3",
                                project="acme/web", token="")  # fmt: skip
    assert "token" in refused.value.message_dict
    with pytest.raises(ValidationError):
        tracker_connection_save(actor=lead, team=team, kind="jira", site_url=tracker_server.url, project="OPS",
                                username="bot@example.com", token="")  # fmt: skip
    connection.refresh_from_db()
    assert decrypt(connection.token_encrypted) == setup.TOKEN  # the stored token stays with its address
    # The same address with the token left empty keeps it.
    tracker_connection_save(actor=lead, team=team, kind="github", site_url=tracker_server.url + "/",
                            project="acme/web", token="")  # fmt: skip
    moved, _ = tracker_connection_save(actor=lead, team=team, kind="github",
                                       site_url="https://github.example.com/api/v3", project="acme/web", token="ghp_new")  # fmt: skip
    assert decrypt(moved.token_encrypted) == "ghp_new"


def test_a_tracker_never_hands_an_item_to_someone_who_may_not_see_it(
    client_for, team, lead, commander, responder, incident, tracker_server
):
    connection = setup.github(team, lead, tracker_server)
    incident.visibility = Visibility.RESTRICTED  # restricted after the issue was opened
    incident.save()
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    TrackerIssue.objects.create(action_item=item, connection=connection, key="acme/web#30", external_id="30",
                                url="https://github.com/acme/web/issues/30", seen={"status": "open", "owner": commander.pk},
                                agreed={"status": "open", "owner": commander.pk, "due_date": None})  # fmt: skip
    # octocat is responder@example.com, who is not in the restricted incident.
    hooked = setup.github_hook(client_for(None), connection, "assigned", 30, state="open", assignee="octocat")
    assert hooked.status_code == 200
    assert hooked.json()["applied"] == {"acme/web#30": []}
    item.refresh_from_db()
    assert item.owner == commander
    assert "may not see" in TrackerIssue.objects.get().conflicts["owner"]["error"]
    assert (
        client_for(responder).get(reverse("incidents:action_item_detail", args=[item.pk])).status_code == 404
    )


@pytest.mark.parametrize("project", ["../..", "acme/..", "./web", "acme/web/x"])
def test_a_repository_that_is_a_path_is_refused(team, lead, project):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        tracker_connection_save(
            actor=lead,
            team=team,
            kind="github",
            site_url="https://api.github.com",
            project=project,
            token="x",
        )
    assert "project" in refused.value.message_dict


def test_an_issue_number_that_is_not_a_number_is_refused_and_nothing_stored(
    api_for, team, lead, commander, incident, tracker_server
):
    setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team)
    tracker_server.answers[("POST", "/repos/acme/web/issues")] = (201, {"number": "201/../../../evil"})
    answer = api_for(commander).post(reverse("api:action-item-tracker", args=[item.pk]), {}, format="json")
    assert answer.status_code == 400
    assert not TrackerIssue.objects.exists()


def test_one_missing_issue_does_not_stop_the_sweep_for_the_others(
    team, lead, commander, incident, tracker_server
):
    connection = setup.github(team, lead, tracker_server)
    gone = ActionItemFactory(incident=incident, team=team, owner=commander)
    kept = ActionItemFactory(incident=incident, team=team, owner=commander)
    for item, number in ((gone, 7), (kept, 8)):
        TrackerIssue.objects.create(action_item=item, connection=connection, key=f"acme/web#{number}",
                                    external_id=str(number), url=f"https://github.com/acme/web/issues/{number}",
                                    seen={"status": "open"}, agreed={"status": "open", "owner": commander.pk, "due_date": None})  # fmt: skip
    tracker_server.answers[("GET", "/repos/acme/web/issues/8")] = (200, {"number": 8, "state": "closed"})
    result = tracker_reconcile()  # issue 7 answers 404
    assert result.applied == 1
    assert any("acme/web#7" in e for e in result.errors)
    kept.refresh_from_db()
    assert kept.status == ActionItemStatus.DONE


def test_a_signed_body_nested_thousands_deep_is_refused_with_400(client_for, team, lead, tracker_server):
    # Found by an outside tester: a correctly signed body of 5,000 nested objects answered 500.
    connection = setup.github(team, lead, tracker_server)
    body = b'{"a":' * 5000 + b"1" + b"}" * 5000
    answer = client_for(None).post(
        reverse("incidents:tracker_webhook", args=[connection.pk]), data=body, content_type="application/json",
        HTTP_X_GITHUB_EVENT="issues", HTTP_X_GITHUB_DELIVERY="nested-1", HTTP_X_HUB_SIGNATURE_256=setup.sign(body),
    )  # fmt: skip
    assert answer.status_code == 400
    assert not TrackerDelivery.objects.exists()
