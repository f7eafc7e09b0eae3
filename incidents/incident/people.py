"""The incident page's People card: give a role, hand over command, add or remove a participant, and the
people picker's suggestions. Views parse input, call one service and render.

An HTMX request gets the card again (200, or 422 with the form's errors, which static/js/timeline.js
swaps in); a plain form post is redirected to the incident page with the outcome as a message.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from incidents.errors import add_form_errors
from incidents.incident import live, selectors
from incidents.incident.forms import ParticipantForm, RoleForm
from incidents.incident.services import edits
from incidents.incident.services.common import IncidentConflict
from incidents.models import Incident
from incidents.permissions.checks import require_command, require_manage_participants, require_record
from incidents.permissions.people import users_visible_to, users_who_may_take_role

MAX_SUGGESTIONS = 8
# What a picker fills in: a role's form or the add-participant form (the ids of their suggestion lists).
TARGETS = ("commander", "communications_lead", "scribe", "participant")
ROLE_LABELS = live.ROLE_LABELS
STALE_ROLES = (
    "Someone changed this incident since you loaded it; the card now shows who holds each role. Pick again."
)


def pickable(user: Any, incident: Incident, target: str) -> Any:
    """Whom `user` may pick in picker `target` (one of TARGETS): for a role, the people they may pick who
    may also take a role (`users_who_may_take_role`: no read-only viewer, and on a restricted incident
    only those taking part), without the one who holds it now (handing command to the commander changes
    nothing); for a participant, anyone they may pick (`users_visible_to`). What the suggestions offer."""
    if target == "participant":
        return users_visible_to(user, incident)
    people = role_people(user, incident)
    holder = getattr(incident, f"{target}_id", None)
    return people if holder is None else people.exclude(pk=holder)


def role_people(user: Any, incident: Incident) -> Any:
    """Whom `user` may give a role on `incident`: people they may pick (`users_visible_to`) who may take
    a role (`users_who_may_take_role`). What the role form accepts (the current holder too: no change)."""
    return users_visible_to(user, incident).filter(pk__in=users_who_may_take_role(incident).values("pk"))


def _respond(
    request: HttpRequest, incident: Incident, *, target: str, message: str = "", form: Any = None
) -> HttpResponse:
    """The card again for HTMX (200, or 422 with `form`'s errors); otherwise back to the incident page
    with the outcome as a message."""
    if request.headers.get("HX-Request"):
        # The card, and the header out of band at the new version (so the live poll does not redo it).
        fresh = selectors.incident_get_for(request.user, incident.number)
        context = {
            **live.live_context(request, fresh),
            **live.people_context(request, fresh, form=form, target=target, message=message),
            "live_oob": True,
        }
        return render(
            request, "incidents/incident/_people_changed.html", context, status=422 if form else 200
        )
    if form is not None:
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        messages.error(request, " ".join(errors) or "Not saved.")
    else:
        messages.success(request, message)
    return redirect("incidents:detail", number=incident.number)


@login_required
@require_POST
def incident_role(request: HttpRequest, number: int) -> HttpResponse:
    """Give `role` to `person` (empty with `clear`: nobody), at the incident `version` the page showed
    (stale: the card again with the current roles and an error). One timeline entry when it changes."""
    incident = selectors.incident_get_for(request.user, number)
    require_command(request.user, incident)  # the form is for those who may command (the service checks)
    # Accepted: anyone they may pick (someone who may not take a role is refused by the service, naming
    # them); anyone else is refused as an id that names nobody.
    form = RoleForm(request.POST, people=users_visible_to(request.user, incident))
    if form.is_valid():
        role, person = form.cleaned_data["role"], form.cleaned_data["person"]
        try:
            edits.incident_assign_roles(
                incident=incident,
                actor=request.user,
                expected_version=form.cleaned_data["version"],
                **{role: person},
            )
        except ValidationError as exc:
            add_form_errors(form, ValidationError({"person": exc.messages}))
        except IncidentConflict:
            add_form_errors(form, ValidationError({"person": STALE_ROLES}))
        else:
            who = person or "nobody"
            label = ROLE_LABELS[role]
            text = f"Command handed over to {who}." if role == "commander" else f"{label}: {who}."
            return _respond(request, incident, target=role, message=text)
    role = request.POST.get("role", "")
    return _respond(request, incident, target=role if role in TARGETS else "", form=form)


@login_required
@require_POST
def incident_participant(request: HttpRequest, number: int) -> HttpResponse:
    """Add (`action=add`) or remove (`action=remove`) a participant. One timeline entry when it changes."""
    incident = selectors.incident_get_for(request.user, number)
    require_manage_participants(request.user, incident)  # the form is theirs only (the service checks)
    if request.POST.get("action") == "remove":
        people = User.objects.filter(participated_incidents=incident)
    else:
        people = users_visible_to(request.user, incident)
    form = ParticipantForm(request.POST, people=people)
    if form.is_valid():
        person, action = form.cleaned_data["person"], form.cleaned_data["action"]
        service = edits.incident_participant_add if action == "add" else edits.incident_participant_remove
        try:
            changed = service(incident=incident, actor=request.user, person=person)
        except ValidationError as exc:
            add_form_errors(form, ValidationError({"person": exc.messages}))
        else:
            if action == "add":
                text = f"{person} added as a participant." if changed else f"{person} already takes part."
            else:
                text = f"{person} removed from the participants." if changed else f"{person} was not one."
            return _respond(request, incident, target="participant", message=text)
    return _respond(request, incident, target="participant", form=form)


@login_required
@require_GET
def people_suggestions(request: HttpRequest, number: int) -> HttpResponse:
    """Up to 8 people the viewer may pick whose name or email contains `q` (by name), as picker options
    (`for`: the picker they belong to, a role or "participant", default "participant"; a role's picker
    offers only who may take a role). An unknown `for` is 400."""
    incident = selectors.incident_get_for(request.user, number)
    require_record(request.user, incident)  # suggestions are for those who work on it
    target = request.GET.get("for", "participant")
    if target not in TARGETS:
        return HttpResponseBadRequest(
            f"Unknown picker {target[:40]!r}: for= is one of {', '.join(TARGETS)}.", content_type="text/plain"
        )
    query = request.GET.get("q", "").strip()[:100]
    people = pickable(request.user, incident, target)
    if query:
        people = people.filter(Q(display_name__icontains=query) | Q(email__icontains=query))
    found = list(people[: MAX_SUGGESTIONS + 1])
    context = {
        "incident": incident,
        "suggestions": found[:MAX_SUGGESTIONS],
        "more": len(found) > MAX_SUGGESTIONS,
        "query": query,
        "target": target,
    }
    return render(request, "incidents/incident/_people_suggestions.html", context)
