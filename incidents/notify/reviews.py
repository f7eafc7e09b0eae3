"""Who hears about a postmortem review, and what each email says.

- review requested: each newly requested reviewer, once per request (`postmortem_review:<id>`);
- requested again: each reviewer of a postmortem reopened after publication, when review is requested
  again (their decision was reset by the reopening; once per request: `postmortem_review:<id>`,
  `again:<requested at, µs since the epoch>`);
- changes requested: the postmortem's author, once per decision (`postmortem_review:<id>`, per version);
- ready again: a reviewer who requested changes, once the author saved a new version (once per changes
  request: `postmortem_review:<id>`, per version they reviewed);
- approval reset: a reviewer who approved an earlier version, once the author saved a new one (their
  review is pending again; once per version they approved: `postmortem_review:<id>`, `reset:v<n>`);
- approved (every reviewer approved the current version): the author, once per version;
- published: the incident's responders (commander, roles, participants) and the subscribers of the incident,
  its services and its teams, once per published version, with the summary, impact and lessons.

The `*_notify` functions run after the write commits (`incidents.notify.services` schedules them) and claim
one delivery row per recipient. The builders run at send time: they re-read the review, return None when it
no longer applies (decided, re-requested, unpublished) and check that the recipient may still see the
incident. Times are shown in the recipient's zone (`render_email`, `incidents/timefmt.py` filters).
"""

from __future__ import annotations

from typing import Any

from accounts.models import User
from incidents.emails import render_email, url_for
from incidents.models import (
    Notification,
    Postmortem,
    PostmortemReview,
    PostmortemStatus,
    ReviewDecision,
)
from incidents.notify.claims import Wanted, notifications_claim_many
from incidents.notify.delivery import Outbound, notifications_publish, register_kind
from incidents.notify.messages import incident_audience
from incidents.permissions.incident import can_view_incident

REQUESTED = "review.requested"
REQUESTED_AGAIN = "review.requested_again"
CHANGES = "review.changes_requested"
READY_AGAIN = "review.ready_again"
APPROVAL_RESET = "review.approval_reset"
APPROVED = "review.approved"
PUBLISHED = "postmortem.published"


def postmortem_url(postmortem: Postmortem) -> str:
    """Absolute link to the incident's postmortem page."""
    return url_for("incidents:postmortem", postmortem.incident.number)


def _claim(wanted: list[Wanted]) -> list[int]:
    ids = notifications_claim_many(wanted)
    notifications_publish(ids)
    return ids


def _author(postmortem: Postmortem) -> User | None:
    """Who is told about decisions: the postmortem's author, else whoever wrote its latest version."""
    if postmortem.author_id:
        return postmortem.author
    latest = postmortem.versions.select_related("author").order_by("-number").first()
    return latest.author if latest and latest.author_id else None


def review_requested_notify(*, review_ids: list[int]) -> list[int]:
    """Claim and publish one email per requested reviewer. Returns the claimed row ids."""
    reviews = PostmortemReview.objects.filter(pk__in=review_ids, reviewer__is_active=True).select_related(
        "reviewer"
    )
    return _claim(
        [
            Wanted(r.reviewer.email, REQUESTED, f"postmortem_review:{r.pk}", "requested", r.reviewer_id)
            for r in reviews
        ]
    )


def review_requested_again_notify(*, review_ids: list[int]) -> list[int]:
    """Claim and publish one email per reviewer of `review_ids` asked again after a reopening, once per
    request (keyed by the review's `requested_at`). Returns the claimed row ids."""
    reviews = PostmortemReview.objects.filter(pk__in=review_ids, reviewer__is_active=True).select_related(
        "reviewer"
    )
    return _claim(
        [
            Wanted(
                r.reviewer.email,
                REQUESTED_AGAIN,
                f"postmortem_review:{r.pk}",
                f"again:{round(r.requested_at.timestamp() * 1_000_000)}",  # the request, in µs since the epoch
                r.reviewer_id,
            )
            for r in reviews
        ]
    )


def review_decided_notify(*, review_id: int) -> list[int]:
    """A reviewer requested changes: claim and publish the email to the author (not when the author is the
    reviewer). Approvals are told once all are in (`postmortem_approved_notify`)."""
    review = PostmortemReview.objects.select_related("postmortem__author").filter(pk=review_id).first()
    if review is None or review.decision != ReviewDecision.CHANGES_REQUESTED:
        return []
    author = _author(review.postmortem)
    if author is None or not author.is_active or author.pk == review.reviewer_id:
        return []
    period = f"changes:v{review.version_reviewed}"
    return _claim([Wanted(author.email, CHANGES, f"postmortem_review:{review.pk}", period, author.pk)])


def review_ready_again_notify(*, review_ids: list[int]) -> list[int]:
    """Claim and publish one email per reviewer of `review_ids` (who requested changes) that a new
    version waits for their review, once per version they requested changes on. Returns the row ids."""
    reviews = PostmortemReview.objects.filter(pk__in=review_ids, reviewer__is_active=True).select_related(
        "reviewer"
    )
    return _claim(
        [
            Wanted(
                r.reviewer.email,
                READY_AGAIN,
                f"postmortem_review:{r.pk}",
                f"again:v{r.version_reviewed}",
                r.reviewer_id,
            )
            for r in reviews
        ]
    )


def review_approval_reset_notify(*, review_ids: list[int], actor_id: int | None) -> list[int]:
    """Claim and publish one email per reviewer of `review_ids` (who approved an earlier version) that a
    new version reset their approval and waits for their review, once per version they approved; never
    to `actor_id` (who saved it). Returns the claimed row ids."""
    reviews = (
        PostmortemReview.objects.filter(pk__in=review_ids, reviewer__is_active=True)
        .exclude(reviewer_id=actor_id)
        .select_related("reviewer")
    )
    return _claim(
        [
            Wanted(
                r.reviewer.email,
                APPROVAL_RESET,
                f"postmortem_review:{r.pk}",
                f"reset:v{r.version_reviewed}",
                r.reviewer_id,
            )
            for r in reviews
        ]
    )


def postmortem_approved_notify(*, postmortem_id: int) -> list[int]:
    """Every reviewer approved: claim and publish the email to the author, once per version."""
    pm = Postmortem.objects.select_related("author").filter(pk=postmortem_id).first()
    if pm is None:
        return []
    author = _author(pm)
    if author is None or not author.is_active:
        return []
    return _claim(
        [Wanted(author.email, APPROVED, f"postmortem:{pm.pk}", f"approved:v{pm.version}", author.pk)]
    )


def postmortem_published_notify(*, postmortem_id: int, actor_id: int | None) -> list[int]:
    """Claim and publish the announcement to the incident's responders and subscribers who can see it
    (not the publisher), once per published version."""
    pm = Postmortem.objects.select_related("incident").filter(pk=postmortem_id).first()
    if pm is None or pm.status != PostmortemStatus.PUBLISHED:
        return []
    incident = pm.incident
    subscribers, _, _ = incident_audience(incident, include_lists=False)
    people = dict(subscribers)
    role_ids = {incident.commander_id, incident.communications_lead_id, incident.scribe_id} - {None}
    responders = User.objects.filter(is_active=True).filter(
        pk__in={*role_ids, *incident.participants.values_list("id", flat=True)}
    )
    for user in responders:
        if user.pk not in people and can_view_incident(user, incident):
            people[user.pk] = user.email
    period = f"published:v{pm.version}"
    return _claim(
        [
            Wanted(email, PUBLISHED, f"postmortem:{pm.pk}", period, user_id)
            for user_id, email in sorted(people.items())
            if user_id != actor_id
        ]
    )


# --- Builders ----------------------------------------------------------------------------------------


def _recipient(row: Notification) -> User | None:
    return row.user if row.user_id and row.user and row.user.is_active else None


def _object_id(row: Notification) -> int:
    return int(row.object_key.split(":", 1)[1])


def _review(row: Notification) -> PostmortemReview | None:
    return (
        PostmortemReview.objects.select_related("reviewer", "postmortem__incident", "postmortem__author")
        .filter(pk=_object_id(row))
        .first()
    )


def _context(user: User, postmortem: Postmortem, **extra: Any) -> dict[str, Any]:
    return {
        "recipient": user,
        "postmortem": postmortem,
        "incident": postmortem.incident,
        "postmortem_url": postmortem_url(postmortem),
        **extra,
    }


def _to_pending_reviewer(row: Notification, template: str) -> Outbound | None:
    """The email `template` to the review's own reviewer, or None once the review is no longer pending,
    the postmortem no longer in review, or the incident no longer visible to them (checked at send)."""
    review, user = _review(row), _recipient(row)
    if review is None or user is None or review.reviewer_id != user.pk:
        return None
    pm = review.postmortem
    if review.decision != ReviewDecision.PENDING or pm.status != PostmortemStatus.IN_REVIEW:
        return None
    if not can_view_incident(user, pm.incident):
        return None
    return render_email(template, _context(user, pm, review=review, author=_author(pm)), [row.recipient])


@register_kind(REQUESTED)
def build_review_requested(row: Notification) -> Outbound | None:
    """To a reviewer: the review is theirs, while it is still pending and the postmortem in review."""
    return _to_pending_reviewer(row, "review_requested")


@register_kind(REQUESTED_AGAIN)
def build_review_requested_again(row: Notification) -> Outbound | None:
    """To a reviewer of a reopened postmortem: it waits for their review again, while their review is
    pending, the postmortem in review and the incident visible to them."""
    return _to_pending_reviewer(row, "review_requested_again")


@register_kind(CHANGES)
def build_changes_requested(row: Notification) -> Outbound | None:
    """To the author: a reviewer asked for changes (with their comment), while that is still the decision."""
    review, user = _review(row), _recipient(row)
    if review is None or user is None or review.decision != ReviewDecision.CHANGES_REQUESTED:
        return None
    if not can_view_incident(user, review.postmortem.incident):
        return None
    return render_email("review_changes", _context(user, review.postmortem, review=review), [row.recipient])


@register_kind(READY_AGAIN)
def build_review_ready_again(row: Notification) -> Outbound | None:
    """To a reviewer who requested changes: a new version waits for them, while their review is pending
    again, the postmortem in review and the incident visible to them."""
    return _to_pending_reviewer(row, "review_ready_again")


@register_kind(APPROVAL_RESET)
def build_approval_reset(row: Notification) -> Outbound | None:
    """To a reviewer who approved an earlier version: the new version reset their approval and waits for
    them, while their review is pending, the postmortem in review and the incident visible to them."""
    return _to_pending_reviewer(row, "review_approval_reset")


@register_kind(APPROVED)
def build_approved(row: Notification) -> Outbound | None:
    """To the author: every reviewer approved; they (or the commander) can publish."""
    pm = Postmortem.objects.select_related("incident").filter(pk=_object_id(row)).first()
    user = _recipient(row)
    if pm is None or user is None or pm.status not in (PostmortemStatus.APPROVED, PostmortemStatus.PUBLISHED):
        return None
    if not can_view_incident(user, pm.incident):
        return None
    reviewers = [r.reviewer for r in pm.reviews.select_related("reviewer").order_by("requested_at", "id")]
    return render_email("review_approved", _context(user, pm, reviewers=reviewers), [row.recipient])


@register_kind(PUBLISHED)
def build_published(row: Notification) -> Outbound | None:
    """The announcement: summary, impact and lessons of the published postmortem."""
    pm = Postmortem.objects.select_related("incident").filter(pk=_object_id(row)).first()
    user = _recipient(row)
    if pm is None or user is None or pm.status != PostmortemStatus.PUBLISHED:
        return None
    if not can_view_incident(user, pm.incident):
        return None
    context = _context(
        user,
        pm,
        summary=pm.written("summary"),
        impact=pm.written("impact"),
        lessons=pm.written("lessons"),
    )
    return render_email("postmortem_published", context, [row.recipient])
