"""Account roles: the part of "who may do what" that belongs to an account itself.

Hindsight's admin is an active staff user or superuser. `incidents.permissions.roles.is_admin` asks this, so
accounts decides what an admin account is and incidents decides what an admin may do there.
"""

from __future__ import annotations

from typing import Any


def is_admin(user: Any) -> bool:
    """True for a signed-in, active staff user or superuser; False for anyone else (None, anonymous)."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_staff or user.is_superuser)
    )
