"""Hindsight's own changes of an action item (title, status, owner, due date) reach its tracker issue on
save: one delivery record (`TrackerPush`) per saved version, sent once by a Celery task that reads the
issue first. A field changed in the tracker too since the last sync becomes a conflict shown on the item,
and is sent to neither side.

A recording server on loopback stands in for GitHub's and Jira's REST APIs (tracker_setup.py); the
requests are checked against "Get an issue" / "Update an issue" (GitHub) and "Get issue" / "Edit issue"
(Jira v3).
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from incidents.integrations.trackers import tasks  # registers push_to_tracker with the Celery app
from incidents.integrations.trackers.outbound import tracker_sync_sweep
from incidents.models import ActionItem, TrackerIssue, TrackerPush
from tests.factories import ActionItemFactory
from tests.incidents.integrations import tracker_setup as setup

pytestmark = pytest.mark.django_db


ISSUE = "/repos/acme/web/issues/12"


def _github_issue(title, *, state="open", assignee="cora-gh"):
    # "Get an issue" (REST 2022-11-28), trimmed to what Hindsight reads.
    return {
        "number": 12, "state": state, "state_reason": None, "title": title,
        "html_url": "https://github.com/acme/web/issues/12", "updated_at": "2026-12-01T10:00:00Z",
        "assignee": {"login": assignee, "id": 1, "type": "User"} if assignee else None,
    }  # fmt: skip


@pytest.fixture
def in_github(client_for, team, lead, commander, incident, tracker_server):
    """An item of the commander's, opened in GitHub as acme/web#12 through "Create in tracker"."""
    setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander, title="Add a second check")
    tracker_server.answers[("POST", "/repos/acme/web/issues")] = (
        201, {"id": 1, "number": 12, "html_url": "https://github.com/acme/web/issues/12", "state": "open"},
    )  # fmt: skip
    client_for(commander).post(reverse("incidents:action_item_tracker", args=[item.pk]))
    tracker_server.answers[("GET", ISSUE)] = (200, _github_issue("Add a second check"))
    tracker_server.answers[("PATCH", ISSUE)] = lambda r: (200, {**_github_issue("x"), **r.json})
    tracker_server.requests.clear()
    return ActionItem.objects.get(pk=item.pk)


def _edit(web, item, **changes):
    item = ActionItem.objects.get(pk=item.pk)
    form = {
        "title": item.title, "owner": item.owner_id or "", "due_date": item.due_date.isoformat(),
        "priority": item.priority, "type": item.type, "version": item.version, **changes,
    }  # fmt: skip
    return web.post(reverse("incidents:action_item_edit", args=[item.pk]), form)


def _sent(server):
    return [(r.method, r.path, r.json if r.method != "GET" else None) for r in server.requests]


def test_a_rename_and_a_new_owner_are_set_on_the_github_issue_once_after_reading_it(
    client_for,
    eager_celery,
    django_capture_on_commit_callbacks,
    commander,
    responder,
    in_github,
    tracker_server,
):
    web = client_for(commander)
    with django_capture_on_commit_callbacks(execute=True):
        _edit(web, in_github, title="Add a second check before rm -rf", owner=responder.pk)

    assert _sent(tracker_server) == [
        ("GET", ISSUE, None),  # first what GitHub has now
        ("PATCH", ISSUE, {"title": "Add a second check before rm -rf"}),
        ("PATCH", ISSUE, {"assignees": ["octocat"]}),  # responder, by the People mapping
    ]
    push = TrackerPush.objects.get()
    assert (push.status, push.pushed, push.conflicts) == ("sent", ["title", "owner"], [])
    assert tasks.push_to_tracker.apply(args=(push.pk,)).get() == "sent"  # a second run sends nothing
    assert len(tracker_server.requests) == 3
    issue = TrackerIssue.objects.get()
    assert (issue.agreed["title"], issue.agreed["owner"]) == (
        "Add a second check before rm -rf",
        responder.pk,
    )
    assert issue.remote_assignee == "octocat"


def test_done_in_hindsight_closes_the_github_issue_as_completed(
    client_for, eager_celery, django_capture_on_commit_callbacks, commander, in_github, tracker_server
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(commander).post(
            reverse("incidents:action_item_status", args=[in_github.pk]),
            {"status": "done", "note": "Second check in the runbook", "version": in_github.version},
        )
    assert _sent(tracker_server)[-1] == ("PATCH", ISSUE, {"state": "closed", "state_reason": "completed"})
    assert TrackerIssue.objects.get().remote_closed is True


def test_a_title_renamed_in_github_too_is_a_conflict_on_the_item_and_sent_nowhere(
    client_for, eager_celery, django_capture_on_commit_callbacks, commander, in_github, tracker_server
):
    tracker_server.answers[("GET", ISSUE)] = (200, _github_issue("Add a two-person rule"))  # renamed there
    web = client_for(commander)
    with django_capture_on_commit_callbacks(execute=True):
        _edit(web, in_github, title="Add a second check before rm -rf")

    assert [m for m, *_ in _sent(tracker_server)] == ["GET"]  # nothing overwritten in GitHub
    assert ActionItem.objects.get(pk=in_github.pk).title == "Add a second check before rm -rf"
    assert TrackerPush.objects.get().conflicts == ["title"]
    page = web.get(reverse("incidents:action_item_detail", args=[in_github.pk])).content.decode()
    assert "Title changed on both sides." in page
    assert "GitHub: Add a two-person rule" in page
    with django_capture_on_commit_callbacks(execute=True):
        setup.settle(web, in_github, "title", "hindsight")
    assert _sent(tracker_server)[-1] == ("PATCH", ISSUE, {"title": "Add a second check before rm -rf"})


def test_a_jira_due_date_changed_on_both_sides_is_a_conflict_not_a_put(
    client_for,
    eager_celery,
    django_capture_on_commit_callbacks,
    team,
    lead,
    commander,
    incident,
    tracker_server,
):
    connection = setup.jira(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    assert item.due_date is not None
    due = item.due_date.isoformat()
    TrackerIssue.objects.create(
        action_item=item, connection=connection, key="OPS-9", external_id="10009",
        url="https://acme.atlassian.net/browse/OPS-9", seen={"status": "open", "due_date": due, "title": item.title},
        agreed={"status": "open", "owner": commander.pk, "due_date": due, "title": item.title},
    )  # fmt: skip
    theirs = (item.due_date + dt.timedelta(days=10)).isoformat()
    issue = setup.jira_issue("OPS-9", due=theirs)
    issue["fields"]["summary"] = item.title
    tracker_server.answers[("GET", "/rest/api/3/issue/OPS-9")] = (200, issue)
    ours = item.due_date + dt.timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        _edit(client_for(commander), item, due_date=ours.isoformat())

    (read,) = tracker_server.requests  # the read, and no PUT
    assert read.path == "/rest/api/3/issue/OPS-9?fields=status,assignee,duedate,resolution,updated,summary"
    assert ActionItem.objects.get(pk=item.pk).due_date == ours
    assert TrackerIssue.objects.get().conflicts["due_date"]["tracker"] == theirs

    # Jira's side not moved: the new due date is set with "Edit issue".
    TrackerIssue.objects.filter(pk=TrackerIssue.objects.get().pk).update(conflicts={})
    issue["fields"]["duedate"] = due
    tracker_server.answers[("GET", "/rest/api/3/issue/OPS-9")] = (200, issue)
    tracker_server.answers[("PUT", "/rest/api/3/issue/OPS-9")] = (204, None)
    TrackerIssue.objects.filter(action_item=item).update(seen={"status": "open", "due_date": due})
    later = ours + dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        _edit(client_for(commander), item, due_date=later.isoformat())
    assert tracker_server.requests[-1].json == {"fields": {"duedate": later.isoformat()}}


def test_a_push_whose_task_was_lost_is_sent_by_the_sweep(
    client_for, commander, responder, in_github, tracker_server
):
    _edit(client_for(commander), in_github, owner=responder.pk)  # recorded; its task never ran (no commit)
    push = TrackerPush.objects.get()
    assert (push.status, tracker_server.requests) == ("pending", [])
    tracker_sync_sweep()  # too soon: the task may still be on its way
    assert TrackerPush.objects.get().status == "pending"
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5)):
        tracker_sync_sweep()
    push.refresh_from_db()
    assert (push.status, push.pushed) == ("sent", ["owner"])
    assert [r.json for r in tracker_server.requests if r.method == "PATCH"] == [{"assignees": ["octocat"]}]


def test_github_failing_once_is_retried_and_the_change_set_once(
    client_for,
    eager_celery,
    django_capture_on_commit_callbacks,
    commander,
    responder,
    in_github,
    tracker_server,
):
    answers = iter([(503, {"message": "Service unavailable"})])
    tracker_server.answers[("GET", ISSUE)] = lambda r: next(
        answers, (200, _github_issue("Add a second check"))
    )
    with django_capture_on_commit_callbacks(execute=True):
        _edit(client_for(commander), in_github, owner=responder.pk)
    push = TrackerPush.objects.get()
    assert (push.status, push.attempts, push.pushed) == ("sent", 2, ["owner"])
    assert [r.method for r in tracker_server.requests] == ["GET", "GET", "PATCH"]


def test_a_rename_saved_while_the_last_push_is_on_its_way_waits_for_it_then_reaches_github(
    client_for,
    eager_celery,
    django_capture_on_commit_callbacks,
    monkeypatch,
    commander,
    in_github,
    tracker_server,
):
    """The rename to B is saved while the push of A is being sent: B's push finds the issue busy and is
    rescheduled (not dropped as busy, nor sent alongside A, where A could land last). When A's push
    finishes, B's is sent: GitHub ends with B, the title the item has."""
    from incidents.integrations.trackers.github import GitHubTracker

    web = client_for(commander)
    send = GitHubTracker.update_issue
    during: list[str] = []
    github_has = _github_issue("Add a second check")  # GitHub's issue as the PATCHes leave it

    def patched(request):
        github_has.update(request.json)
        return 200, github_has

    tracker_server.answers[("GET", ISSUE)] = lambda r: (200, github_has)
    tracker_server.answers[("PATCH", ISSUE)] = patched

    def a_rename_meanwhile(adapter, key, external_id, change):
        if change.title == "A" and not during:
            with django_capture_on_commit_callbacks(execute=True):
                _edit(web, in_github, title="B")  # its push runs now, while A's holds the issue
            during.append(TrackerPush.objects.get(item_version=ActionItem.objects.get().version).status)
        send(adapter, key, external_id, change)

    monkeypatch.setattr(GitHubTracker, "update_issue", a_rename_meanwhile)
    with django_capture_on_commit_callbacks(execute=True):
        _edit(web, in_github, title="A")

    assert during == ["pending"]  # rescheduled, nothing sent for it while A's push was on its way
    titles = [r.json["title"] for r in tracker_server.requests if r.method == "PATCH"]
    assert titles == ["A", "B"]
    assert github_has["title"] == "B"
    assert sorted(TrackerPush.objects.values_list("status", flat=True)) == ["sent", "sent"]
    issue = TrackerIssue.objects.get()
    assert issue.agreed["title"] == "B"
    assert setup.item_page_text(web, in_github).count("changed on both sides") == 0


def test_a_push_whose_lease_is_held_is_rescheduled_and_sent_once_the_lease_ends(
    client_for, eager_celery, commander, responder, in_github, tracker_server
):
    _edit(client_for(commander), in_github, owner=responder.pk)  # recorded; its task not run yet
    push = TrackerPush.objects.get()
    TrackerPush.objects.filter(pk=push.pk).update(
        status="sending", locked_until=timezone.now() + dt.timedelta(seconds=60)
    )  # a worker that died while sending it
    assert tasks.push_to_tracker.apply(args=(push.pk,)).get() == "pending"  # retried, not dropped
    assert tracker_server.requests == []
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=3)):
        tracker_sync_sweep()
    push.refresh_from_db()
    assert (push.status, push.pushed) == ("sent", ["owner"])
