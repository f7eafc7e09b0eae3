"""Directory writes: services (owned by a team) and tags. Team leads manage their teams' services, admins all."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from accounts.models import Team
from incidents.incident.models import is_http_url
from incidents.models import Incident, Service, ServiceTier, Tag
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


MAX_DASHBOARDS = 20


def clean_dashboards(dashboards: Any) -> tuple[list[dict[str, str]], str]:
    """`dashboards` (a list of `{"label", "url"}` mappings, or of `(label, url)` pairs) as stored: labels
    stripped (default: the URL's host), every URL http(s) and at most 500 characters, no URL twice, at most
    20. Returns (the list, '') or ([], the message for the `dashboards` field)."""
    if dashboards in (None, ""):
        return [], ""
    if not isinstance(dashboards, list | tuple):
        return [], "Give a list of dashboards, each a label and an http(s) URL."
    cleaned: list[dict[str, str]] = []
    for position, item in enumerate(dashboards, start=1):
        if isinstance(item, dict):
            label, url = item.get("label", ""), item.get("url", "")
        elif isinstance(item, list | tuple) and len(item) == 2:
            label, url = item
        else:
            return [], f"Dashboard {position}: give a label and an http(s) URL."
        label, url = str(label or "").strip(), str(url or "").strip()
        if not is_http_url(url) or len(url) > 500:
            return [], f"Dashboard {position}: {url or 'the URL'} is not an http:// or https:// address."
        if len(label) > 100:
            return [], f"Dashboard {position}: keep the label under 100 characters."
        if any(d["url"] == url for d in cleaned):
            return [], f"Dashboard {position}: {url} is listed twice."
        cleaned.append({"label": label or (urlsplit(url).hostname or url), "url": url})
    if len(cleaned) > MAX_DASHBOARDS:
        return [], f"Give at most {MAX_DASHBOARDS} dashboards."
    return cleaned, ""


def _catalog_errors(
    service_id: int | None, tier: Any, runbook_url: str, dashboards: Any, depends_on: Any
) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if tier in (None, ""):
        values["tier"] = None
    else:
        try:
            values["tier"] = ServiceTier(int(tier))
        except (TypeError, ValueError):
            errors["tier"] = "Choose a tier from 1 to 4, or none."
    runbook_url = (runbook_url or "").strip()
    if runbook_url and (not is_http_url(runbook_url) or len(runbook_url) > 500):
        errors["runbook_url"] = "Give the runbook's http:// or https:// address (at most 500 characters)."
    values["runbook_url"] = runbook_url
    values["dashboards"], message = clean_dashboards(dashboards)
    if message:
        errors["dashboards"] = message
    needed = list(depends_on or [])
    if service_id is not None and any(s.pk == service_id for s in needed):
        errors["depends_on"] = "A service cannot depend on itself."
    values["depends_on"] = needed
    return values, errors


def _service_write(service: Service, values: dict[str, Any]) -> None:
    service.tier = values["tier"]
    service.runbook_url = values["runbook_url"]
    service.dashboards = values["dashboards"]
    service.save()
    service.depends_on.set(values["depends_on"])


@transaction.atomic
def service_create(
    *,
    actor: Any,
    name: str,
    team: Team | None,
    slug: str = "",
    description: str = "",
    tier: int | None = None,
    runbook_url: str = "",
    dashboards: Any = (),
    depends_on: Any = (),
) -> Service:
    """Create a service owned by `team`, with its catalog entry: `tier` (1-4 or None), `runbook_url` and
    `dashboards` (see `clean_dashboards`; http(s) only) and `depends_on` (services). Leads of that team and
    admins only (AccessDenied; a service without a team is for admins). The slug defaults to the slugified
    name. ValidationError keyed by field."""
    authorize(
        actor,
        lambda u: can_manage_team(u, team.pk if team else None),
        visible=can_manage_settings,
        message="Only the owner team's leads and admins add its services.",
    )
    name = (name or "").strip()
    slug = slugify(slug or name)
    errors = _service_errors(name, slug, None)
    values, catalog_errors = _catalog_errors(None, tier, runbook_url, dashboards, depends_on)
    errors.update(catalog_errors)
    if errors:
        raise ValidationError(errors)
    service = Service(name=name, slug=slug, description=(description or "").strip(), team=team)
    _service_write(service, values)
    return service


#: What `service_update` leaves as it is when not given.
KEEP: Any = object()


@transaction.atomic
def service_update(
    *,
    actor: Any,
    service: Service,
    name: str,
    team: Team | None,
    slug: str,
    description: str = "",
    tier: Any = KEEP,
    runbook_url: Any = KEEP,
    dashboards: Any = KEEP,
    depends_on: Any = KEEP,
) -> Service:
    """Edit a service and its catalog entry (arguments as `service_create`; a catalog argument not given
    keeps its value); moving it to another team needs the right to manage both teams. A service cannot
    depend on itself (ValidationError `depends_on`); a cycle through others is allowed and shown."""
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
    values, catalog_errors = _catalog_errors(
        current.pk,
        current.tier if tier is KEEP else tier,
        current.runbook_url if runbook_url is KEEP else runbook_url,
        current.dashboards if dashboards is KEEP else dashboards,
        list(current.depends_on.all()) if depends_on is KEEP else depends_on,
    )
    errors.update(catalog_errors)
    if errors:
        raise ValidationError(errors)
    current.name, current.slug, current.team = name, slug, team
    current.description = (description or "").strip()
    _service_write(current, values)
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


def _tag_authorize(actor: Any) -> None:
    authorize(actor, can_manage_settings, visible=False, message="Only team leads and admins manage tags.")


@transaction.atomic
def tag_merge(*, actor: Any, tag: Tag, into: Tag) -> Tag:
    """Merge `tag` into `into`: every incident carrying `tag` carries `into` instead (once), and `tag` is
    gone. Returns `into`. Team leads and admins only (AccessDenied); ValidationError keyed `into` when it
    is `tag` itself or no longer exists."""
    _tag_authorize(actor)
    if into.pk == tag.pk:
        raise ValidationError({"into": "Choose another tag to merge into."})
    rows = {t.pk: t for t in Tag.objects.select_for_update().filter(pk__in=[tag.pk, into.pk])}
    if into.pk not in rows:
        raise ValidationError({"into": "That tag no longer exists; choose another."})
    if tag.pk not in rows:
        raise ValidationError({"into": "This tag was merged or deleted meanwhile."})
    through = Incident.tags.through
    carrying = set(through.objects.filter(tag_id=tag.pk).values_list("incident_id", flat=True))
    already = set(
        through.objects.filter(tag_id=into.pk, incident_id__in=carrying).values_list("incident_id", flat=True)
    )
    through.objects.bulk_create([through(incident_id=i, tag_id=into.pk) for i in sorted(carrying - already)])
    rows[tag.pk].delete()
    return rows[into.pk]


@transaction.atomic
def tag_delete(*, actor: Any, tag: Tag) -> int:
    """Delete `tag`, taking it off every incident carrying it; returns how many carried it (0 when it
    was deleted meanwhile). Team leads and admins only (AccessDenied)."""
    _tag_authorize(actor)
    row = Tag.objects.select_for_update().filter(pk=tag.pk).first()
    if row is None:
        return 0
    carried = Incident.tags.through.objects.filter(tag_id=row.pk).count()
    row.delete()
    return carried
