"""Alert integrations as leads and admins set them up: create, edit, deactivate, rotate the token; and
finding the integration a token belongs to (what the intake authenticates with)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Team
from incidents.integrations.models import AlertIntegration, IntegrationKind
from incidents.integrations.senders import SENDERS
from incidents.models import Service, Severity
from incidents.permissions.checks import actor_user, authorize
from incidents.permissions.roles import can_manage_settings, can_manage_team, is_lead


def can_manage_integrations(user: Any) -> bool:
    """Team leads and admins manage alert integrations."""
    return is_lead(user)


def _authorize(actor: Any, *team_ids: int | None) -> None:
    """Team leads of every team in `team_ids` (the integration's, and the one it moves to) and admins."""
    authorize(
        actor,
        lambda u: can_manage_integrations(u) and all(can_manage_team(u, t) for t in team_ids),
        visible=can_manage_settings,
        message="Only the team's leads and admins manage its alert integrations.",
    )


def _check_services(actor: Any, services: Iterable[Service], *, kept: Iterable[int] = ()) -> list[Service]:
    """`services` as a list, if `actor` may point an integration at each: a service of a team they lead
    (admins: any; a service of no team: admins only). Services in `kept` (ids already on the integration)
    stay without the check. ValidationError keyed `services` naming those refused: an integration's token
    declares incidents on its services, which reach their teams' subscribers, lists and chat."""
    chosen = list(services)
    kept_ids = set(kept)
    refused = [
        s.name
        for s in chosen
        if s.pk not in kept_ids
        and getattr(actor, "is_authenticated", False)
        and not can_manage_team(actor, s.team_id)
    ]
    if refused:
        raise ValidationError(
            {
                "services": f"{', '.join(sorted(refused))}: choose services of the teams you lead (an "
                "integration declares incidents on its services)."
            }
        )
    return chosen


def _check_settings(kind: str, name: str, severity_map: dict[str, str], default_severity: str) -> None:
    errors: dict[str, str] = {}
    if kind not in IntegrationKind.values:
        errors["kind"] = "Choose Alertmanager, Grafana, PagerDuty or Opsgenie."
    if not (name or "").strip():
        errors["name"] = "Name the integration after what sends (for example prod-alertmanager)."
    bad = sorted(str(k) for k, v in (severity_map or {}).items() if v not in Severity.values)
    if not isinstance(severity_map, dict):
        errors["severity_map"] = "Map each value to SEV1, SEV2, SEV3 or SEV4."
    elif bad:
        errors["severity_map"] = f"Map {', '.join(bad)} to SEV1, SEV2, SEV3 or SEV4."
    if default_severity not in Severity.values:
        errors["default_severity"] = "Choose a severity from SEV1 to SEV4."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def alert_integration_create(
    *,
    actor: Any,
    name: str,
    kind: str,
    team: Team | None = None,
    services: Iterable[Service] = (),
    severity_label: str = "severity",
    severity_map: dict[str, str] | None = None,
    default_severity: str = Severity.SEV3,
    resolve_when_all_resolved: bool = False,
    signing_secret: str = "",
) -> tuple[AlertIntegration, str]:
    """Create an integration and return `(integration, raw_token)`; the token (`hsi_…`) is shown once.

    The team's leads and admins only (AccessDenied; an integration of no team is for admins), and
    `services` only of teams the actor leads (admins: any; ValidationError keyed `services`).
    `severity_map` defaults to the sender's usual values. Raises ValidationError keyed by field for a
    missing or taken name, an unknown kind or severity.
    """
    _authorize(actor, team.pk if team else None)
    if severity_map is None:
        severity_map = dict(SENDERS[kind].DEFAULT_SEVERITY_MAP) if kind in SENDERS else {}
    _check_settings(kind, name, severity_map, default_severity)
    services = _check_services(actor, services)
    name = name.strip()
    if AlertIntegration.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": "An integration with this name exists already."})
    raw = AlertIntegration.generate_key()
    integration = AlertIntegration.objects.create(
        name=name,
        kind=kind,
        team=team,
        severity_label=(severity_label or "severity").strip(),
        severity_map=severity_map,
        default_severity=default_severity,
        resolve_when_all_resolved=resolve_when_all_resolved,
        signing_secret=(signing_secret or "").strip(),
        key_hash=AlertIntegration.hash_key(raw),
        key_prefix=raw[:12],
        created_by=actor_user(actor),
    )
    integration.services.set(services)
    return integration, raw


@transaction.atomic
def alert_integration_update(
    *, actor: Any, integration: AlertIntegration, **changes: Any
) -> AlertIntegration:
    """Edit name, team, services, severity settings, resolve setting, signing secret or `is_active`.

    The leads of its team (and of the team it moves to) and admins only (AccessDenied); services added
    only of teams the actor leads (ValidationError keyed `services`; those it has stay). An empty
    `signing_secret` keeps the stored one unless `clear_secret=True`.
    """
    new_team = changes.get("team", integration.team)
    _authorize(actor, integration.team_id, new_team.pk if new_team else None)
    services = changes.pop("services", None)
    if services is not None:
        services = _check_services(actor, services, kept=integration.services.values_list("pk", flat=True))
    clear_secret = changes.pop("clear_secret", False)
    allowed = {"name", "team", "severity_label", "severity_map", "default_severity",
               "resolve_when_all_resolved", "signing_secret", "is_active"}  # fmt: skip
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({k: "This field cannot be edited." for k in unknown})
    current = AlertIntegration.objects.select_for_update().get(pk=integration.pk)
    if not changes.get("signing_secret"):
        changes.pop("signing_secret", None)
        if clear_secret:
            changes["signing_secret"] = ""
    for key, value in changes.items():
        setattr(current, key, value.strip() if isinstance(value, str) else value)
    _check_settings(current.kind, current.name, current.severity_map, current.default_severity)
    if AlertIntegration.objects.filter(name__iexact=current.name).exclude(pk=current.pk).exists():
        raise ValidationError({"name": "An integration with this name exists already."})
    current.save()
    if services is not None:
        current.services.set(services)
    return current


@transaction.atomic
def alert_integration_rotate_token(
    *, actor: Any, integration: AlertIntegration
) -> tuple[AlertIntegration, str]:
    """Replace the integration's token (the old one stops working at once); return the new raw token.

    The leads of its team and admins only (AccessDenied)."""
    _authorize(actor, integration.team_id)
    raw = AlertIntegration.generate_key()
    AlertIntegration.objects.filter(pk=integration.pk).update(
        key_hash=AlertIntegration.hash_key(raw), key_prefix=raw[:12]
    )
    integration.refresh_from_db()
    return integration, raw


def alert_integration_authenticate(raw: str) -> AlertIntegration | None:
    """The active integration whose token is `raw`, or None. Marks it used at most once a minute."""
    if not raw.startswith(AlertIntegration.TOKEN_PREFIX):
        return None
    integration = AlertIntegration.objects.filter(
        key_hash=AlertIntegration.hash_key(raw), is_active=True
    ).first()
    if integration is None:
        return None
    now = timezone.now()
    if integration.last_used_at is None or now - integration.last_used_at >= timedelta(seconds=60):
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - timedelta(seconds=60))
        AlertIntegration.objects.filter(stale, pk=integration.pk).update(last_used_at=now)
        integration.last_used_at = now
    return integration
