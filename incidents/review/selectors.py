from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from incidents.models import (
    POSTMORTEM_SECTIONS,
    Incident,
    Postmortem,
    PostmortemReview,
    PostmortemStatus,
    PostmortemTemplate,
    PostmortemVersion,
    ReviewDecision,
    ReviewMeeting,
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


def postmortem_sections_open(postmortem: Postmortem, values: Mapping[str, Any]) -> set[str]:
    """The section keys the editor shows open: those of the postmortem's template (the Lightweight one's
    five) and any with text in `values` (what the form holds), so nothing written is ever folded away;
    every section when it has no template (none, or deleted). The others the editor folds under "Other
    sections", empty, to add when wanted."""
    keys = [k for k, _ in POSTMORTEM_SECTIONS]
    template = postmortem.template
    if template is None or not template.sections:
        return set(keys)
    return {k for k in keys if k in template.sections or str(values.get(k) or "").strip()}


def _with_earlier_decision(reviews: QuerySet[PostmortemReview]) -> QuerySet[PostmortemReview]:
    """`reviews` annotated with `earlier_decision`: the latest decision (approved, changes requested) in
    each review's history, in the same query. On a pending review decided before (`version_reviewed`
    set), what an edit or a reopening reset; see `review_reset_note`."""
    history = PostmortemReview.history.model
    latest = (
        history.objects.filter(id=OuterRef("pk"))
        .exclude(decision=ReviewDecision.PENDING)
        .order_by("-history_date", "-history_id")
        .values("decision")[:1]
    )
    return reviews.annotate(earlier_decision=Subquery(latest))


def review_reset_note(review: Any) -> str:
    """For a pending review decided on an earlier version ("Approved version 2", "Changes requested on
    version 2"), what the reviewer had said before it was reset; empty otherwise. Reads the annotation of
    `_with_earlier_decision` (no query)."""
    earlier = getattr(review, "earlier_decision", None)
    if review.decision != ReviewDecision.PENDING or not review.version_reviewed or not earlier:
        return ""
    if earlier == ReviewDecision.APPROVED:
        return f"approved version {review.version_reviewed}, reset since"
    return f"requested changes on version {review.version_reviewed}"


def postmortem_reviews_for(postmortem: Any) -> list[Any]:
    """Requested reviews with reviewers joined, oldest request first, each with `reset_note` (what a
    pending reviewer decided on an earlier version, `review_reset_note`) and `on_earlier_version` (their
    decision and comment are about a version before the current one) and `comment_earlier` (the comment
    is from before a reset: an earlier version, or before a reopening). One query."""
    rows = list(
        _with_earlier_decision(postmortem.reviews.select_related("reviewer")).order_by("requested_at", "id")
    )
    for r in rows:
        r.reset_note = review_reset_note(r)  # type: ignore[attr-defined]
        r.on_earlier_version = bool(r.version_reviewed) and r.version_reviewed < postmortem.version  # type: ignore[attr-defined]
        # The comment of a reset decision belongs to the version decided on, also after a reopening that
        # kept the version number.
        r.comment_earlier = r.on_earlier_version or bool(r.reset_note)  # type: ignore[attr-defined]
    return rows


def postmortem_sections_at(postmortem: Any, version: int) -> dict[str, str]:
    """The sections as they were at `version` (every saved version is kept); empty when unknown."""
    kept = PostmortemVersion.objects.filter(postmortem=postmortem, number=version).first()
    return dict(kept.sections) if kept else {}


def reviews_waiting_for(user: Any) -> list[PostmortemReview]:
    """The "Waiting for my review" list: reviews `user` was asked for and has not decided, on postmortems still in
    review of incidents they may see, oldest request first, with the postmortem and incident joined and
    `reset_note` (what they decided on an earlier version, `review_reset_note`). One query, for My work
    and the dashboard."""
    if not getattr(user, "is_authenticated", False):
        return []
    rows = list(
        _with_earlier_decision(
            PostmortemReview.objects.filter(
                reviewer=user,
                decision=ReviewDecision.PENDING,
                postmortem__status=PostmortemStatus.IN_REVIEW,
                postmortem__incident__in=incidents_visible_to(user),
            )
        )
        .select_related("postmortem__incident", "postmortem__author")
        .order_by("requested_at", "id")
    )
    for r in rows:
        r.reset_note = review_reset_note(r)  # type: ignore[attr-defined]
    return rows


def changes_requested_of(user: Any) -> list[PostmortemReview]:
    """The "Changes requested" list of a postmortem's author: reviews that requested changes to a
    postmortem `user` wrote that is still in review, on incidents they may see, newest decision first,
    with the reviewer, postmortem and incident joined. One query, for My work and the dashboard. A review
    leaves the list once the author saves a new version (it goes back to pending)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        PostmortemReview.objects.filter(
            postmortem__author=user,
            decision=ReviewDecision.CHANGES_REQUESTED,
            postmortem__status=PostmortemStatus.IN_REVIEW,
            postmortem__incident__in=incidents_visible_to(user),
        )
        .select_related("reviewer", "postmortem__incident")
        .order_by("-decided_at", "-id")
    )


def review_meeting_current(postmortem: Postmortem) -> ReviewMeeting | None:
    """The postmortem's review meeting that is not cancelled (the latest scheduled), with its facilitator
    and attendees (two queries), or None."""
    return (
        postmortem.review_meetings.filter(cancelled_at__isnull=True)
        .select_related("facilitator")
        .prefetch_related("attendees")
        .order_by("-created_at", "-id")
        .first()
    )
