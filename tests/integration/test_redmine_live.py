"""The tracker sync loop against a real Redmine on this machine (issue 20): Debian's `redmine` package,
started by `scripts/redmine_for_tests.sh` (`eval "$(scripts/redmine_for_tests.sh)"` sets REDMINE_URL,
REDMINE_API_KEY and REDMINE_USERS; without them the test is skipped, or fails under REQUIRE_SERVICES=1).

Hindsight opens the item's issue; a person closes, reopens and reassigns it in Redmine (its REST API, as
its web page would); the sweep brings each change to the item once, with its timeline entry; Hindsight's
own rename and new due date reach the issue on save; a due date changed on both sides becomes a conflict
on the item and Redmine keeps its own.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import urllib.request
from typing import Any

import pytest
from django.urls import reverse

from incidents.integrations.trackers import tasks  # noqa: F401 - registers push_to_tracker with Celery
from incidents.integrations.trackers.configuration import tracker_connection_save
from incidents.integrations.trackers.services import tracker_reconcile
from incidents.models import ActionItem, ActionItemStatus, TimelineEntry, TrackerIssue
from tests.conftest import require_service
from tests.factories import ActionItemFactory, MembershipFactory, UserFactory

URL = os.environ.get("REDMINE_URL", "").rstrip("/")
KEY = os.environ.get("REDMINE_API_KEY", "")
USERS = dict(p.split(":", 1) for p in os.environ.get("REDMINE_USERS", "").split(",") if ":" in p)


def _redmine(method: str, path: str, body: Any = None) -> Any:
    """A request to Redmine as a person there would make it (the admin's API key)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - the test's own Redmine on loopback
        f"{URL}{path}", data=data, method=method,
        headers={"X-Redmine-API-Key": KEY, "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
        raw = response.read()
    return json.loads(raw) if raw.strip() else None


def _in_redmine(issue_id: str, **fields: Any) -> None:
    time.sleep(1.1)  # Redmine's `updated_on` has whole seconds: each change gets a later one
    _redmine("PUT", f"/issues/{issue_id}.json", {"issue": fields})


@pytest.fixture
def redmine(outbound_allowed):
    require_service("REDMINE_URL")
    assert KEY, "run scripts/redmine_for_tests.sh: it prints REDMINE_API_KEY"
    assert {"cora", "rory"} <= set(USERS), "run scripts/redmine_for_tests.sh: it prints REDMINE_USERS"
    outbound_allowed(URL)
    return URL


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_sync_loop_against_a_real_redmine(
    redmine,
    client_for,
    eager_celery,
    django_capture_on_commit_callbacks,
    team,
    commander,
    responder,
    incident,
):
    from accounts.models import Membership

    lead = UserFactory(email="lead@example.com", display_name="Lee Lead")
    MembershipFactory(user=lead, team=team, role=Membership.Role.LEAD)
    tracker_connection_save(
        actor=lead, team=team, kind="redmine", site_url=redmine, project="ops", token=KEY,
        user_map={USERS["cora"]: commander.email, USERS["rory"]: responder.email},
    )  # fmt: skip
    item = ActionItemFactory(incident=incident, team=team, owner=commander, title="Add a second check")
    assert item.due_date is not None
    web = client_for(commander)

    page = web.post(reverse("incidents:action_item_tracker", args=[item.pk]), follow=True).content.decode()
    issue = TrackerIssue.objects.get(action_item=item)
    assert f"Opened {issue.key} in the tracker." in page
    there = _redmine("GET", f"/issues/{issue.external_id}.json")["issue"]
    assert there["subject"] == "Add a second check"
    assert str(there["assigned_to"]["id"]) == USERS["cora"]
    assert there["due_date"] == item.due_date.isoformat()
    assert f"/action-items/{item.pk}/" in there["description"]
    entries = TimelineEntry.objects.filter(incident=incident).count()

    _in_redmine(issue.external_id, status_id=5)  # Closed
    tracker_reconcile()
    tracker_reconcile()  # nothing new: nothing changes
    item.refresh_from_db()
    assert item.status == ActionItemStatus.DONE
    _in_redmine(issue.external_id, status_id=1)  # New again
    tracker_reconcile()
    item.refresh_from_db()
    assert item.status == ActionItemStatus.OPEN
    _in_redmine(issue.external_id, assigned_to_id=int(USERS["rory"]))
    tracker_reconcile()
    item.refresh_from_db()
    assert item.owner == responder
    assert TimelineEntry.objects.filter(incident=incident).count() == entries + 3
    _in_redmine(issue.external_id, assigned_to_id="")  # unassigned: Redmine then leaves out assigned_to
    tracker_reconcile()
    tracker_reconcile()
    item.refresh_from_db()
    assert item.owner is None
    last = TimelineEntry.objects.filter(incident=incident).latest("id").body
    assert last.endswith(f"has no owner now: its issue {issue.key} was unassigned in Redmine.")
    assert TimelineEntry.objects.filter(incident=incident).count() == entries + 4
    _in_redmine(issue.external_id, assigned_to_id=int(USERS["rory"]))
    tracker_reconcile()
    item.refresh_from_db()
    assert item.owner == responder

    later = item.due_date + dt.timedelta(days=7)
    with django_capture_on_commit_callbacks(execute=True):
        web.post(reverse("incidents:action_item_edit", args=[item.pk]), {
            "title": "Add a second check before rm -rf", "owner": responder.pk, "due_date": later.isoformat(),
            "priority": item.priority, "type": item.type, "version": item.version,
        })  # fmt: skip
    there = _redmine("GET", f"/issues/{issue.external_id}.json")["issue"]
    assert (there["subject"], there["due_date"]) == ("Add a second check before rm -rf", later.isoformat())

    theirs, ours = later + dt.timedelta(days=3), later + dt.timedelta(days=5)
    _in_redmine(issue.external_id, due_date=theirs.isoformat())
    item.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        web.post(reverse("incidents:action_item_edit", args=[item.pk]), {
            "title": item.title, "owner": responder.pk, "due_date": ours.isoformat(),
            "priority": item.priority, "type": item.type, "version": item.version,
        })  # fmt: skip
    assert _redmine("GET", f"/issues/{issue.external_id}.json")["issue"]["due_date"] == theirs.isoformat()
    assert ActionItem.objects.get(pk=item.pk).due_date == ours
    page = web.get(reverse("incidents:action_item_detail", args=[item.pk])).content.decode()
    assert "Due date changed on both sides." in page
