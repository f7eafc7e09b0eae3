"""Settling a field changed on both sides is a choice on what the page showed: the form carries the item's
version and the tracker's value shown; if either moved, nothing is settled and the page (409) says what
changed. Two choices at once send one change to the tracker (PostgreSQL, two threads). A blocked item
closed in the tracker is such a conflict, never made done unasked.

A recording server on loopback stands in for GitHub's and Jira's REST APIs (tracker_setup.py).
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection as db_connection
from django.test import Client
from django.urls import reverse

from incidents.followup.services.items import action_item_update
from incidents.models import ActionItem, ActionItemStatus, TimelineEntry, TrackerIssue
from tests.factories import ActionItemFactory
from tests.incidents.integrations import tracker_setup as setup

PATCH_21 = ("PATCH", "/repos/acme/web/issues/21")


def _post(web, item, form, keep):
    return web.post(reverse("incidents:action_item_tracker_conflict", args=[item.pk]), {**form, "keep": keep})


@pytest.fixture
def status_conflict(team, lead, commander, incident, tracker_server):
    """An item done in Hindsight whose GitHub issue was reopened meanwhile: a status conflict."""
    connection = setup.github(team, lead, tracker_server)
    item = ActionItemFactory(
        incident=incident, team=team, owner=commander, status=ActionItemStatus.DONE,
        completion_note="Runbook updated",
    )  # fmt: skip
    setup.linked(connection, item, 21, conflicts={"status": {"tracker": "open", "label": "open"}})
    tracker_server.answers[PATCH_21] = (200, {"number": 21, "state": "closed"})
    return item


@pytest.mark.django_db
def test_a_choice_made_before_the_item_changed_settles_nothing_and_says_what_changed(
    client_for, commander, responder, status_conflict, tracker_server
):
    item = status_conflict
    web = client_for(commander)
    form = setup.settle_form(web, item, "status")
    action_item_update(item=item, actor=responder, title="Update the runbook and drill it")  # meanwhile

    answer = _post(web, item, form, "hindsight")

    assert answer.status_code == 409
    page = answer.content.decode()
    assert "changed since you loaded the page" in page
    assert "Nothing was settled: choose again." in page
    assert "Status changed on both sides" in page  # the choice is still there, on the current item
    assert not [r for r in tracker_server.requests if r.method == "PATCH"]
    assert "status" in TrackerIssue.objects.get(action_item=item).conflicts
    again = _post(web, item, setup.settle_form(web, item, "status"), "hindsight")  # on what is shown now
    assert again.status_code == 302
    assert "status" not in TrackerIssue.objects.get(action_item=item).conflicts


@pytest.mark.django_db
def test_a_choice_on_a_tracker_value_that_moved_since_settles_nothing_and_names_the_new_value(
    client_for, team, lead, commander, incident, tracker_server
):
    connection = setup.jira(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    assert item.due_date is not None
    base = item.due_date
    agreed = base.isoformat()
    TrackerIssue.objects.create(
        action_item=item, connection=connection, key="OPS-9", external_id="10009",
        url="https://acme.atlassian.net/browse/OPS-9", seen={"status": "open", "due_date": agreed},
        agreed={"status": "open", "owner": commander.pk, "due_date": agreed},
    )  # fmt: skip
    ours = base + dt.timedelta(days=3)
    action_item_update(item=item, actor=commander, due_date=ours)
    first, second = (base + dt.timedelta(days=d) for d in (10, 12))
    hook = client_for(None)
    due = [{"field": "duedate", "fieldtype": "jira", "from": None, "to": first.isoformat()}]
    setup.jira_hook(hook, connection, "OPS-9", due, delivery="j-1", due=first.isoformat())
    web = client_for(commander)
    form = setup.settle_form(web, item, "due_date")
    due = [{"field": "duedate", "fieldtype": "jira", "from": None, "to": second.isoformat()}]
    setup.jira_hook(hook, connection, "OPS-9", due, delivery="j-2", due=second.isoformat())

    answer = _post(web, item, form, "tracker")

    assert answer.status_code == 409
    assert f"Jira changed the due date again since you loaded the page: it is now {second}" in (
        answer.content.decode()
    )
    assert ActionItem.objects.get(pk=item.pk).due_date == ours  # not the first value, not the second


@pytest.mark.django_db
def test_a_settle_form_without_what_was_shown_is_refused(client_for, commander, status_conflict):
    answer = client_for(commander).post(
        reverse("incidents:action_item_tracker_conflict", args=[status_conflict.pk]),
        {"field": "status", "keep": "tracker"},
    )
    assert answer.status_code == 400
    assert "Reload the page and choose again" in answer.content.decode()
    assert ActionItem.objects.get(pk=status_conflict.pk).status == ActionItemStatus.DONE


@pytest.mark.django_db
def test_a_blocked_item_closed_in_the_tracker_is_a_conflict_not_done(
    client_for, team, lead, commander, incident, tracker_server
):
    connection = setup.github(team, lead, tracker_server)
    item = ActionItemFactory(
        incident=incident, team=team, owner=commander, status=ActionItemStatus.BLOCKED,
        blocked_on="Waiting on the vendor's fix",
    )  # fmt: skip
    setup.linked(connection, item, 21)
    entries = TimelineEntry.objects.filter(incident=incident).count()

    setup.github_hook(client_for(None), connection, "closed", 21, state="closed", updated_at=setup.LATE,
                delivery="close")  # fmt: skip

    assert ActionItem.objects.get(pk=item.pk).status == ActionItemStatus.BLOCKED
    assert TimelineEntry.objects.filter(incident=incident).count() == entries
    web = client_for(commander)
    page = web.get(reverse("incidents:action_item_detail", args=[item.pk])).content.decode()
    assert "Status changed on both sides." in page
    assert "Hindsight: Blocked" in page
    _post(web, item, setup.settle_form(web, item, "status"), "tracker")
    assert ActionItem.objects.get(pk=item.pk).status == ActionItemStatus.DONE


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_people_keeping_hindsights_value_at_once_change_the_tracker_once(
    requires_postgres, commander, status_conflict, tracker_server
):
    item = status_conflict

    def slow(_request):
        time.sleep(0.5)
        return 200, {"number": 21, "state": "closed"}

    tracker_server.answers[PATCH_21] = slow
    web = Client()
    web.force_login(commander, backend="django.contrib.auth.backends.ModelBackend")
    form = setup.settle_form(web, item, "status")
    barrier = threading.Barrier(2)
    codes: list[int] = []
    errors: list[BaseException] = []

    def choose() -> None:
        client = Client()
        client.force_login(commander, backend="django.contrib.auth.backends.ModelBackend")
        try:
            barrier.wait(timeout=30)
            codes.append(_post(client, item, form, "hindsight").status_code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=choose) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert errors == []
    assert len([r for r in tracker_server.requests if r.method == "PATCH"]) == 1
    assert "status" not in TrackerIssue.objects.get(action_item=item).conflicts
    history = ActionItem.objects.get(pk=item.pk).history.filter(history_change_reason__contains="Kept")
    assert history.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("agreed", ["open", "wont_do"])
def test_closed_as_completed_in_github_on_a_wont_do_item_is_a_difference_shown_not_ignored(
    client_for, team, lead, commander, incident, tracker_server, agreed
):
    connection = setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander, status=ActionItemStatus.WONT_DO,
                             wont_do_reason="Replaced by the new runbook")  # fmt: skip
    issue = setup.linked(connection, item, 21)
    issue.agreed["status"] = issue.seen["status"] = agreed
    issue.save()
    entries = TimelineEntry.objects.filter(incident=incident).count()

    setup.github_hook(client_for(None), connection, "closed", 21, state="closed", reason="completed",
                updated_at=setup.LATE, delivery="done")  # fmt: skip

    item.refresh_from_db()
    assert (item.status, item.wont_do_reason) == (ActionItemStatus.WONT_DO, "Replaced by the new runbook")
    assert TimelineEntry.objects.filter(incident=incident).count() == entries
    page = setup.item_page_text(client_for(commander), item)
    assert "Status changed on both sides. Hindsight: Won't do · GitHub: closed (done)" in page
    assert "Take the tracker's" in page


@pytest.mark.django_db
def test_taking_githubs_done_over_hindsights_wont_do_makes_the_item_done_with_the_issue_as_evidence(
    client_for, team, lead, commander, incident, tracker_server
):
    connection = setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander, status=ActionItemStatus.WONT_DO,
                             wont_do_reason="Replaced by the new runbook")  # fmt: skip
    setup.linked(connection, item, 21)
    setup.github_hook(client_for(None), connection, "closed", 21, state="closed", reason="completed",
                updated_at=setup.LATE, delivery="done")  # fmt: skip
    web = client_for(commander)

    answer = _post(web, item, setup.settle_form(web, item, "status"), "tracker")

    assert answer.status_code == 302
    item.refresh_from_db()
    assert item.status == ActionItemStatus.DONE
    assert "https://github.com/acme/web/issues/21" in item.completion_note
    assert item.wont_do_reason == ""
    assert "Settled." in setup.item_page_text(web, item)
    assert "changed on both sides" not in setup.item_page_text(web, item)
    last = TimelineEntry.objects.filter(incident=incident).latest("id").body
    assert last.endswith("done: its issue acme/web#21 was closed in GitHub.")


@pytest.mark.django_db
def test_taking_githubs_not_planned_over_hindsights_done_makes_the_item_wont_do(
    client_for, team, lead, commander, incident, tracker_server
):
    connection = setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander, status=ActionItemStatus.DONE,
                             completion_note="Runbook updated")  # fmt: skip
    setup.linked(connection, item, 21)
    setup.github_hook(client_for(None), connection, "closed", 21, state="closed", reason="not_planned",
                updated_at=setup.LATE, delivery="np")  # fmt: skip
    web = client_for(commander)
    assert "Hindsight: Done · GitHub: closed as not planned" in setup.item_page_text(web, item)
    assert ActionItem.objects.get(pk=item.pk).status == ActionItemStatus.DONE

    _post(web, item, setup.settle_form(web, item, "status"), "tracker")

    item.refresh_from_db()
    assert item.status == ActionItemStatus.WONT_DO
    assert "Closed as not planned in GitHub (acme/web#21)" in item.wont_do_reason
    assert item.completion_note == ""
    last = TimelineEntry.objects.filter(incident=incident).latest("id").body
    assert last.endswith("won't be done: its issue acme/web#21 was closed as not planned in GitHub.")
