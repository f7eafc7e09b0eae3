"""In-incident tasks: from the type's runbook at declaration or added by hand, each with an owner, done by a
click, each change a timeline entry; only those who may record change them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from incidents.errors import AccessDenied
from incidents.incident.services.checklist import incident_task_add, incident_task_set_done
from incidents.incident.services.declare import incident_declare
from incidents.models import IncidentTask, TimelineEntry, Visibility
from tests.factories import IncidentTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def security():
    return IncidentTypeFactory(
        name="Security", slug="security", runbook_tasks="Rotate the leaked keys\n\nTell the DPO\n"
    )


def _bodies(incident):
    return list(TimelineEntry.objects.filter(incident=incident).values_list("body", flat=True))


def test_a_declared_incident_starts_with_its_types_runbook_tasks(responder, security):
    incident = incident_declare(actor=responder, title="Keys leaked", severity="SEV2", incident_type=security)
    assert [(t.title, t.from_runbook) for t in incident.tasks.all()] == [
        ("Rotate the leaked keys", True),
        ("Tell the DPO", True),
    ]
    assert "2 tasks added from the Security runbook" in _bodies(incident)


def test_tasks_are_added_with_an_owner_and_done_by_a_click(client_for, commander, responder, incident):
    client = client_for(commander)
    url = reverse("incidents:tasks", args=[incident.number])
    assert client.post(url, {"title": "Page the DBA", "owner": responder.pk}).status_code == 302
    task = IncidentTask.objects.get()
    assert (task.title, task.owner) == ("Page the DBA", responder)
    page = client.get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert "Page the DBA" in page
    assert "Owner: Rory Responder" in page
    assert client.post(url, {"task": task.pk, "done": "on"}).status_code == 302
    task.refresh_from_db()
    assert task.done_by == commander
    assert client.post(url, {"task": task.pk}).status_code == 302
    task.refresh_from_db()
    assert task.done_at is None
    assert [b for b in _bodies(incident) if b.startswith("Task")] == [
        "Task added: Page the DBA (owner: Rory Responder)",
        "Task done: Page the DBA",
        "Task reopened: Page the DBA",
    ]


def test_marking_done_twice_writes_one_entry(commander, incident):
    task = incident_task_add(incident=incident, actor=commander, title="Snapshot the disk")
    incident_task_set_done(task=task, actor=commander, done=True)
    incident_task_set_done(task=task, actor=commander, done=True)
    assert sum(b.startswith("Task done") for b in _bodies(incident)) == 1


def test_a_viewer_reads_the_tasks_but_changes_none(client_for, viewer, commander, incident):
    task = incident_task_add(incident=incident, actor=commander, title="Snapshot the disk")
    page = client_for(viewer).get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert "Snapshot the disk" in page
    assert "Add task" not in page
    url = reverse("incidents:tasks", args=[incident.number])
    assert client_for(viewer).post(url, {"task": task.pk, "done": "on"}).status_code == 403
    with pytest.raises(AccessDenied):
        incident_task_set_done(task=task, actor=viewer, done=True)


def test_an_empty_title_or_a_task_of_another_incident_is_refused(client_for, commander, incident):
    client = client_for(commander)
    url = reverse("incidents:tasks", args=[incident.number])
    client.post(url, {"title": "  "})
    assert not IncidentTask.objects.exists()
    assert client.post(url, {"task": "999999", "done": "on"}).status_code == 404


def _owners_offered(page: str) -> str:
    tasks = page[page.index('id="tasks"') :]
    return tasks[tasks.index('name="owner"') : tasks.index("</select>")]


@pytest.mark.parametrize(
    ("visibility", "who"),
    [
        (Visibility.INTERNAL, "viewer"),  # sees the incident, may only read it
        (Visibility.RESTRICTED, "responder"),  # a teammate outside the incident: 404 on it
    ],
)
def test_a_tasks_owner_is_offered_and_taken_only_among_those_who_may_record_on_the_incident(
    request, client_for, commander, incident, visibility, who
):
    person = request.getfixturevalue(who)
    incident.visibility = visibility
    incident.save(update_fields=["visibility"])
    client = client_for(commander)
    detail = reverse("incidents:detail", args=[incident.number])
    owners = _owners_offered(client.get(detail).content.decode())
    assert str(commander) in owners
    assert str(person) not in owners
    answer = client.post(
        reverse("incidents:tasks", args=[incident.number]),
        {"title": "Page the DBA", "owner": person.pk},
        follow=True,
    )
    assert "Choose an owner from the list, or none." in answer.content.decode()
    assert not IncidentTask.objects.exists()


def test_the_service_refuses_a_task_owner_who_may_not_record_naming_them(commander, viewer, incident):
    with pytest.raises(ValidationError) as refused:
        incident_task_add(incident=incident, actor=commander, title="Page the DBA", owner=viewer)
    assert refused.value.message_dict == {
        "owner": [f"{viewer} may not record on {incident.reference}: choose someone who may."]
    }
    assert not IncidentTask.objects.exists()
