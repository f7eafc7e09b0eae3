"""Incident pages. Views parse input, call one service or selector and render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import Team
from incidents import merge as merging
from incidents.errors import add_form_errors, save_form
from incidents.incident import directory, pages, selectors
from incidents.incident.catalog_forms import ServiceForm, TagForm, TagMergeForm, dashboards_text
from incidents.incident.forms import (
    DeclareForm,
    IncidentEditForm,
    IncidentFilterForm,
    ReopenForm,
    SeverityForm,
    StatusForm,
)
from incidents.incident.services import declare, edits, lifecycle
from incidents.incident.services.common import IncidentConflict
from incidents.incident.type_forms import custom_form_values
from incidents.merge import Merge
from incidents.models import (
    ACTIVE_STATUSES,
    Incident,
    Service,
    Tag,
)
from incidents.paging import page_of
from incidents.permissions.checks import require_command, require_declare, require_page
from incidents.permissions.incident import incidents_visible_to
from incidents.permissions.roles import (
    can_manage_incident_types,
    can_manage_mailing_lists,
    can_manage_settings,
    can_manage_team,
    is_admin,
    lead_team_ids,
)
from incidents.review import selectors as review_selectors


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    active = list(selectors.active_incidents_for(request.user)[:50])
    user = request.user
    mine = [
        i
        for i in active
        if user.pk in (i.commander_id, i.communications_lead_id, i.scribe_id, i.declared_by_id)
    ]
    recent = list(selectors.incident_list_for(request.user).exclude(status__in=ACTIVE_STATUSES)[:10])
    reviews = review_selectors.reviews_waiting_for(user)
    changes = review_selectors.changes_requested_of(user)
    return render(
        request,
        "incidents/incident/dashboard.html",
        {"active": active, "mine": mine, "recent": recent, "reviews": reviews, "changes_requested": changes},
    )


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    filters = IncidentFilterForm(request.GET or None)
    valid = filters.is_valid() if filters.is_bound else True
    criteria = filters.criteria() if filters.is_bound and valid else {}
    try:
        qs = selectors.incident_list_for(request.user, **criteria)
    except ValidationError as exc:
        add_form_errors(filters, exc)
        valid, qs = False, selectors.incident_list_for(request.user).none()
    page = page_of(qs, 25, request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "incidents/incident/list.html",
        {"page": page, "filters": filters, "query": query.urlencode()},
        status=200 if valid else 400,
    )


@login_required
def incident_declare(request: HttpRequest) -> HttpResponse:
    require_declare(request.user)  # the form is for those who may declare (the service checks the post)
    chosen = {"incident_type": request.GET.get("incident_type")} if request.method != "POST" else {}
    people = selectors.people_to_pick(request.user)
    form = DeclareForm(request.POST or None, initial=chosen, people=people)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = declare.incident_declare(
                actor=request.user,
                title=data["title"],
                severity=data["severity"],
                started_at=data["started_at"],
                services=data["services"],
                visibility=data["visibility"],
                incident_type=data.get("incident_type"),
                custom_fields=custom_form_values(form.custom_fields, data),
                summary=data["summary"],
                dedup_key=f"web-declare:{data['submission']}" if data.get("submission") else None,
                declared_at=data["declared_at"],
            )
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, f"{incident.reference} declared.")
            return redirect("incidents:detail", number=incident.number)
    return render(request, "incidents/incident/declare.html", {"form": form})


@login_required
def incident_detail(request: HttpRequest, number: int) -> HttpResponse:
    return pages.incident_page(request, number)


def _merge_page(
    request: HttpRequest, number: int, current: Incident, merge: Merge, message: str
) -> HttpResponse:
    """The edit form again after a conflict, based on the current version (see incidents.merge)."""
    fresh = selectors.incident_get_for(request.user, number)
    form = IncidentEditForm(instance=fresh, initial={**merge.values, "version": current.version})
    context = {
        "form": form, "incident": current, "current": current, "differs": list(merge.conflicts),
        "theirs": merge.theirs, "must_choose": ",".join(merge.conflicts), "conflict": message,
        "choices": merging.choice_wording(merge.conflicts, form),
    }  # fmt: skip
    return render(request, "incidents/incident/edit.html", context, status=409)


@login_required
def incident_edit(request: HttpRequest, number: int) -> HttpResponse:
    """Edit form. A save based on an old version is refused with 409: the form comes back with the
    user's text, the current stored values beside each field, and the current version, so saving the
    reviewed form again goes through (and a third person's change in between is caught again).
    """
    incident = selectors.incident_get_for(request.user, number)
    require_command(request.user, incident)  # the form is for those who may command
    form = IncidentEditForm(request.POST or None, instance=incident, initial={"version": incident.version})
    if request.method == "POST" and form.is_valid():
        fields = form.Meta.fields
        changes = {k: form.cleaned_data[k] for k in fields}
        based_on = form.cleaned_data["version"]
        shown = selectors.incident_values_at(incident, based_on, fields)
        missing = merging.apply_choices(request.POST, changes, shown, fields)
        if missing:
            merge = Merge(values=changes, conflicts={k: (changes[k], shown.get(k)) for k in missing})
            message = "Not saved: choose which value to keep for each field changed by both of you."
            return _merge_page(request, number, incident, merge, message)
        try:
            saved = edits.incident_update(
                incident=incident, actor=request.user, expected_version=based_on, **changes
            )
        except ValidationError as exc:
            add_form_errors(form, exc)
        except IncidentConflict as exc:
            current = exc.current
            merge, message = merging.merged_after_conflict(
                exc, base=shown, mine=changes, current={k: getattr(current, k) for k in fields}
            )
            return _merge_page(request, number, current, merge, message)
        else:
            messages.success(request, " ".join(["Incident saved.", *saved.milestone_notes]))
            return redirect("incidents:detail", number=incident.number)
    return render(request, "incidents/incident/edit.html", {"form": form, "incident": incident})


@login_required
@require_POST
def incident_status(request: HttpRequest, number: int) -> HttpResponse:
    incident = selectors.incident_get_for(request.user, number)
    require_command(request.user, incident)  # before the form: a reader learns nothing from its errors
    return post_action(
        request,
        StatusForm(request.POST),
        lambda data: lifecycle.incident_change_status(
            incident=incident, actor=request.user, status=data["status"], at=data["when"]
        ),
        invalid="Choose a valid status.",
        success="Status changed.",
        back=redirect("incidents:detail", number=incident.number),
    )


@login_required
@require_POST
def incident_severity(request: HttpRequest, number: int) -> HttpResponse:
    incident = selectors.incident_get_for(request.user, number)
    require_command(request.user, incident)  # before the form: a reader learns nothing from its errors
    return post_action(
        request,
        SeverityForm(request.POST),
        lambda data: lifecycle.incident_change_severity(
            incident=incident,
            actor=request.user,
            severity=data["severity"],
            reason=data["reason"],
            at=data["when"],
        ),
        invalid="Choose a severity from SEV1 to SEV4.",
        success="Severity changed.",
        back=redirect("incidents:detail", number=incident.number),
    )


@login_required
@require_POST
def incident_reopen(request: HttpRequest, number: int) -> HttpResponse:
    incident = selectors.incident_get_for(request.user, number)
    require_command(request.user, incident)  # before the form: a reader learns nothing from its errors
    return post_action(
        request,
        ReopenForm(request.POST),
        lambda data: lifecycle.incident_reopen(
            incident=incident, actor=request.user, reason=data["reason"], at=data["when"]
        ),
        invalid="Say why the incident is being reopened.",
        success="Incident reopened.",
        back=redirect("incidents:detail", number=incident.number),
    )


def post_action(
    request: HttpRequest,
    form: forms.Form,
    call: Callable[[dict[str, Any]], Any],
    *,
    invalid: str,
    success: str | Callable[[dict[str, Any]], str],
    back: HttpResponse | str,
) -> HttpResponse:
    """Validate `form`, run `call(cleaned_data)` (one service), flash the outcome and redirect to `back`.

    An invalid form flashes `invalid`; a ValidationError from the service flashes its messages; an
    incident the service returns adds its `milestone_notes` to `success`; the
    service's AccessDenied goes to the error pages (404 if the user cannot see the object, else 403).
    """
    if not form.is_valid():
        # A bad "when" is said as such; anything else gets the action's own message.
        when_errors = form.errors.get("when")
        messages.error(request, f"When: {' '.join(str(e) for e in when_errors)}" if when_errors else invalid)
    else:
        try:
            result = call(form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            said = success(form.cleaned_data) if callable(success) else success
            # An incident left with milestones out of the usual order says so (`Incident.milestone_notes`).
            notes = result.milestone_notes if isinstance(result, Incident) else []
            messages.success(request, " ".join([said, *notes]))
    return back if isinstance(back, HttpResponse) else redirect(back)


# --- Settings: services and tags (team leads and admins) -------------------------------------------------


def _settings_guard(request: HttpRequest) -> None:
    require_page(can_manage_settings(request.user), "Only team leads and admins change settings.")


@login_required
def settings_index(request: HttpRequest) -> HttpResponse:
    """The settings pages a team lead or admin may open."""
    _settings_guard(request)
    context = {
        "can_manage_mailing_lists": can_manage_mailing_lists(request.user),
        "can_manage_incident_types": can_manage_incident_types(request.user),
    }
    return render(request, "incidents/settings_index.html", context)


def _lead_teams(user: Any) -> Any:
    teams = Team.objects.order_by("name")
    return teams if is_admin(user) else teams.filter(pk__in=lead_team_ids(user))


def _service_form(
    request: HttpRequest, initial: dict[str, Any] | None = None, exclude: int | None = None
) -> ServiceForm:
    services = Service.objects.order_by("name")
    if exclude is not None:
        services = services.exclude(pk=exclude)
    return ServiceForm(
        request.POST or None, initial=initial, teams=_lead_teams(request.user), services=services
    )


def _service_page(request: HttpRequest, form: ServiceForm, status: int = 200) -> HttpResponse:
    user = request.user
    cyclic = selectors.services_in_cycles()
    rows = [
        {
            "cells": [
                s.name, s.slug, s.team or "—", s.get_tier_display() if s.tier else "—",
                ", ".join(d.name for d in s.depends_on.all()) or "—",
                ", ".join(d.name for d in s.dependents.all()) or "—",
                "yes: follow its dependencies" if s.pk in cyclic else "",
            ],
            "edit_url": reverse("incidents:service_edit", args=[s.slug]) if can_manage_team(user, s.team_id) else "",
        }
        for s in selectors.service_catalog()
    ]  # fmt: skip
    context = {"title": "Services", "intro": "What incidents affect: the team that owns each, its tier, runbook, dashboards and what it depends on. Leads edit their teams' services.",
               "headers": ["Name", "Short name", "Owner team", "Tier", "Depends on", "Depended on by", "In a cycle"],
               "rows": rows, "form": form, "form_title": "Add a service", "submit": "Add service"}  # fmt: skip
    return render(request, "incidents/settings_page.html", context, status=status)


@login_required
def service_list(request: HttpRequest) -> HttpResponse:
    """GET: every service with its owner team, tier and dependencies. POST: add one (owned by a team the
    user leads)."""
    _settings_guard(request)
    form = _service_form(request)
    if request.method == "POST":
        saved = save_form(
            request,
            form,
            lambda data: directory.service_create(actor=request.user, **data),
            success=lambda service: f"Service {service.name} added.",
            then=lambda _: redirect("incidents:service_list"),
            denied=("team", "Choose a team you lead (services without a team are for admins)."),
        )
        return saved or _service_page(request, form, status=400)
    return _service_page(request, form)


@login_required
def service_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Edit a service of a team the user leads (admins: any), with its catalog entry."""
    _settings_guard(request)
    service = Service.objects.filter(slug=slug).first()
    if service is None:
        raise Http404("No such service.")
    require_page(
        can_manage_team(request.user, service.team_id),
        "Only the team's leads and admins change its settings.",
    )
    initial = {
        "name": service.name, "slug": service.slug, "team": service.team, "description": service.description,
        "tier": service.tier or "", "runbook_url": service.runbook_url,
        "dashboards": dashboards_text(service.dashboards), "depends_on": list(service.depends_on.all()),
    }  # fmt: skip
    form = _service_form(request, initial, exclude=service.pk)
    status = 200
    if request.method == "POST":
        saved = save_form(
            request,
            form,
            lambda data: directory.service_update(actor=request.user, service=service, **data),
            success="Service saved.",
            then=lambda _: redirect("incidents:service_list"),
            denied=("team", "Choose a team you lead."),
        )
        if saved:
            return saved
        status = 400
    cyclic = service.pk in selectors.services_in_cycles()
    context = {
        "title": f"Service {service.name}",
        "intro": "This service is on a dependency cycle: something it depends on depends on it again."
        if cyclic
        else "",
        "rows": None,
        "form": form,
        "form_title": "Edit",
        "submit": "Save",
    }
    return render(request, "incidents/settings_page.html", context, status=status)


def _tag_page(request: HttpRequest, form: TagForm, status: int = 200) -> HttpResponse:
    rows = [
        {"cells": [t.name, t.uses], "edit_url": reverse("incidents:tag_edit", args=[t.pk])}
        # Counted within the viewer's scope: a lead learns nothing of restricted incidents outside it.
        for t in Tag.objects.annotate(
            uses=Count("incidents", filter=Q(incidents__in=incidents_visible_to(request.user).values("id")))
        ).order_by("name")
    ]
    context = {"title": "Tags", "headers": ["Tag", "Incidents"], "rows": rows, "form": form,
               "form_title": "Add a tag", "submit": "Add tag"}  # fmt: skip
    return render(request, "incidents/settings_page.html", context, status=status)


@login_required
def tag_list(request: HttpRequest) -> HttpResponse:
    """GET: every tag and how many incidents carry it. POST: add a tag."""
    _settings_guard(request)
    form = TagForm(request.POST or None)
    if request.method == "POST":
        saved = save_form(
            request,
            form,
            lambda data: directory.tag_create(actor=request.user, name=data["name"]),
            success="Tag added.",
            then=lambda _: redirect("incidents:tag_list"),
        )
        return saved or _tag_page(request, form, status=400)
    return _tag_page(request, form)


@login_required
def tag_edit(request: HttpRequest, tag_id: int) -> HttpResponse:
    """Rename a tag (everywhere it is used); the page links its merge and delete confirmations."""
    _settings_guard(request)
    tag = _tag_or_404(tag_id)
    form = TagForm(request.POST or None, initial={"name": tag.name})
    status = 200
    if request.method == "POST":
        saved = save_form(
            request,
            form,
            lambda data: directory.tag_rename(actor=request.user, tag=tag, name=data["name"]),
            success="Tag renamed.",
            then=lambda _: redirect("incidents:tag_list"),
        )
        if saved:
            return saved
        status = 400
    context = {
        "tag": tag,
        "form": form,
        "merge_form": TagMergeForm(tags=Tag.objects.exclude(pk=tag.pk).order_by("name")),
    }
    return render(request, "incidents/incident/tag_settings.html", context, status=status)


def _tag_or_404(tag_id: int) -> Tag:
    tag = Tag.objects.filter(pk=tag_id).first()
    if tag is None:
        raise Http404("No such tag.")
    return tag


def _tag_carriers(user: Any, tag: Tag) -> int:
    # Counted within the viewer's scope, as on the list: a lead learns nothing of restricted incidents.
    return incidents_visible_to(user).filter(tags=tag).count()


@login_required
def tag_merge(request: HttpRequest, tag_id: int) -> HttpResponse:
    """GET `?into=<id>`: confirm merging this tag into another, saying how many incidents carry it. POST
    (`into`): merge, then back to the tags."""
    _settings_guard(request)
    tag = _tag_or_404(tag_id)
    others = Tag.objects.exclude(pk=tag.pk).order_by("name")
    form = TagMergeForm(request.POST if request.method == "POST" else request.GET, tags=others)
    status = 200
    if form.is_valid():
        into = form.cleaned_data["into"]
        if request.method == "POST":
            saved = save_form(
                request,
                form,
                lambda data: directory.tag_merge(actor=request.user, tag=tag, into=data["into"]),
                success=lambda kept: f"Tag {tag.name} merged into {kept.name}.",
                then=lambda _: redirect("incidents:tag_list"),
            )
            if saved:
                return saved
            status = 400
    else:
        into, status = None, 400
    context = {
        "tag": tag, "into": into, "form": form, "carriers": _tag_carriers(request.user, tag),
        "action": "merge",
    }  # fmt: skip
    return render(request, "incidents/incident/tag_confirm.html", context, status=status)


@login_required
def tag_delete(request: HttpRequest, tag_id: int) -> HttpResponse:
    """GET: confirm deleting the tag, saying how many incidents carry it. POST: delete it (it comes off
    every incident carrying it)."""
    _settings_guard(request)
    tag = _tag_or_404(tag_id)
    if request.method == "POST":
        directory.tag_delete(actor=request.user, tag=tag)
        messages.success(request, f"Tag {tag.name} deleted.")
        return redirect("incidents:tag_list")
    context = {"tag": tag, "carriers": _tag_carriers(request.user, tag), "action": "delete"}
    return render(request, "incidents/incident/tag_confirm.html", context)
