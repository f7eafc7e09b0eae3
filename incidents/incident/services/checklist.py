"""In-incident tasks: a checklist on the incident, from its type's runbook or added during the response.

Every write takes `actor=` and checks it (`require_record`: those who may record on the incident; not found
for those who cannot see it, else 403) before it touches a row, and writes one timeline entry. Errors:
`ValidationError` keyed by field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from incidents.incident.services.common import lock_incident
from incidents.markdown import markdown_text
from incidents.models import Incident, IncidentTask
from incidents.permissions.checks import actor_user, refuse_people, require_record
from incidents.permissions.people import can_own_task
from incidents.timeline.services import system_entry

MAX_TITLE = 200


def runbook_titles(incident: Incident) -> list[str]:
    """The task titles of the incident's type's runbook, in order (none without a type)."""
    kind = incident.incident_type
    return [t.strip() for t in (kind.runbook_tasks if kind else "").splitlines() if t.strip()]


def add_runbook_tasks(incident: Incident, actor: Any, *, at: datetime | None = None) -> list[IncidentTask]:
    """The runbook's tasks on a newly declared incident (its declaring service authorized `actor`); one
    timeline entry at `at` (the declaration) naming how many. Nothing without a runbook."""
    titles = runbook_titles(incident)
    if not titles:
        return []
    user = actor_user(actor)
    tasks = IncidentTask.objects.bulk_create(
        IncidentTask(incident=incident, title=t[:MAX_TITLE], from_runbook=True, position=i, created_by=user)
        for i, t in enumerate(titles)
    )
    system_entry(
        incident=incident,
        actor=actor,
        body=f"{len(tasks)} tasks added from the {markdown_text(incident.incident_type)} runbook",
        occurred_at=at,
    )
    return tasks


def _check_task_owner(actor: Any, incident: Incident, owner: Any) -> None:
    """Refuse `owner` for a task of `incident` (ValidationError keyed `owner`) as an action item's owner is
    refused (`refuse_people`): `NOT_CHOOSABLE` for someone the actor may not pick (what an unknown id gets,
    so ids cannot be probed); naming them when they may not own it (`can_own_task`: a read-only viewer, or someone outside
    a restricted incident, who could not even open it)."""
    refuse_people(
        actor,
        {"owner": owner},
        incidents=[incident],
        why_not=lambda person: (
            None
            if can_own_task(person, incident)
            else f"{person} may not record on {incident.reference}: choose someone who may."
        ),
    )


@transaction.atomic
def incident_task_add(*, incident: Incident, actor: Any, title: str, owner: Any = None) -> IncidentTask:
    """Add a task to the incident's checklist, last, with an optional `owner` (someone the actor may pick
    who may own it, `_check_task_owner`). One "Task added" timeline entry. ValidationError keyed `title`
    or `owner`."""
    require_record(actor, incident)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": "Say what needs doing."})
    if len(title) > MAX_TITLE:
        raise ValidationError({"title": f"Keep it under {MAX_TITLE} characters."})
    if owner is not None:
        _check_task_owner(actor, incident, owner)
    current = lock_incident(incident, None)
    last = current.tasks.aggregate(n=Max("position"))["n"]
    task = IncidentTask.objects.create(
        incident=current,
        title=title,
        owner=owner,
        position=0 if last is None else last + 1,
        created_by=actor_user(actor),
    )
    who = f" (owner: {markdown_text(owner.display_name or owner.email)})" if owner else ""
    system_entry(incident=current, actor=actor, body=f"Task added: {markdown_text(title)}{who}")
    return task


@transaction.atomic
def incident_task_set_done(*, task: IncidentTask, actor: Any, done: bool) -> IncidentTask:
    """Mark a task done (or not done again); one timeline entry each way, none when it already is.
    Those who may record on its incident (AccessDenied otherwise)."""
    require_record(actor, task.incident)
    current = IncidentTask.objects.select_for_update().get(pk=task.pk)
    if (current.done_at is not None) == bool(done):
        return current
    if done:
        current.done_at, current.done_by = timezone.now(), actor_user(actor)
    else:
        current.done_at, current.done_by = None, None
    current.save(update_fields=["done_at", "done_by"])
    verb = "Task done" if done else "Task reopened"
    system_entry(incident=task.incident, actor=actor, body=f"{verb}: {markdown_text(current.title)}")
    return current
