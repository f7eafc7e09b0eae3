from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction

from incidents.models import Severity, SeverityMailingList
from incidents.permissions import can_manage_settings

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


# --- Settings: severity mailing lists ---------------------------------------------------------------------


@transaction.atomic
def severity_mailing_list_set(*, actor: Any, severity: str, addresses: str) -> list[str]:
    """Set the addresses told about every new incident of `severity` (one per line; empty clears the list).

    Team leads and admins only (PermissionDenied). Returns the stored addresses. Raises ValidationError keyed
    `addresses` naming any address that is not an email address.
    """
    if not can_manage_settings(actor):
        raise PermissionDenied("Only team leads and admins manage mailing lists.")
    if severity not in Severity.values:
        raise ValidationError({"severity": "Choose a severity from SEV1 to SEV4."})
    wanted = [a.strip() for a in (addresses or "").replace(",", "\n").splitlines() if a.strip()]
    bad = []
    for address in wanted:
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
    if bad:
        raise ValidationError({"addresses": f"Not an email address: {', '.join(bad)}."})
    SeverityMailingList.objects.update_or_create(severity=severity, defaults={"addresses": "\n".join(wanted)})
    return wanted
