"""In-incident tasks on the incident page: add one, or mark one done by a click. Views parse, call one
service, and render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from incidents.incident import selectors
from incidents.incident.services import checklist
from incidents.incident.type_forms import TaskForm
from incidents.incident.views import post_action
from incidents.models import IncidentTask
from incidents.permissions.checks import require_record
from incidents.permissions.people import task_owners_offered


@login_required
@require_POST
def incident_tasks(request: HttpRequest, number: int) -> HttpResponse:
    """POST `title` (and `owner`) adds a task; POST `task` with `done` (true or empty) marks it."""
    incident = selectors.incident_get_for(request.user, number)
    require_record(request.user, incident)  # before the form: a reader learns nothing from it
    form = TaskForm(request.POST, people=task_owners_offered(request.user, incident))
    back = redirect(reverse_tasks(incident.number))
    if request.POST.get("task"):
        task_id = form.data.get("task", "")
        task = (
            IncidentTask.objects.filter(incident=incident, pk=int(task_id)).first()
            if str(task_id).isascii() and str(task_id).isdigit() and int(task_id) < 2**62
            else None
        )
        if task is None:
            raise Http404("No such task.")
        task.incident = incident
        return post_action(
            request,
            form,
            lambda data: checklist.incident_task_set_done(task=task, actor=request.user, done=data["done"]),
            invalid="Could not read that.",
            success=lambda data: "Task done." if data["done"] else "Task reopened.",
            back=back,
        )
    return post_action(
        request,
        form,
        lambda data: checklist.incident_task_add(
            incident=incident, actor=request.user, title=data["title"], owner=data["owner"]
        ),
        invalid="Choose an owner from the list, or none.",
        success="Task added.",
        back=back,
    )


def reverse_tasks(number: int) -> str:
    """The incident page at its tasks card."""
    return reverse("incidents:detail", args=[number]) + "#tasks"
