"""Tracker pages: Settings → Issue trackers (team leads and admins), "Create in tracker" and the choice on
a field changed on both sides (action item page), and the trackers' webhook endpoint."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse, RawPostDataException
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Team
from incidents.errors import add_form_errors
from incidents.followup import selectors as followup_selectors
from incidents.followup.views.items import ITEM_PAGE
from incidents.integrations.trackers.base import SignatureInvalid
from incidents.integrations.trackers.configuration import tracker_connection_save
from incidents.integrations.trackers.conflicts import TrackerConflictMoved, tracker_conflict_resolve
from incidents.integrations.trackers.forms import TrackerForm, TrackerSettleForm
from incidents.integrations.trackers.models import TrackerConnection
from incidents.integrations.trackers.selectors import tracker_panel_for
from incidents.integrations.trackers.services import (
    PayloadInvalid,
    TrackerIssueTaken,
    TrackerNotFound,
    tracker_issue_create,
    tracker_webhook_receive,
)
from incidents.permissions.checks import require_edit_action_item, require_page
from incidents.permissions.roles import can_manage_settings, can_manage_team, is_admin, lead_team_ids

MAX_WEBHOOK_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440  # Django's limit (2.5 MB) is the first
TOO_LARGE = f"The body is larger than a tracker's webhook ({MAX_WEBHOOK_BYTES // 1_000_000} MB at most)."


def _teams_for(user: Any) -> Any:
    teams = Team.objects.order_by("name")
    return teams if is_admin(user) else teams.filter(pk__in=lead_team_ids(user))


def _page(request: HttpRequest, form: TrackerForm, *, status: int = 200, **extra: Any) -> HttpResponse:
    trackers = TrackerConnection.objects.select_related("team").order_by("team__name")
    if not is_admin(request.user):
        trackers = trackers.filter(team__in=lead_team_ids(request.user))
    rows = [
        {
            "cells": [
                t.team,
                t.get_kind_display(),
                t.project,
                "active" if t.is_active else "off",
                "P1 items" if t.auto_create_p1 else "by hand",
                request.build_absolute_uri(reverse("incidents:tracker_webhook", args=[t.pk])),
            ],
            "edit_url": reverse("incidents:tracker_edit", args=[t.pk]),
        }  # fmt: skip
        for t in trackers
    ]
    context = {
        "title": "Issue trackers",
        "intro": "One tracker per team: “Create in tracker” on an action item opens an issue there, and the "
        "tracker's webhook (the address in the last column) moves the item. The README shows each tracker's setup.",
        "headers": ["Team", "Tracker", "Project", "State", "Issues opened", "Webhook address"],
        "rows": rows, "form": form, "form_title": "Set a team's tracker", "submit": "Save tracker",
        **extra,
    }  # fmt: skip
    response = render(request, "incidents/settings_page.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _save(request: HttpRequest, form: TrackerForm) -> HttpResponse:
    if not form.is_valid():
        return _page(request, form, status=400)
    data = dict(form.cleaned_data)
    try:
        connection, secret = tracker_connection_save(actor=request.user, **data)
    except ValidationError as exc:
        add_form_errors(form, exc)
        return _page(request, form, status=400)
    if secret:
        endpoint = request.build_absolute_uri(reverse("incidents:tracker_webhook", args=[connection.pk]))
        return _page(
            request, TrackerForm(teams=_teams_for(request.user)), new_secret=secret, endpoint=endpoint,
            secret_label="webhook secret",  # noqa: S106 - a label, not a secret
        )  # fmt: skip
    messages.success(request, f"Tracker of {connection.team} saved.")
    return redirect("incidents:tracker_list")


@login_required
def tracker_list(request: HttpRequest) -> HttpResponse:
    """GET: the trackers of the teams the user leads and a form. POST: set a team's tracker."""
    require_page(can_manage_settings(request.user), "Only team leads and admins change settings.")
    form = TrackerForm(request.POST or None, teams=_teams_for(request.user))
    if request.method == "POST":
        return _save(request, form)
    return _page(request, form)


@login_required
def tracker_edit(request: HttpRequest, tracker_id: int) -> HttpResponse:
    """The form filled with a tracker's settings (tokens are never shown again)."""
    connection = get_object_or_404(TrackerConnection, pk=tracker_id)
    require_page(
        can_manage_settings(request.user) and can_manage_team(request.user, connection.team_id),
        "Only the team's leads and admins change its settings.",
    )
    initial = {
        "team": connection.team, "kind": connection.kind, "site_url": connection.site_url,
        "project": connection.project, "username": connection.username, "issue_type": connection.issue_type,
        "user_map": connection.user_map, "auto_create_p1": connection.auto_create_p1,
        "is_active": connection.is_active,
    }  # fmt: skip
    form = TrackerForm(request.POST or None, initial=initial, teams=_teams_for(request.user))
    if request.method == "POST":
        return _save(request, form)
    return _page(request, form)


@login_required
@require_POST
def action_item_tracker(request: HttpRequest, item_id: int) -> HttpResponse:
    """ "Create in tracker": open the item's issue in its team's tracker, then back to the item."""
    item = followup_selectors.action_item_get_for(request.user, item_id)
    try:
        issue = tracker_issue_create(actor=request.user, item=item)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except TrackerIssueTaken as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Opened {issue.key} in the tracker.")
    return redirect("incidents:action_item_detail", item_id=item.pk)


@login_required
@require_GET
def action_item_tracker_panel(request: HttpRequest, item_id: int) -> HttpResponse:
    """The item's tracker panel alone (HTMX): while someone is opening the issue it asks again every 2 s,
    and stops once it shows the issue's key."""
    item = followup_selectors.action_item_get_for(request.user, item_id)
    context = {"item": item, "tracker_panel": tracker_panel_for(request.user, item)}
    response = render(request, "incidents/integrations/_tracker_panel.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def action_item_tracker_conflict(request: HttpRequest, item_id: int) -> HttpResponse:
    """ "Keep Hindsight's" / "Take the tracker's" for one field changed on both sides, on what the page
    showed: if the item or the tracker's value moved since, the page again with what changed (409)."""
    item = followup_selectors.action_item_get_for(request.user, item_id)
    require_edit_action_item(request.user, item)  # before the form: a reader learns nothing from it
    form = TrackerSettleForm(request.POST)
    if not form.is_valid():
        form.add_error(None, "Reload the page and choose again: the choice did not say what you saw.")
        return _item_page(request, item, form, 400)
    data = form.cleaned_data
    try:
        tracker_conflict_resolve(
            actor=request.user, item=item, field=data["field"], keep=data["keep"],
            version=data["version"], shown=data["shown"],
        )  # fmt: skip
    except TrackerConflictMoved as exc:
        form.add_error(None, str(exc))
        return _item_page(request, item, form, 409)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Settled.")
    return redirect("incidents:action_item_detail", item_id=item.pk)


def _item_page(request: HttpRequest, item: Any, form: TrackerSettleForm, status: int) -> HttpResponse:
    current = followup_selectors.action_item_get_for(request.user, item.pk)
    context = ITEM_PAGE.context(request, current, tracker_form=form)
    return render(request, ITEM_PAGE.template, context, status=status)


@csrf_exempt
@require_POST
def tracker_webhook(request: HttpRequest, tracker_id: int) -> HttpResponse:
    """A tracker's webhook: authenticated by its signature (no session, no CSRF token). 401 without a valid
    signature, 404 for no such tracker, 400 for a body that is not JSON, 413 (JSON) for a body over
    MAX_WEBHOOK_BYTES, 200 otherwise (a repeat too), with `detail` saying what it did: the fields applied
    per issue key, the keys no action item is linked to, or why nothing applied."""
    try:
        body = request.body
    except RawPostDataException:  # a form upload, already parsed: trackers send JSON
        return JsonResponse({"detail": "Send the webhook's JSON body (application/json)."}, status=400)
    except RequestDataTooBig:  # over DATA_UPLOAD_MAX_MEMORY_SIZE: JSON, not Django's HTML 400
        return JsonResponse({"detail": TOO_LARGE}, status=413)
    if len(body) > MAX_WEBHOOK_BYTES:
        return JsonResponse({"detail": TOO_LARGE}, status=413)
    try:
        result = tracker_webhook_receive(tracker_id=tracker_id, headers=request.headers, body=body)
    except TrackerNotFound:
        return JsonResponse({"detail": "No such tracker."}, status=404)
    except SignatureInvalid as exc:
        return JsonResponse({"detail": str(exc)}, status=401)
    except PayloadInvalid as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    return JsonResponse(
        {
            "detail": result.detail,
            "duplicate": result.duplicate,
            "applied": result.applied,
            "unknown": result.unknown,
        }
    )
