"""Redmine, by contract: a recording server stands in for Redmine's REST API (`/issues.json`,
`/issues/{id}.json`, `/issue_statuses.json`, shapes as Redmine 5.0 answers them: an unassigned issue has
no `assigned_to`, a status no `is_closed` before 5.1). Redmine sends no webhooks: the sweep reads its
issues, and Hindsight's own changes are pushed on save. The same loop against a real Redmine on this
machine is tests/integration/test_redmine_live.py (skipped without REDMINE_URL).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.integrations.trackers import tasks  # noqa: F401 - registers push_to_tracker with Celery
from incidents.integrations.trackers.configuration import tracker_connection_save
from incidents.integrations.trackers.services import tracker_reconcile
from incidents.models import ActionItem, ActionItemStatus, TimelineEntry, TrackerIssue
from tests.factories import ActionItemFactory
from tests.incidents.integrations import tracker_setup as setup

pytestmark = pytest.mark.django_db


def test_create_a_sweep_close_reopen_and_reassign_each_land_once(
    client_for, team, lead, commander, responder, incident, tracker_server
):
    setup.redmine(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander, title="Add a check")
    tracker_server.answers[("POST", "/issues.json")] = (201, {"issue": {"id": 12, "subject": "Add a check"}})
    client_for(commander).post(reverse("incidents:action_item_tracker", args=[item.pk]))

    sent = tracker_server.requests[-1]
    assert sent.headers["X-Redmine-API-Key"] == setup.REDMINE_KEY
    assert (sent.headers["Accept"], sent.headers["User-Agent"]) == (
        "application/json",
        "Hindsight",
    )  # as GitHub, Jira
    fields = sent.json["issue"]
    assert set(fields) <= {"project_id", "subject", "description", "assigned_to_id", "due_date", "tracker_id"}
    assert (fields["project_id"], fields["subject"], fields["assigned_to_id"]) == ("ops", "Add a check", 7)
    assert fields["due_date"] == item.due_date.isoformat()
    assert f"/action-items/{item.pk}/" in fields["description"]
    issue = TrackerIssue.objects.get()
    assert (issue.key, issue.url) == ("ops#12", f"{tracker_server.url}/issues/12")
    before = TimelineEntry.objects.filter(incident=incident).count()

    tracker_server.answers[("GET", "/issue_statuses.json")] = (200, setup.REDMINE_STATUSES)
    due = item.due_date.isoformat()
    for status, assignee, updated in [(5, 7, "T10:05"), (1, 7, "T10:10"), (1, 5, "T10:15")]:
        answer = setup.redmine_issue(status, assignee=assignee, due=due, updated=f"2026-12-01{updated}:00Z")
        tracker_server.answers[("GET", "/issues/12.json")] = (200, answer)
        tracker_reconcile()
        tracker_reconcile()  # a second sweep that finds nothing new changes nothing
        item.refresh_from_db()
        if status == 5:
            assert item.status == ActionItemStatus.DONE
            assert f"{tracker_server.url}/issues/12" in item.completion_note
        else:
            assert item.status == ActionItemStatus.OPEN
    assert item.owner == responder  # user 5, by the People mapping
    assert TimelineEntry.objects.filter(incident=incident).count() == before + 3


def test_rejected_in_redmine_is_wont_do(team, lead, commander, incident, tracker_server):
    connection = setup.redmine(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    TrackerIssue.objects.create(
        action_item=item, connection=connection, key="ops#12", external_id="12", url="https://r.example/issues/12",
        seen={"status": "open"}, agreed={"status": "open", "owner": commander.pk, "due_date": None},
    )  # fmt: skip
    tracker_server.answers[("GET", "/issue_statuses.json")] = (200, setup.REDMINE_STATUSES)
    tracker_server.answers[("GET", "/issues/12.json")] = (200, setup.redmine_issue(6, assignee=7))
    tracker_reconcile()
    assert ActionItem.objects.get(pk=item.pk).status == ActionItemStatus.WONT_DO


def test_hindsights_changes_are_put_to_redmine(
    client_for, eager_celery, django_capture_on_commit_callbacks, team, lead, commander, responder, incident,
    tracker_server,
):  # fmt: skip
    connection = setup.redmine(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander, title="Add a check")
    due = item.due_date.isoformat()
    TrackerIssue.objects.create(
        action_item=item, connection=connection, key="ops#12", external_id="12", url="https://r.example/issues/12",
        seen={"status": "open", "owner": commander.pk, "due_date": due, "title": "Add a check"},
        agreed={"status": "open", "owner": commander.pk, "due_date": due, "title": "Add a check"},
    )  # fmt: skip
    tracker_server.answers[("GET", "/issue_statuses.json")] = (200, setup.REDMINE_STATUSES)
    tracker_server.answers[("GET", "/issues/12.json")] = (200, setup.redmine_issue(1, assignee=7, due=due))
    tracker_server.answers[("PUT", "/issues/12.json")] = (204, None)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(commander).post(reverse("incidents:action_item_edit", args=[item.pk]), {
            "title": "Add a second check", "owner": responder.pk, "due_date": due, "priority": item.priority,
            "type": item.type, "version": item.version,
        })  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        client_for(commander).post(
            reverse("incidents:action_item_status", args=[item.pk]),
            {"status": "wont_do", "note": "Replaced by the runbook", "version": item.version + 1},
        )
    puts = [r.json["issue"] for r in tracker_server.requests if r.method == "PUT"]
    assert puts == [{"subject": "Add a second check"}, {"assigned_to_id": 5}, {"status_id": 6}]


def test_a_redmine_webhook_is_refused_and_changes_nothing(client_for, team, lead, tracker_server):
    connection = setup.redmine(team, lead, tracker_server)
    answer = client_for(None).post(
        reverse("incidents:tracker_webhook", args=[connection.pk]),
        data=b"{}",
        content_type="application/json",
    )
    assert answer.status_code == 401


def test_a_redmine_project_must_be_an_identifier(team, lead, tracker_server):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        tracker_connection_save(
            actor=lead,
            team=team,
            kind="redmine",
            site_url=tracker_server.url,
            project="Ops Team",
            token=setup.REDMINE_KEY,
        )
    assert "identifier" in str(refused.value)
