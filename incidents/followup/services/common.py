from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

from incidents.errors import ConflictError
from incidents.models import (
    ActionItem,
    PolicyFinding,
)
from incidents.notify.events import emit


class FollowupConflict(ConflictError):
    """The item or finding changed since the editor loaded it. `current` is the stored row."""

    def __init__(self, current: ActionItem | PolicyFinding) -> None:
        super().__init__(
            current,
            f"“{current.title}” was changed by someone else (now version {current.version}). "
            "Nothing was saved.",
        )


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _actor_id(actor: Any) -> int | None:
    return getattr(_user(actor), "pk", None)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _check_owner(field: str, user: Any) -> None:
    if user is not None and not user.is_active:
        raise ValidationError({field: f"{user} is deactivated; choose an active person."})


def _emit_assigned(kind: str, obj: Any, previous_owner_id: int | None, actor: Any) -> None:
    if obj.owner_id and obj.owner_id != previous_owner_id:
        key = "item_id" if kind == "action_item" else "finding_id"
        emit(
            f"{kind}.assigned",
            **{key: obj.pk},
            owner_id=obj.owner_id,
            previous_owner_id=previous_owner_id,
            actor_id=_actor_id(actor),
        )
