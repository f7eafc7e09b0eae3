"""What the tracker sync answers: a webhook says in words what it did (an unknown issue, an event it does
not read), a second "Create in tracker" while one is being opened is a 409 with a message, and the
item's `synced_at` moves when Hindsight sets a field in Jira.

A recording server on loopback stands in for the trackers' REST APIs (tracker_setup.py).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from incidents.integrations.trackers import tasks  # noqa: F401 - registers push_to_tracker
from incidents.models import ActionItem, TrackerIssue, TrackerIssueClaim
from tests.factories import ActionItemFactory
from tests.incidents.integrations import tracker_setup as setup

pytestmark = pytest.mark.django_db


def test_a_webhook_for_an_issue_no_item_is_linked_to_says_so(client_for, team, lead, tracker_server):
    connection = setup.github(team, lead, tracker_server)
    answer = setup.github_hook(client_for(None), connection, "closed", 99, state="closed")
    assert answer.status_code == 200
    assert answer.json() == {
        "detail": "No action item is linked to acme/web#99 in GitHub: ignored.",
        "duplicate": False, "applied": {}, "unknown": ["acme/web#99"],
    }  # fmt: skip


def test_a_webhook_of_an_event_hindsight_does_not_read_says_why_nothing_was_applied(
    client_for, team, lead, tracker_server
):
    connection = setup.github(team, lead, tracker_server)
    body = json.dumps({"zen": "Design for failure.", "hook_id": 1}).encode()
    answer = client_for(None).post(
        reverse("incidents:tracker_webhook", args=[connection.pk]), data=body, content_type="application/json",
        HTTP_X_GITHUB_EVENT="ping", HTTP_X_GITHUB_DELIVERY="d-ping", HTTP_X_HUB_SIGNATURE_256=setup.sign(body),
    )  # fmt: skip
    assert answer.json()["detail"].startswith("Nothing to apply: not an event about an issue of acme/web")
    again = setup.github_hook(client_for(None), connection, "closed", 99, state="closed", delivery="d-ping")
    assert again.json()["detail"] == "This delivery was applied before: nothing changed."


def test_create_in_tracker_while_another_request_is_opening_it_is_a_409_with_a_message(
    api_for, team, lead, commander, responder, incident, tracker_server
):
    connection = setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    TrackerIssueClaim.objects.create(action_item=item, connection=connection, claimed_by=responder)
    answer = api_for(commander).post(reverse("api:action-item-tracker", args=[item.pk]), {}, format="json")
    assert answer.status_code == 409
    assert answer.json()["detail"].startswith("Rory Responder is opening it in the tracker right now")
    assert tracker_server.requests == []

    setup.linked(connection, item, 12)
    answer = api_for(commander).post(reverse("api:action-item-tracker", args=[item.pk]), {}, format="json")
    assert answer.status_code == 409
    assert answer.json() == {
        "detail": "This action item is in the tracker already.",
        "current": {"key": "acme/web#12"},
    }


def test_synced_at_moves_when_a_field_is_set_in_jira_even_if_jiras_read_lags(
    api_for, client_for, eager_celery, django_capture_on_commit_callbacks, team, lead, commander, incident,
    tracker_server,
):  # fmt: skip
    connection = setup.jira(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    assert item.due_date is not None
    due = item.due_date.isoformat()
    before = timezone.now() - dt.timedelta(hours=2)
    TrackerIssue.objects.create(
        action_item=item, connection=connection, key="OPS-9", external_id="10009",
        url="https://acme.atlassian.net/browse/OPS-9", seen={"status": "open", "due_date": due, "title": item.title},
        agreed={"status": "open", "owner": commander.pk, "due_date": due, "title": item.title},
        synced_at=before, remote_updated_at=dt.datetime(2026, 12, 1, 10, 5, tzinfo=dt.UTC),  # a webhook's time
    )  # fmt: skip
    issue = setup.jira_issue("OPS-9", due=due, updated=setup.EARLY)  # a read from before that webhook
    issue["fields"]["summary"] = item.title
    tracker_server.answers[("GET", "/rest/api/3/issue/OPS-9")] = (200, issue)
    tracker_server.answers[("PUT", "/rest/api/3/issue/OPS-9")] = (204, None)
    later = (item.due_date + dt.timedelta(days=2)).isoformat()
    pushed_at = timezone.now().replace(microsecond=0) + dt.timedelta(minutes=1)
    with time_machine.travel(pushed_at, tick=False), django_capture_on_commit_callbacks(execute=True):
        client_for(commander).post(reverse("incidents:action_item_edit", args=[item.pk]), {
            "title": item.title, "owner": commander.pk, "due_date": later, "priority": item.priority,
            "type": item.type, "version": ActionItem.objects.get(pk=item.pk).version,
        })  # fmt: skip
    assert tracker_server.requests[-1].json == {"fields": {"duedate": later}}
    shown = api_for(commander).get(reverse("api:action-item-tracker", args=[item.pk])).json()
    assert shown["synced_at"] == pushed_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
