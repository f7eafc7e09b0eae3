from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from incidents.followup.services.recurrence import contributing_factor_mark_recurrence
from incidents.happened import happened_at
from incidents.markdown import markdown_text
from incidents.models import (
    ContributingFactor,
    FactorCategory,
    Incident,
    TestType,
    TimelineEntry,
)
from incidents.permissions.checks import actor_user, require_record
from incidents.permissions.incident import incidents_visible_to
from incidents.timeline.services import system_entry

# --- Contributing factors -----------------------------------------------------------------------------


def _factor_errors(
    *, incident: Incident, category: str, title: str, missing_test_types: list[str], recurrence_of: Any
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if category not in FactorCategory.values:
        errors["category"] = "Choose a category."
    if not (title or "").strip():
        errors["title"] = "Give the factor a short title."
    unknown = [t for t in missing_test_types if t not in TestType.values]
    if unknown:
        errors["missing_test_types"] = f"Unknown test type: {', '.join(unknown)}."
    elif missing_test_types and category != FactorCategory.TESTING_GAP:
        errors["missing_test_types"] = "Missing test types only apply to a testing gap."
    if recurrence_of is not None and recurrence_of.incident_id == incident.pk:
        errors["recurrence_of"] = "A recurrence must point at a factor from another incident."
    return errors


def _root(factor: ContributingFactor | None) -> ContributingFactor | None:
    """The first occurrence of a recurring factor, so every recurrence points at the same original."""
    seen = set()
    while factor is not None and factor.recurrence_of_id and factor.pk not in seen:
        seen.add(factor.pk)
        factor = factor.recurrence_of
    return factor


def _mark_recurrence(
    factor: ContributingFactor, actor: Any, earlier: ContributingFactor | None
) -> ContributingFactor:
    """Point at the first occurrence through the follow-through service, which also flags the earlier
    occurrences' done action items as "did not prevent recurrence"."""

    return contributing_factor_mark_recurrence(factor=factor, actor=actor, earlier=_root(earlier))


def _check_evidence(incident: Incident, entries: Iterable[TimelineEntry]) -> list[TimelineEntry]:
    entries = list(entries)
    if any(e.incident_id != incident.pk for e in entries):
        raise ValidationError({"evidence_entries": "Evidence must be timeline entries of this incident."})
    return entries


@transaction.atomic
def factor_create(
    *,
    incident: Incident,
    actor: Any,
    category: str,
    title: str,
    description: str = "",
    evidence_entries: Iterable[TimelineEntry] = (),
    missing_test_types: Iterable[str] = (),
    recurrence_of: ContributingFactor | None = None,
    at: datetime | None = None,
) -> ContributingFactor:
    """Record a contributing factor at `at` (aware; when it was recorded, default now). There is no
    root-cause and no fault field by design.

    `missing_test_types` (TestType values) is only accepted for a testing gap. `recurrence_of` marks the
    same factor seen in an earlier incident; it is stored pointing at the first occurrence. Raises
    ValidationError keyed by field, AccessDenied unless the actor may record on the incident.
    """
    require_record(actor, incident)
    types = list(dict.fromkeys(missing_test_types))
    errors = _factor_errors(
        incident=incident,
        category=category,
        title=title,
        missing_test_types=types,
        recurrence_of=recurrence_of,
    )
    if errors:
        raise ValidationError(errors)
    entries = _check_evidence(incident, evidence_entries)
    factor = ContributingFactor.objects.create(
        incident=incident,
        category=category,
        title=title.strip(),
        description=description,
        missing_test_types=types,
        created_by=actor_user(actor),
        created_at=happened_at(at),
    )
    if entries:
        factor.evidence_entries.set(entries)
    if recurrence_of is not None:
        factor = _mark_recurrence(factor, actor, recurrence_of)
    system_entry(
        incident=incident,
        actor=actor,
        body=f"Recorded a contributing factor ({factor.get_category_display().lower()}): {markdown_text(factor.title)}",
        occurred_at=factor.created_at,
    )
    return factor


@transaction.atomic
def factor_update(
    *,
    factor: ContributingFactor,
    actor: Any,
    category: str,
    title: str,
    description: str = "",
    evidence_entries: Iterable[TimelineEntry] = (),
    missing_test_types: Iterable[str] = (),
    recurrence_of: ContributingFactor | None = None,
) -> ContributingFactor:
    """Edit a factor with the same rules as `factor_create`. History keeps the previous values."""
    require_record(actor, factor.incident)
    current = ContributingFactor.objects.select_for_update().get(pk=factor.pk)
    types = list(dict.fromkeys(missing_test_types))
    errors = _factor_errors(
        incident=current.incident,
        category=category,
        title=title,
        missing_test_types=types,
        recurrence_of=recurrence_of,
    )
    root = _root(recurrence_of)
    if root is not None and root.pk == current.pk:
        errors["recurrence_of"] = "A factor cannot be a recurrence of itself."
    if errors:
        raise ValidationError(errors)
    entries = _check_evidence(current.incident, evidence_entries)
    current.category = category
    current.title = title.strip()
    current.description = description
    current.missing_test_types = types
    current.save(update_fields=["category", "title", "description", "missing_test_types"])
    current.evidence_entries.set(entries)
    if (root.pk if root else None) != current.recurrence_of_id:
        current = _mark_recurrence(current, actor, root)
    return current


def factors_seen_counts(factors: Iterable[ContributingFactor], *, viewer: Any) -> dict[int, int]:
    """For each factor id, in how many incidents the same factor was seen (itself included), counting only
    incidents `viewer` may see: a restricted incident outside their scope is not counted. One query."""
    factors = list(factors)
    roots = {f.pk: (f.recurrence_of_id or f.pk) for f in factors}
    if not roots:
        return {}
    rows = ContributingFactor.objects.filter(
        Q(pk__in=set(roots.values())) | Q(recurrence_of__in=set(roots.values())),
        incident__in=incidents_visible_to(viewer).values("id"),
    ).values_list("pk", "recurrence_of_id", "incident_id")
    by_root: dict[int, set[int]] = {}
    for pk, rec, inc in rows:
        by_root.setdefault(rec or pk, set()).add(inc)
    return {fid: len(by_root.get(root, set())) or 1 for fid, root in roots.items()}
