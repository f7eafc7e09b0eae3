"""The tasks API: `/api/v1/incidents/N/tasks/` lists and adds, `.../tasks/ID/` reads and marks done, with the
same rules and timeline entries as the incident page."""

from __future__ import annotations

import pytest

from incidents.models import IncidentTask, TimelineEntry, Visibility
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def _url(incident, task=None):
    base = f"/api/v1/incidents/{incident.number}/tasks/"
    return f"{base}{task.pk}/" if task else base


def _task_rows(incident):
    return list(
        TimelineEntry.objects.filter(incident=incident, body__startswith="Task").values_list(
            "body", flat=True
        )
    )


def test_a_responder_adds_a_task_with_an_owner_and_marks_it_done_by_api(
    api_for, commander, responder, incident
):
    api = api_for(commander)
    made = api.post(_url(incident), {"title": "Page the DBA", "owner": responder.pk}, format="json")
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["title"], body["owner"]["email"], body["done"], body["done_at"]) == (
        "Page the DBA",
        "responder@example.com",
        False,
        None,
    )
    task = IncidentTask.objects.get()
    done = api.patch(_url(incident, task), {"done": True}, format="json")
    assert done.status_code == 200
    assert done.json()["done"] is True
    assert done.json()["done_at"].endswith("Z")
    assert done.json()["done_by"]["email"] == "commander@example.com"
    again = api.patch(_url(incident, task), {"done": True}, format="json")
    assert again.status_code == 200
    listed = api.get(_url(incident)).json()
    assert [(t["title"], t["done"]) for t in listed["results"]] == [("Page the DBA", True)]
    assert _task_rows(incident) == [
        "Task added: Page the DBA (owner: Rory Responder)",
        "Task done: Page the DBA",
    ]


def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(api_for, commander, outsider, incident):
    api = api_for(commander)
    for body, field in (
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "Page", "owner": "3"}, "owner"),
        ({"title": "Page", "owner": 987654}, "owner"),
        ({"title": "Page", "colour": "red"}, "colour"),
    ):
        answer = api.post(_url(incident), body, format="json")
        assert answer.status_code == 400, (body, answer.content)
        assert field in answer.json(), answer.json()
    assert not IncidentTask.objects.exists()
    task = IncidentTask.objects.create(incident=incident, title="Page the DBA")
    answer = api.patch(_url(incident, task), {"done": "maybe"}, format="json")
    assert answer.status_code == 400
    assert "done" in answer.json()
    task.refresh_from_db()
    assert task.done_at is None


def test_a_viewer_reads_tasks_but_may_not_add_or_mark_them(api_for, viewer, incident):
    task = IncidentTask.objects.create(incident=incident, title="Page the DBA")
    api = api_for(viewer)
    assert api.get(_url(incident)).status_code == 200
    assert api.get(_url(incident, task)).json()["title"] == "Page the DBA"
    assert api.post(_url(incident), {"title": "Mine"}, format="json").status_code == 403
    assert api.patch(_url(incident, task), {"done": True}, format="json").status_code == 403
    task.refresh_from_db()
    assert task.done_at is None
    assert IncidentTask.objects.count() == 1


def test_a_read_only_token_may_not_write_tasks(api_for, commander, incident):
    api = api_for(commander, read_only=True)
    assert api.post(_url(incident), {"title": "Page the DBA"}, format="json").status_code == 403
    assert not IncidentTask.objects.exists()


def test_tasks_of_a_restricted_incident_are_not_found_by_those_outside_it(api_for, responder, incident):
    incident.visibility = Visibility.RESTRICTED
    incident.save()
    task = IncidentTask.objects.create(incident=incident, title="Rotate the leaked keys")
    api = api_for(responder)
    for answer in (
        api.get(_url(incident)),
        api.get(_url(incident, task)),
        api.post(_url(incident), {"title": "Mine"}, format="json"),
        api.patch(_url(incident, task), {"done": True}, format="json"),
    ):
        assert answer.status_code == 404
        assert "Rotate" not in answer.content.decode()
    task.refresh_from_db()
    assert task.done_at is None


def test_a_task_of_another_incident_is_not_found_under_this_one(api_for, commander, incident, team):
    other = IncidentFactory(commander=commander, declared_by=commander)
    other.teams.add(team)
    task = IncidentTask.objects.create(incident=other, title="Elsewhere")
    api = api_for(commander)
    assert api.get(_url(incident, task)).status_code == 404
    assert api.patch(_url(incident, task), {"done": True}, format="json").status_code == 404


def test_the_list_takes_the_same_queries_for_one_task_and_twenty(
    api_for, commander, responder, incident, django_assert_max_num_queries
):
    api = api_for(commander)
    IncidentTask.objects.create(incident=incident, title="First", owner=responder, done_by=commander)
    with django_assert_max_num_queries(12) as one:
        api.get(_url(incident))
    for i in range(20):
        IncidentTask.objects.create(incident=incident, title=f"Task {i}", owner=responder, done_by=commander)
    with django_assert_max_num_queries(len(one.captured_queries)):
        api.get(_url(incident))


@pytest.mark.parametrize("restricted", [False, True])
def test_a_task_is_refused_for_an_owner_who_may_not_record_on_the_incident(
    api_for, commander, responder, viewer, incident, restricted
):
    if restricted:  # the responder does not take part, and gets 404 on the incident
        incident.visibility = Visibility.RESTRICTED
        incident.save(update_fields=["visibility"])
    person = responder if restricted else viewer
    answer = api_for(commander).post(
        _url(incident), {"title": "Page the DBA", "owner": person.pk}, format="json"
    )
    assert answer.status_code == 400, answer.content
    assert answer.json()["owner"] == [
        f"{person} may not record on {incident.reference}: choose someone who may."
    ]
    assert not IncidentTask.objects.exists()
    assert not _task_rows(incident)
