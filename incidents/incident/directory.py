"""Directory writes: services (owned by a team) and tags. Team leads manage their teams' services, admins all."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from accounts.models import Team
from incidents.models import Service, Tag
from incidents.permissions.checks import authorize
from incidents.permissions.roles import can_manage_settings, can_manage_team


def name_and_slug_errors(
    model: Any, name: str, slug: str, exclude: int | None, *, noun: str, example: str
) -> dict[str, str]:
    """Field errors (`name`, `slug`) for a named row of `model` (a service, an incident type): both given,
    the name unique ignoring case and the slug unique among the other rows (all but pk `exclude`)."""
    errors: dict[str, str] = {}
    others = model.objects.exclude(pk=exclude) if exclude else model.objects.all()
    if not name:
        errors["name"] = f"Name the {noun} (for example {example})."
    elif others.filter(name__iexact=name).exists():
        errors["name"] = f"A {noun} with this name exists already."
    if not slug:
        errors["slug"] = "Give a short name of letters, digits and hyphens."
    elif others.filter(slug=slug).exists():
        errors["slug"] = f"Another {noun} uses this short name."
    return errors


def _service_errors(name: str, slug: str, exclude: int | None) -> dict[str, str]:
    return name_and_slug_errors(Service, name, slug, exclude, noun="service", example="checkout-api")


@transaction.atomic
def service_create(
    *, actor: Any, name: str, team: Team | None, slug: str = "", description: str = ""
) -> Service:
    """Create a service owned by `team`. Leads of that team and admins only (AccessDenied; a service
    without a team is for admins). The slug defaults to the slugified name. ValidationError keyed by field."""
    authorize(
        actor,
        lambda u: can_manage_team(u, team.pk if team else None),
        visible=can_manage_settings,
        message="Only the owner team's leads and admins add its services.",
    )
    name = (name or "").strip()
    slug = slugify(slug or name)
    errors = _service_errors(name, slug, None)
    if errors:
        raise ValidationError(errors)
    return Service.objects.create(name=name, slug=slug, description=(description or "").strip(), team=team)


@transaction.atomic
def service_update(*, actor: Any, service: Service, name: str, team: Team | None, slug: str,
                   description: str = "") -> Service:  # fmt: skip
    """Edit a service; moving it to another team needs the right to manage both teams."""
    authorize(
        actor,
        lambda u: can_manage_team(u, service.team_id) and can_manage_team(u, team.pk if team else None),
        visible=can_manage_settings,
        message="Only the owner team's leads and admins edit its services.",
    )
    current = Service.objects.select_for_update().get(pk=service.pk)
    if current.team_id != service.team_id and not can_manage_team(actor, current.team_id):
        raise ValidationError({"team": "The service moved to another team meanwhile; reload the page."})
    name = (name or "").strip()
    slug = slugify(slug or name)
    errors = _service_errors(name, slug, current.pk)
    if errors:
        raise ValidationError(errors)
    current.name, current.slug, current.team = name, slug, team
    current.description = (description or "").strip()
    current.save()
    return current


def _tag_name(name: str, exclude: int | None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the tag a name."})
    if len(name) > 50:
        raise ValidationError({"name": "Keep a tag under 50 characters."})
    others = Tag.objects.exclude(pk=exclude) if exclude else Tag.objects.all()
    if others.filter(name__iexact=name).exists():
        raise ValidationError({"name": "This tag exists already."})
    return name


@transaction.atomic
def tag_create(*, actor: Any, name: str) -> Tag:
    """Add a tag. Team leads and admins only (AccessDenied); ValidationError keyed `name`."""
    authorize(actor, can_manage_settings, visible=False, message="Only team leads and admins manage tags.")
    return Tag.objects.create(name=_tag_name(name, None))


@transaction.atomic
def tag_rename(*, actor: Any, tag: Tag, name: str) -> Tag:
    """Rename a tag everywhere it is used. Team leads and admins only."""
    authorize(actor, can_manage_settings, visible=False, message="Only team leads and admins manage tags.")
    tag.name = _tag_name(name, tag.pk)
    tag.save(update_fields=["name"])
    return tag
