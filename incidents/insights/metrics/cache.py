"""A short cache of what Insights shows, per viewer scope and filters, dropped by any write it counts.

Key: `insights:<data version>:<scope>:<what>:<digest of the filters>`.

- scope: `counted_scope_signature(viewer)` (incidents/permissions/followup.py): equal for two viewers who
  see the same incidents and findings, so every member who takes part in no restricted incident shares
  one copy, and a viewer who sees a restricted incident never shares another's (the signature is read
  from the database on every request: joining an incident changes it at once).
- what: the rendered HTML of one figure (`figure:<slug>`), or the range the page opens on.
- data version: a token replaced on every write to anything a figure counts (incidents and their services,
  participants and tags, the catalog's services, tags and teams, custom field definitions, factors, action items, findings, postmortems and their
  reviews, memberships, blameless records and dismissals), once at the write and again when its
  transaction commits, so a page computed from the rows before the commit never outlives it. Timeline
  entries are counted by no figure and bump nothing (a busy incident would otherwise empty the cache for
  everyone every second).

The cache is Django's default cache (`CACHES` in config/settings.py: Redis when `REDIS_URL` is set, else files
under `var/cache` that every process of `make run` shares), so a write made by one process or by a Celery task
is seen by the next page of every other. Entries live at most `INSIGHTS_CACHE_SECONDS`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from accounts.models import Membership, Team
from incidents.insights.metrics.base import MetricFilters
from incidents.models import (
    ActionItem,
    BlamelessDismissal,
    BlamelessRecord,
    ContributingFactor,
    CustomField,
    Incident,
    PolicyFinding,
    Postmortem,
    PostmortemReview,
    Service,
    Tag,
)
from incidents.permissions.followup import counted_scope_signature

#: How long a figure is kept, in seconds (writes drop it sooner).
INSIGHTS_CACHE_SECONDS = 60
VERSION_KEY = "insights:data-version"


def data_version() -> str:
    """The current data version (a short random token; every counted write replaces it)."""
    value = cache.get(VERSION_KEY)
    if value is None:
        cache.add(VERSION_KEY, secrets.token_hex(8), timeout=None)
        value = cache.get(VERSION_KEY) or "lost"  # evicted at once: nothing is ever kept under "lost"
    return str(value)


def _bump() -> None:
    # A fresh random token, not an increment: two processes bumping at once can never land on a version
    # someone already cached under (a file cache has no atomic increment).
    cache.set(VERSION_KEY, secrets.token_hex(8), timeout=None)


def invalidate(*_args: Any, **_kwargs: Any) -> None:
    """Drop everything cached: now, and again when the current transaction commits (a signal receiver:
    any arguments)."""
    _bump()
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(entry[1] is _bump for entry in connection.run_on_commit):
        return  # one bump at commit is enough however many rows the transaction writes
    transaction.on_commit(_bump)


def viewer_scope(user: Any) -> str:
    """The part of every key that stands for what `user` may see (two queries; see the module docstring)."""
    return counted_scope_signature(user)


def _filters_digest(filters: MetricFilters, extra: str) -> str:
    raw = "|".join(
        str(v)
        for v in (
            filters.team,
            filters.service,
            filters.severity,
            filters.start,
            filters.end,
            filters.period,
            getattr(filters.zone, "key", str(filters.zone)),
            filters.custom_field,
            filters.custom_value.lower(),
            filters.tier,
            filters.tag,
            filters.group,
            extra,
        )
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def cached_many(
    scope: str,
    filters: MetricFilters,
    names: Iterable[str],
    compute: Callable[[str], Any],
    *,
    extra: str = "",
) -> list[Any]:
    """`compute(name)` for each of `names`, in order, taken from the cache where kept for this `scope`,
    `filters` (and `extra`, e.g. the query string a figure links with) at the current data version; the
    others are computed and kept. One cache read for all of them, one write for those computed."""
    names = list(names)
    prefix = f"insights:{data_version()}:{scope}:{_filters_digest(filters, extra)}:"
    found = cache.get_many([prefix + n for n in names])
    fresh: dict[str, Any] = {}
    values = []
    for name in names:
        key = prefix + name
        if key in found:
            values.append(found[key])
        else:
            value = compute(name)
            fresh[key] = value
            values.append(value)
    if fresh:
        cache.set_many(fresh, timeout=INSIGHTS_CACHE_SECONDS)
    return values


def cached_one(
    scope: str, filters: MetricFilters, name: str, compute: Callable[[], Any], *, extra: str = ""
) -> Any:
    """`compute()`, kept like one entry of `cached_many`."""
    return cached_many(scope, filters, [name], lambda _name: compute(), extra=extra)[0]


def connect() -> None:
    """Drop the cached figures on every write they count (called once from the app's `ready`)."""
    for model in (
        Incident,
        CustomField,
        ContributingFactor,
        ActionItem,
        PolicyFinding,
        Postmortem,
        PostmortemReview,
        Membership,
        BlamelessRecord,
        BlamelessDismissal,
        # The catalog: figures group and filter by a service's tier and owner team, a team's name, a tag.
        Service,
        Tag,
        Team,
    ):
        post_save.connect(invalidate, sender=model, dispatch_uid=f"insights-cache-save-{model.__name__}")
        post_delete.connect(invalidate, sender=model, dispatch_uid=f"insights-cache-delete-{model.__name__}")
    for through in (
        Incident.services.through,
        Incident.participants.through,
        Incident.tags.through,
        PolicyFinding.incidents.through,
    ):
        m2m_changed.connect(invalidate, sender=through, dispatch_uid=f"insights-cache-m2m-{through.__name__}")
