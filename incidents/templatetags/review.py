"""Template helpers for the blameless review pages (`{% load review %}`)."""

from __future__ import annotations

import html
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.safestring import SafeString

from incidents.markdown import render_markdown, stored_html
from incidents.models import ContributingFactor, Postmortem
from incidents.review.blameless.explain import LABELS
from incidents.review.documents import clean_source
from incidents.review.library import postmortem_teams
from incidents.review.models import POSTMORTEM_SECTIONS
from incidents.review.services.factors import factors_seen_counts

register = template.Library()


@register.filter
def library_teams(postmortem: Postmortem) -> list[Any]:
    """`{{ pm|library_teams }}`: the teams a library postmortem belongs to (`library.postmortem_teams`)."""
    return postmortem_teams(postmortem)


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
def entry_html(entry: Any) -> SafeString:
    """`{{ e|entry_html }}`: a timeline entry's sanitised HTML as the reader sees it, the HTML stored with
    the entry when it was saved (`stored_html`: nothing rendered per entry, which made the PDF export of a
    long timeline slow), rendered in the active zone only for a "Milestones edited" entry."""
    if entry.milestone_changes:
        return render_markdown(entry.text_in(timezone.get_current_timezone()))
    return stored_html(entry, "body")


@register.filter
def entry_text(entry: Any) -> str:
    """`{{ e|entry_text }}`: a timeline entry as one line of plain text (its sanitised HTML without tags,
    entities decoded, white space collapsed; the template escapes it again), for a long timeline in a PDF."""
    return " ".join(html.unescape(strip_tags(entry_html(entry))).split())


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
