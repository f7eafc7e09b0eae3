"""Template helpers for the blameless review pages (`{% load review %}`)."""

from __future__ import annotations

from typing import Any

from django import template

from incidents.models import ContributingFactor, Postmortem
from incidents.review.blameless.explain import LABELS
from incidents.review.documents import clean_source
from incidents.review.models import POSTMORTEM_SECTIONS
from incidents.review.services.factors import factors_seen_counts

register = template.Library()
_SECTION_NAMES = dict(POSTMORTEM_SECTIONS)


@register.filter
def finding_label(rule: str) -> str:
    """`{{ dismissal.rule|finding_label }}`: the plain name of a kind of blameless finding (never its key)."""
    return LABELS.get(rule, "Wording")


@register.filter
def section_name(key: str) -> str:
    """`{{ finding.section|section_name }}`: a postmortem section's label ("Trigger"), else the key as given."""
    return str(_SECTION_NAMES.get(key, key))


@register.filter
def get_item(mapping: dict[Any, Any] | None, key: Any) -> Any:
    """`{{ counts|get_item:factor.pk }}`: a dict lookup by a variable key (None when absent)."""
    return (mapping or {}).get(key)


@register.filter
def clean_md(text: str | None) -> str:
    """Markdown source through the export sanitiser (`incidents.review.documents.clean_source`)."""
    return clean_source(text)


@register.inclusion_tag("incidents/review/_factors_summary.html", takes_context=True)
def factors_summary(context: dict[str, Any], incident: Any) -> dict[str, Any]:
    """The incident page's postmortem and contributing-factor summary with "seen in N incidents". 3 queries."""
    factors = list(ContributingFactor.objects.filter(incident=incident).order_by("category", "id"))
    viewer = context.get("user") or context["request"].user
    counts = factors_seen_counts(factors, viewer=viewer)
    return {
        "incident": incident,
        "pm": Postmortem.objects.filter(incident=incident)
        .only("id", "status", "version", "incident_id")
        .first(),
        "factors": [(f, counts.get(f.pk, 1)) for f in factors],
        "user": context.get("user"),
    }
