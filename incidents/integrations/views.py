"""Alert integration pages (team leads and admins): list, add (the token is shown once), edit, new token."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import Team
from incidents.errors import add_form_errors
from incidents.integrations.forms import IntegrationForm
from incidents.integrations.models import AlertIntegration
from incidents.integrations.services.configuration import (
    alert_integration_create,
    alert_integration_rotate_token,
    alert_integration_update,
)
from incidents.models import Service
from incidents.permissions.checks import require_page
from incidents.permissions.roles import can_manage_settings, can_manage_team, is_admin, lead_team_ids


def _teams_for(user: Any) -> Any:
    teams = Team.objects.order_by("name")
    return teams if is_admin(user) else teams.filter(pk__in=lead_team_ids(user))


def _services_for(user: Any, integration: AlertIntegration | None = None) -> Any:
    """The services `user` may point an integration at (those of teams they lead; admins: all), and
    those `integration` has already."""
    services = Service.objects.order_by("name")
    if is_admin(user):
        return services
    mine = Q(team__in=lead_team_ids(user))
    if integration is not None:
        mine |= Q(pk__in=integration.services.values("pk"))
    return services.filter(mine)


def _visible(user: Any) -> Any:
    qs = AlertIntegration.objects.select_related("team").order_by("name")
    return qs if is_admin(user) else qs.filter(team__in=lead_team_ids(user))


def _page(request: HttpRequest, form: IntegrationForm, *, status: int = 200, **extra: Any) -> HttpResponse:
    rows = [
        {
            "cells": [
                i.name,
                i.get_kind_display(),
                i.team or "—",
                f"{i.key_prefix}…",
                "active" if i.is_active else "off",
                i.last_used_at or "never",
            ],  # fmt: skip
            "edit_url": reverse("incidents:integration_edit", args=[i.pk]),
        }
        for i in _visible(request.user)
    ]
    context = {
        "title": "Alert integrations",
        "intro": "Each sender posts to /api/v1/integrations/<kind>/ with its own token. The README shows each sender's setup.",
        "headers": ["Name", "Sender", "Team", "Token", "State", "Last used"],
        "rows": rows,
        "form": form,
        "form_title": "Add an integration",
        "submit": "Add integration",
        **extra,
    }
    response = render(request, "incidents/settings_page.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def integration_list(request: HttpRequest) -> HttpResponse:
    """GET: the integrations the user manages and a form to add one. POST: add it and show its token once."""
    require_page(can_manage_settings(request.user), "Only team leads and admins change settings.")
    teams = _teams_for(request.user)
    form = IntegrationForm(request.POST or None, teams=teams, services=_services_for(request.user))
    if request.method == "POST":
        if not form.is_valid():
            return _page(request, form, status=400)
        data = dict(form.cleaned_data)
        data.pop("is_active", None)
        try:
            integration, raw = alert_integration_create(actor=request.user, **data)
        except ValidationError as exc:
            add_form_errors(form, exc)
            return _page(request, form, status=400)
        except PermissionDenied:
            form.add_error("team", "Choose a team you lead.")
            return _page(request, form, status=400)
        endpoint = request.build_absolute_uri(reverse(f"api:integration-{integration.kind}"))
        fresh = IntegrationForm(teams=teams, services=_services_for(request.user))
        return _page(request, fresh, new_secret=raw, endpoint=endpoint)
    return _page(request, form)


def _managed(request: HttpRequest, integration_id: int) -> AlertIntegration:
    integration = get_object_or_404(AlertIntegration, pk=integration_id)
    require_page(
        can_manage_settings(request.user) and can_manage_team(request.user, integration.team_id),
        "Only the team's leads and admins change its settings.",
    )
    return integration


@login_required
def integration_edit(request: HttpRequest, integration_id: int) -> HttpResponse:
    """Edit an integration's team, services, severity mapping, resolve setting, secret and state."""
    integration = _managed(request, integration_id)
    teams = _teams_for(request.user)
    initial = {
        "name": integration.name, "kind": integration.kind, "team": integration.team,
        "services": list(integration.services.all()), "severity_label": integration.severity_label,
        "severity_map": integration.severity_map, "default_severity": integration.default_severity,
        "resolve_when_all_resolved": integration.resolve_when_all_resolved, "is_active": integration.is_active,
    }  # fmt: skip
    form = IntegrationForm(
        request.POST or None,
        initial=initial,
        teams=teams,
        services=_services_for(request.user, integration),
        editing=integration,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            data.pop("kind", None)
            if data.get("severity_map") is None:
                data["severity_map"] = integration.severity_map
            try:
                alert_integration_update(actor=request.user, integration=integration, **data)
            except ValidationError as exc:
                add_form_errors(form, exc)
            except PermissionDenied:
                form.add_error("team", "Choose a team you lead.")
            else:
                messages.success(request, f"Integration {form.cleaned_data['name']} saved.")
                return redirect("incidents:integration_list")
        status = 400
    context = {
        "title": f"Integration {integration.name}",
        "intro": f"{integration.get_kind_display()} · token {integration.key_prefix}… · posts to "
        + reverse(f"api:integration-{integration.kind}"),
        "rows": None,
        "form": form,
        "form_title": "Settings",
        "submit": "Save",
        "extra_form": {
            "action": reverse("incidents:integration_rotate", args=[integration.pk]),
            "label": "Replace the token (the old one stops working)",
        },  # fmt: skip
    }
    return render(request, "incidents/settings_page.html", context, status=status)


@login_required
@require_POST
def integration_rotate(request: HttpRequest, integration_id: int) -> HttpResponse:
    """Give the integration a new token, shown once; the old token stops working at once."""
    integration = _managed(request, integration_id)
    integration, raw = alert_integration_rotate_token(actor=request.user, integration=integration)
    endpoint = request.build_absolute_uri(reverse(f"api:integration-{integration.kind}"))
    return _page(request, IntegrationForm(teams=_teams_for(request.user)), new_secret=raw, endpoint=endpoint)
