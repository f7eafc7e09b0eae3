from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from incidents.errors import add_form_errors
from incidents.followup.services import items as services_items
from incidents.incident import selectors as incident_selectors
from incidents.models import (
    ContributingFactor,
    Incident,
    Postmortem,
)
from incidents.permissions.checks import require_page
from incidents.permissions.incident import can_record, incidents_visible_to
from incidents.permissions.review import can_edit_postmortem, can_write_review
from incidents.review import documents as document
from incidents.review import selectors as review_selectors
from incidents.review.forms import (
    FactorForm,
    MeetingForm,
    MeetingInviteForm,
    QuickActionForm,
    QuickFactorForm,
)
from incidents.review.services import factors as services_factors
from incidents.review.services import postmortems as services_postmortems
from incidents.review.views.postmortems import _errors, _get

# --- Contributing factors -----------------------------------------------------------------------------


def _factor_form(
    request: HttpRequest, incident: Incident, data: Any = None, initial: Any = None
) -> FactorForm:
    return FactorForm(
        data,
        initial=initial,
        incident=incident,
        visible_incidents=incidents_visible_to(request.user),
    )


def _factor_kwargs(form: FactorForm) -> dict[str, Any]:
    d = form.cleaned_data
    return {
        "category": d["category"],
        "title": d["title"],
        "description": d["description"],
        "evidence_entries": list(d["evidence_entries"]),
        "missing_test_types": d["missing_test_types"],
        "recurrence_of": d["recurrence_of"],
    }


@login_required
def factor_add(request: HttpRequest, number: int) -> HttpResponse:
    incident = incident_selectors.incident_get_for(request.user, number)
    require_page(can_record(request.user, incident), "You may read this incident but not record on it.")
    form = _factor_form(request, incident, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            factor = services_factors.factor_create(
                incident=incident, actor=request.user, **_factor_kwargs(form)
            )
            services_items.factor_link_action_items(
                factor=factor, actor=request.user, items=form.cleaned_data["action_items"]
            )
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, "Contributing factor recorded.")
            if review_selectors.postmortem_for(incident) is None:
                return redirect("incidents:detail", number=number)
            return redirect(reverse("incidents:postmortem", args=[number]) + "#factors")
    return render(
        request,
        "incidents/review/factor_form.html",
        {"incident": incident, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def factor_edit(request: HttpRequest, number: int, factor_id: int) -> HttpResponse:
    incident = incident_selectors.incident_get_for(request.user, number)
    require_page(can_record(request.user, incident), "You may read this incident but not record on it.")
    factor = get_object_or_404(ContributingFactor, pk=factor_id, incident=incident)
    initial = {
        "category": factor.category,
        "title": factor.title,
        "description": factor.description,
        "evidence_entries": list(factor.evidence_entries.values_list("pk", flat=True)),
        "missing_test_types": factor.missing_test_types,
        "recurrence_of": factor.recurrence_of_id,
        "action_items": list(factor.action_items.values_list("pk", flat=True)),
    }
    form = _factor_form(request, incident, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services_factors.factor_update(factor=factor, actor=request.user, **_factor_kwargs(form))
            services_items.factor_link_action_items(
                factor=factor, actor=request.user, items=form.cleaned_data["action_items"]
            )
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, "Contributing factor saved.")
            return redirect(reverse("incidents:postmortem", args=[number]) + "#factors")
    return render(
        request,
        "incidents/review/factor_form.html",
        {"incident": incident, "form": form, "factor": factor},
        status=400 if form.errors else 200,
    )


# --- Meeting mode -------------------------------------------------------------------------------------


def _form_errors(form: Any) -> str:
    return " ".join(
        f"{form.fields[k].widget.attrs.get('aria-label', k)}: {' '.join(v)}" for k, v in form.errors.items()
    )


def _meeting_parts(pm: Postmortem, viewer: Any) -> dict[str, Any]:
    doc = document.assemble(pm, viewer=viewer)
    return {
        "doc": doc,
        "factor_form": QuickFactorForm(),
        "action_form": QuickActionForm(incident=pm.incident, facilitator=viewer),
    }


def _invitation_parts(pm: Postmortem, viewer: Any) -> dict[str, Any]:
    """The invitation card: the scheduled review meeting (or None), and for those who may write the review
    the form to schedule or move it, filled with the meeting as scheduled."""
    scheduled = review_selectors.review_meeting_current(pm)
    form = None
    if can_write_review(viewer, pm):
        initial: dict[str, Any] = {"duration_minutes": 60}
        if scheduled is not None:
            initial = {
                "starts_at": scheduled.starts_at,
                "duration_minutes": scheduled.duration_minutes,
                "attendees": [p.pk for p in scheduled.attendees.all()],
            }
        form = MeetingInviteForm(incident=pm.incident, user=viewer, initial=initial, auto_id="invite_%s")
    return {"review_meeting": scheduled, "invite_form": form}


@login_required
def meeting(request: HttpRequest, number: int) -> HttpResponse:
    incident, pm = _get(request, number)
    can_edit = can_edit_postmortem(request.user, pm)
    initial = {
        "meeting_at": pm.meeting_at,
        "attendees": list(pm.meeting_attendees.values_list("pk", flat=True)),
        "open_questions": pm.open_questions,
        "notes": pm.meeting_notes,
    }
    form = MeetingForm(request.POST or None, initial=initial, postmortem=pm, user=request.user)
    if request.method == "POST":
        require_page(can_edit, "You may read this postmortem but not edit it.")
        if form.is_valid():
            d = form.cleaned_data
            try:
                services_postmortems.postmortem_meeting_update(
                    postmortem=pm,
                    actor=request.user,
                    meeting_at=d["meeting_at"],
                    attendees=d["attendees"],
                    notes=d["notes"],
                    open_questions=d["open_questions"],
                )
            except ValidationError as exc:
                add_form_errors(form, exc)
            else:
                messages.success(request, "Meeting saved.")
                return redirect("incidents:meeting", number=number)
    context = {
        "incident": incident,
        "pm": pm,
        "form": form,
        "can_edit": can_edit,
        **_meeting_parts(pm, request.user),
        **_invitation_parts(pm, request.user),
    }
    return render(request, "incidents/review/meeting.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def meeting_factor(request: HttpRequest, number: int) -> HttpResponse:
    """HTMX quick capture of a contributing factor; returns the refreshed factor list."""
    incident, pm = _get(request, number)
    require_page(can_edit_postmortem(request.user, pm), "You may read this postmortem but not edit it.")
    form = QuickFactorForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services_factors.factor_create(incident=incident, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            error = _errors(exc)
    else:
        error = "Choose a category and give the factor a title."
    parts = _meeting_parts(pm, request.user)
    status = 400 if error else 200
    if not request.headers.get("HX-Request"):
        if error:
            messages.error(request, error)
        return redirect("incidents:meeting", number=number)
    return render(
        request,
        "incidents/review/_meeting_capture.html",
        {"incident": incident, "pm": pm, "error": error, "can_edit": True, "focus": "factor", **parts},
        status=status,
    )


@login_required
@require_POST
def meeting_action(request: HttpRequest, number: int) -> HttpResponse:
    """HTMX quick capture of an action item (optionally linked to a factor); returns the refreshed lists."""
    incident, pm = _get(request, number)
    require_page(can_edit_postmortem(request.user, pm), "You may read this postmortem but not edit it.")
    form = QuickActionForm(request.POST, incident=incident, facilitator=request.user)
    error = ""
    if form.is_valid():
        d = form.cleaned_data
        try:
            services_items.action_item_quick_add(
                incident=incident,
                actor=request.user,
                title=d["title"],
                factor=d["factor"],
                type=d["type"],
                due_date=d["due_date"],
                owner=d["owner"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):  # keyed by field: said beside its label, as the form's own
                add_form_errors(form, exc)
                error = _form_errors(form)
            else:
                error = _errors(exc)
    else:
        error = "Say what should be done." if "title" in form.errors else _form_errors(form)
    parts = _meeting_parts(pm, request.user)
    if error:
        parts["action_form"] = form  # as typed, with the past-due confirmation when one is asked
    if not request.headers.get("HX-Request"):
        if error:
            messages.error(request, error)
        return redirect("incidents:meeting", number=number)
    return render(
        request,
        "incidents/review/_meeting_capture.html",
        {"incident": incident, "pm": pm, "error": error, "can_edit": True, "focus": "action", **parts},
        status=400 if error else 200,
    )
