from __future__ import annotations

from typing import Any

from incidents.models import (
    Incident,
    Postmortem,
    PostmortemReview,
    PostmortemStatus,
    PostmortemTemplate,
    PostmortemVersion,
    ReviewDecision,
)
from incidents.permissions.incident import incidents_visible_to


def postmortem_for(incident: Incident) -> Any:
    """The incident's postmortem with its template and author joined, or None when not started."""
    return (
        Postmortem.objects.select_related("template", "author", "access_finding")
        .filter(incident=incident)
        .first()
    )


def postmortem_type_template(incident: Incident) -> PostmortemTemplate | None:
    """The postmortem template of the incident's type, or None (no type, or a type without one)."""
    kind = incident.incident_type
    if kind is None or kind.postmortem_template_id is None:
        return None
    return PostmortemTemplate.objects.filter(pk=kind.postmortem_template_id).first()


def postmortem_reviews_for(postmortem: Any) -> list[Any]:
    """Requested reviews with reviewers joined, oldest request first."""
    return list(postmortem.reviews.select_related("reviewer").order_by("requested_at", "id"))


def postmortem_sections_at(postmortem: Any, version: int) -> dict[str, str]:
    """The sections as they were at `version` (every saved version is kept); empty when unknown."""
    kept = PostmortemVersion.objects.filter(postmortem=postmortem, number=version).first()
    return dict(kept.sections) if kept else {}


def reviews_waiting_for(user: Any) -> list[PostmortemReview]:
    """The "Waiting for my review" list: reviews `user` was asked for and has not decided, on postmortems still in
    review of incidents they may see, oldest request first, with the postmortem and incident joined. One
    query, for My work and the dashboard."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        PostmortemReview.objects.filter(
            reviewer=user,
            decision=ReviewDecision.PENDING,
            postmortem__status=PostmortemStatus.IN_REVIEW,
            postmortem__incident__in=incidents_visible_to(user),
        )
        .select_related("postmortem__incident", "postmortem__author")
        .order_by("requested_at", "id")
    )
