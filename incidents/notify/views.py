"""Subscription pages: follow a service, a team or one incident, and stop following it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import Team
from accounts.services import team_chat_webhook_set
from incidents.incident import selectors
from incidents.models import Service, Severity, SeverityMailingList
from incidents.notify.forms import MailingListsForm, TeamChatForm
from incidents.notify.services import severity_mailing_list_set, subscription_set
from incidents.permissions.checks import require_page
from incidents.permissions.incident import can_subscribe_broadly, subscriptions_visible_to
from incidents.permissions.roles import (
    can_manage_mailing_lists,
    can_manage_settings,
    can_manage_team,
    is_admin,
    lead_team_ids,
)


@login_required
def subscriptions(request: HttpRequest) -> HttpResponse:
    """GET: the user's subscriptions and what they may subscribe to. POST: `action` (subscribe or
    unsubscribe) with one of `service`, `team` (ids); anything else is a 400 with a message."""
    user = request.user
    broad = can_subscribe_broadly(user)
    if request.method == "POST":
        action = request.POST.get("action")
        kind = "service" if "service" in request.POST else "team" if "team" in request.POST else None
        if action not in {"subscribe", "unsubscribe"} or kind is None or not broad:
            require_page(broad, "Only team members follow a service or a team.")
            return HttpResponse("Say subscribe or unsubscribe, and which service or team.", status=400)
        model = Service if kind == "service" else Team
        try:
            target = model.objects.get(pk=int(request.POST[kind]))
        except (ValueError, model.DoesNotExist):
            return HttpResponse(f"No such {kind}.", status=400)
        subscription_set(actor=user, subscribed=action == "subscribe", **{kind: target})
        verb = "now follow" if action == "subscribe" else "no longer follow"
        messages.success(request, f"You {verb} {target}.")
        return redirect("incidents:subscriptions")
    mine = list(subscriptions_visible_to(user).select_related("service", "team", "incident"))
    followed_services = {s.service_id for s in mine if s.service_id}
    followed_teams = {s.team_id for s in mine if s.team_id}
    context = {
        "mine": mine,
        "broad": broad,
        "services": [s for s in Service.objects.order_by("name") if s.pk not in followed_services]
        if broad
        else [],
        "teams": [t for t in Team.objects.order_by("name") if t.pk not in followed_teams] if broad else [],
    }
    return render(request, "incidents/notify/subscriptions.html", context)


@login_required
@require_POST
def incident_subscribe(request: HttpRequest, number: int) -> HttpResponse:
    """Follow (`action=subscribe`) or stop following (`action=unsubscribe`) one incident the user can see."""
    incident = selectors.incident_get_for(request.user, number)
    action = request.POST.get("action", "subscribe")
    if action not in {"subscribe", "unsubscribe"}:
        return HttpResponse("Say subscribe or unsubscribe.", status=400)
    subscription_set(actor=request.user, subscribed=action == "subscribe", incident=incident)
    verb = "now follow" if action == "subscribe" else "no longer follow"
    messages.success(request, f"You {verb} {incident.reference}.")
    if request.POST.get("next") == "subscriptions":
        return redirect("incidents:subscriptions")
    return redirect("incidents:detail", number=number)


# --- Settings: severity mailing lists and team chat webhooks -----------------------------------------------


@login_required
def mailing_lists(request: HttpRequest) -> HttpResponse:
    """Admins set who is emailed about every new incident of each severity (every team's: not for leads)."""
    require_page(can_manage_mailing_lists(request.user), "Only admins set the severity mailing lists.")
    stored = {m.severity: m.addresses for m in SeverityMailingList.objects.all()}
    form = MailingListsForm(request.POST or None, initial=stored)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                with transaction.atomic():
                    for severity in Severity.values:
                        try:
                            severity_mailing_list_set(actor=request.user, severity=severity,
                                                      addresses=form.cleaned_data[severity])  # fmt: skip
                        except ValidationError as exc:
                            form.add_error(severity, exc.message_dict.get("addresses", exc.messages))
                    if form.errors:
                        raise ValidationError("")
            except ValidationError:
                pass
            else:
                messages.success(request, "Mailing lists saved.")
                return redirect("incidents:mailing_lists")
        status = 400
    context = {"title": "Severity mailing lists", "intro": "These addresses hear about every new incident of the severity, "
               "and when one is raised to it.", "rows": None, "form": form, "form_title": "Addresses", "submit": "Save"}  # fmt: skip
    return render(request, "incidents/settings_page.html", context, status=status)


def _chat_teams(user: Any) -> Any:
    teams = Team.objects.order_by("name")
    return teams if is_admin(user) else teams.filter(pk__in=lead_team_ids(user))


@login_required
def team_chat_list(request: HttpRequest) -> HttpResponse:
    """The teams the user leads (admins: all) and whether each has a chat webhook."""
    require_page(can_manage_settings(request.user), "Only team leads and admins change settings.")
    rows = [
        {
            "cells": [t.name, "set" if t.chat_webhook_url else "—", t.time_zone],
            "edit_url": reverse("incidents:team_chat_edit", args=[t.slug]),
        }  # fmt: skip
        for t in _chat_teams(request.user)
    ]
    context = {"title": "Team chat webhooks", "intro": "Incidents of a team's services are posted to its chat.",
               "headers": ["Team", "Webhook", "Time zone"], "rows": rows}  # fmt: skip
    return render(request, "incidents/settings_page.html", context)


@login_required
def team_chat_edit(request: HttpRequest, team_slug: str) -> HttpResponse:
    """Set or clear one team's chat webhook (its leads and admins)."""
    team = Team.objects.filter(slug=team_slug).first()
    if team is None:
        raise Http404("No such team.")
    require_page(
        can_manage_settings(request.user) and can_manage_team(request.user, team.pk),
        "Only the team's leads and admins change its settings.",
    )
    form = TeamChatForm(
        request.POST or None, initial={"chat_webhook_url": team.chat_webhook_url, "time_zone": team.time_zone}
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                team_chat_webhook_set(
                    actor=request.user,
                    team=team,
                    url=form.cleaned_data["chat_webhook_url"],
                    time_zone=form.cleaned_data["time_zone"] or None,
                )
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    form.add_error(name if name in form.fields else "chat_webhook_url", errors)
            else:
                messages.success(request, f"Chat webhook of {team.name} saved.")
                return redirect("incidents:team_chat_list")
        status = 400
    context = {"title": f"Chat webhook of {team.name}", "rows": None, "form": form, "form_title": "Webhook",
               "submit": "Save"}  # fmt: skip
    return render(request, "incidents/settings_page.html", context, status=status)
