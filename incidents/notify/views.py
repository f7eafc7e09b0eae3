"""Subscription pages: follow a service, a team or one incident, and stop following it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Team
from incidents.incident import selectors
from incidents.models import Service
from incidents.notify.services import subscription_set
from incidents.permissions import can_subscribe_broadly, subscriptions_visible_to


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
            if not broad:
                raise Http404("No such page.")
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
