from __future__ import annotations

from typing import Any

from incidents.models import Incident, Postmortem, PostmortemVersion


def postmortem_for(incident: Incident) -> Any:
    """The incident's postmortem with its template and author joined, or None when not started."""
    return (
        Postmortem.objects.select_related("template", "author", "access_finding")
        .filter(incident=incident)
        .first()
    )


def postmortem_reviews_for(postmortem: Any) -> list[Any]:
    """Requested reviews with reviewers joined, oldest request first."""
    return list(postmortem.reviews.select_related("reviewer").order_by("requested_at", "id"))


def postmortem_sections_at(postmortem: Any, version: int) -> dict[str, str]:
    """The sections as they were at `version` (every saved version is kept); empty when unknown."""
    kept = PostmortemVersion.objects.filter(postmortem=postmortem, number=version).first()
    return dict(kept.sections) if kept else {}
