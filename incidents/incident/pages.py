"""The incident page, rendered by its own view and by a form posted from it without JavaScript that comes
back with its errors (the timeline's quick add), so the page shows what was typed beside what was wrong."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from incidents.incident import live, process, selectors
from incidents.incident.attachment_forms import AttachmentForm
from incidents.incident.forms import ReopenForm, SeverityForm
from incidents.incident.services.attachments import megabytes
from incidents.incident.type_forms import TaskForm, WaiverForm
from incidents.incident.update_forms import StakeholderUpdateForm
from incidents.models import Incident
from incidents.permissions.incident import attachments_removable_by, can_record
from incidents.permissions.people import task_owners_offered
from incidents.permissions.review import can_waive_postmortem
from incidents.timeline.forms import QuickAddForm
from incidents.timeline.page import timeline_context


def incident_page(
    request: HttpRequest,
    number: int,
    *,
    quick_form: QuickAddForm | None = None,
    update_form: StakeholderUpdateForm | None = None,
    attachment_form: AttachmentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The incident page of INC-`number` for `request.user` (404 when they cannot see it), answered with
    `status`. `quick_form`: a refused quick add, shown with the text, kind and time as posted and its
    errors (422 from the quick add view); None gives the empty form. `update_form`: a refused stakeholder
    update, shown so with its errors; `attachment_form` a refused upload."""
    incident = selectors.incident_get_for(request.user, number)
    context = {
        **live.live_context(request, incident),
        **timeline_context(request, incident, quick_form=quick_form),
        # Each form its own ids: both have a reason and a time, and one page holds both.
        "severity_form": SeverityForm(initial={"severity": incident.severity}, auto_id="severity_%s"),
        "reopen_form": ReopenForm(auto_id="reopen_%s"),
        **process_context(request, incident),
        **tasks_context(request, incident),
        **updates_context(request, incident, update_form),
        **attachments_context(request, incident, attachment_form),
    }
    return render(request, "incidents/incident/detail.html", context, status=status)


def process_context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    """The process checklist card: the rule's steps, and the waiver form for those who may waive a
    postmortem still open."""
    steps = process.incident_checklist(incident)
    open_postmortem = any(s.key == "postmortem" and not s.done for s in steps)
    may_waive = open_postmortem and can_waive_postmortem(request.user, incident)
    return {
        "process_steps": steps,
        "waiver_form": WaiverForm(auto_id="waiver_%s") if may_waive else None,
    }


def tasks_context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    """The tasks card: the incident's tasks with owners (one query), and the add form (its owner choices
    one query more) for those who may record on it."""
    may_record = can_record(request.user, incident)
    people = task_owners_offered(request.user, incident) if may_record else None
    return {
        "tasks": list(incident.tasks.select_related("owner", "done_by")),
        "task_form": TaskForm(people=people, auto_id="task_%s") if may_record else None,
    }


def updates_context(
    request: HttpRequest, incident: Incident, form: StakeholderUpdateForm | None
) -> dict[str, Any]:
    """The stakeholder updates card: the incident's updates, newest first (one query), whether the latest
    one's promised next update is late, and the post form for those who may record on it."""
    updates = list(selectors.stakeholder_updates_of(incident))
    promised = updates[0].next_update_at if updates else None
    may_record = can_record(request.user, incident)
    if form is None and may_record:
        form = StakeholderUpdateForm(incident=incident, auto_id="update_%s")
    return {
        "stakeholder_updates": updates,
        "update_late": bool(incident.is_active and promised and promised < timezone.now()),
        "update_form": form if may_record else None,
    }


def attachments_context(
    request: HttpRequest, incident: Incident, form: AttachmentForm | None
) -> dict[str, Any]:
    """The attachments card: the incident's attachments with who uploaded each (one query), the ids of those
    the user may remove, and the upload form for those who may record on it."""
    may_record = can_record(request.user, incident)
    if form is None and may_record:
        form = AttachmentForm(auto_id="attachment_%s")
    attachments = list(selectors.attachments_of(incident))
    return {
        "attachments": attachments,
        "attachments_removable": attachments_removable_by(request.user, incident, attachments),
        "attachment_form": form if may_record else None,
        "attachment_max_mb": megabytes(settings.ATTACHMENT_MAX_BYTES),
    }
