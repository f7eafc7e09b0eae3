from __future__ import annotations

from typing import Any

from django.db import transaction

# --- Subscriptions -----------------------------------------------------------------------------------


def subscription_set(
    *, actor: Any, subscribed: bool, service: Any = None, team: Any = None, incident: Any = None
) -> bool:
    """Subscribe `actor` to exactly one of a service, a team or an incident (or unsubscribe with
    `subscribed=False`). Idempotent. Returns whether the actor is subscribed afterwards. Raises
    ValueError unless exactly one target is given. Callers check permission first
    (accounts/permissions.py)."""
    from incidents.models import Subscription

    targets = {
        k: v for k, v in {"service": service, "team": team, "incident": incident}.items() if v is not None
    }
    if len(targets) != 1:
        raise ValueError("Give exactly one of service, team or incident.")
    with transaction.atomic():
        if subscribed:
            Subscription.objects.get_or_create(user=actor, **targets)
        else:
            Subscription.objects.filter(user=actor, **targets).delete()
    return subscribed
