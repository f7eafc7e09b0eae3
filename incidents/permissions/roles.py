"""Roles: admin, member, responder, lead (of which teams), and what the roles alone allow.

Answers are cached on the user object for one request (see the package docstring); `permission_cache_clear`
empties the cache for code that changes memberships and asks again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accounts.roles import is_admin as account_is_admin

if TYPE_CHECKING:
    from accounts.models import User


def is_active_user(user: Any) -> bool:
    """True for a signed-in, active user (not None, anonymous or deactivated)."""
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def is_admin(user: Any) -> bool:
    """True for active staff or superusers (what an admin account is, `accounts.roles.is_admin`)."""
    return account_is_admin(user)


def permission_cache_clear(user: Any) -> None:
    """Forget the roles and visibility answers cached on `user` (after changing their memberships)."""
    for attr in ("_hindsight_roles", "_hindsight_visible", "_hindsight_lead_teams"):
        if hasattr(user, attr):
            delattr(user, attr)


def _roles(user: User) -> set[str]:
    cache = getattr(user, "_hindsight_roles", None)
    if cache is None:
        cache = set(user.memberships.values_list("role", flat=True))
        user._hindsight_roles = cache  # type: ignore[attr-defined]
    return cache


def is_member(user: Any) -> bool:
    """True for an active user with at least one team membership, or an admin."""
    return is_admin(user) or (is_active_user(user) and bool(_roles(user)))


def is_responder(user: Any) -> bool:
    """True for admins and users who are responder or lead in at least one team."""
    return is_admin(user) or (is_active_user(user) and bool(_roles(user) & {"responder", "lead"}))


def is_lead(user: Any) -> bool:
    return is_admin(user) or (is_active_user(user) and "lead" in _roles(user))


# --- Settings pages: services, tags, mailing lists, chat webhooks, alert integrations ---------------------


def lead_team_ids(user: Any) -> set[int]:
    """Ids of the teams `user` leads (empty for inactive users; admins are handled by the callers)."""
    if not is_active_user(user):
        return set()
    cache = getattr(user, "_hindsight_lead_teams", None)
    if cache is None:
        cache = set(user.memberships.filter(role="lead").values_list("team_id", flat=True))
        user._hindsight_lead_teams = cache
    return cache


def can_manage_settings(user: Any) -> bool:
    """Team leads and admins open the settings pages (services, tags, mailing lists, chat, integrations)."""
    return is_lead(user)


def can_manage_mailing_lists(user: Any) -> bool:
    """The severity mailing lists hear about every team's incidents, so only admins set them (a team
    lead manages their own team's settings, not everyone's)."""
    return is_admin(user)


def can_manage_incident_types(user: Any) -> bool:
    """Incident types and their custom fields shape every team's declarations, so only admins define them."""
    return is_admin(user)


def can_manage_team(user: Any, team_id: int | None) -> bool:
    """Admins, and the leads of team `team_id`, manage its services, chat webhook and alert integrations.

    Things owned by no team (`team_id` None) are for admins only.
    """
    return is_admin(user) or (team_id is not None and team_id in lead_team_ids(user))
