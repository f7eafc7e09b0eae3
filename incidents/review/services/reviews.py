"""The postmortem's review workflow: `draft → in review → approved → published`.

- An editor (`incidents.permissions.review.can_edit_postmortem`) requests reviewers: status becomes in review,
  each reviewer gets a pending review, and the blameless check's summary is returned for the requester to see.
- Each reviewer approves or requests changes (a comment is required for changes). When every requested
  reviewer has approved the current version the postmortem is approved (an edit resets approvals:
  `postmortems.reset_approvals`).
- The commander or an admin publishes an approved postmortem: the current sections are frozen as a
  published `PostmortemVersion`. A published postmortem is read-only until the commander reopens it.

Every write checks its actor first: AccessDenied, as not found for someone who cannot see the incident and
403 for someone who can but may not (a non-reviewer deciding, anyone but the commander or an admin
publishing). A write the postmortem's state refuses is a ConflictError (409) carrying the stored
postmortem: publishing one that is not approved, reopening one that is not published, deciding on a version
that is no longer current (`ReviewStale`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.errors import ConflictError
from incidents.happened import happened_at
from incidents.incident import process
from incidents.markdown import markdown_text
from incidents.models import Postmortem, PostmortemReview, ReviewDecision
from incidents.notify import services as notify
from incidents.permissions.checks import (
    actor_user,
    refuse_people,
    require_conclude_review,
    require_decide_review,
    require_write_review,
)
from incidents.permissions.incident import can_view_incident
from incidents.permissions.review import can_be_reviewer
from incidents.review import blameless
from incidents.review.services import blameless as blameless_findings
from incidents.review.services.postmortems import (
    S,
    lock_postmortem,
    refuse_if_published,
    reset_approvals,
    snapshot_version,
)
from incidents.timeline.services import system_entry


class ReviewStale(ConflictError):
    """A review decision on a version that is no longer the current one; `current` is the postmortem."""

    def __init__(self, current: Postmortem, decided_on: int) -> None:
        super().__init__(
            current,
            f"The postmortem changed since you read it: you reviewed version {decided_on}, it is now at "
            f"version {current.version}. Read the current text and decide again.",
        )


def _why_not_reviewer(person: Any, pm: Postmortem) -> str:
    """Why `person` may not review `pm` (`can_be_reviewer` said no): never more than that they cannot
    see the incident, so asking says nothing else of it."""
    if person.pk == pm.author_id:
        return f"{person} wrote it (authors cannot review their own text)"
    if not can_view_incident(person, pm.incident):
        return f"{person} cannot see this incident"
    return f"{person} is not a responder or team lead"


@transaction.atomic
def postmortem_request_review(
    *, postmortem: Postmortem, actor: Any, reviewers: Iterable[Any], at: datetime | None = None
) -> tuple[Postmortem, list[blameless.Finding]]:
    """Ask `reviewers` to review at `at` (aware; when it happened, default now); the postmortem moves to
    in review.

    Returns the postmortem and the blameless check's open (undismissed) findings, shown to the requester.
    Each reviewer must be allowed to review (`can_be_reviewer`: not the author, a responder who can see
    the incident). Reviewers already asked keep their decision, except on a draft (a postmortem reopened
    after publication): every review it still has is pending and asked again, told by email. Raises
    ValidationError when nobody valid is named, the postmortem is approved or published, or its process rule's required sections or
    questions are not answered yet (`process.review_blockers`).
    """
    require_write_review(actor, postmortem)
    pm = lock_postmortem(postmortem)
    refuse_if_published(pm)
    if pm.status == S.APPROVED:
        raise ValidationError({"status": "The postmortem is already approved; publish it or edit it first."})
    blockers = process.review_blockers(process.rule_for(pm.incident), pm)
    if blockers:
        raise ValidationError("Not ready for review: " + "; ".join(blockers) + ".")
    people = list({u.pk: u for u in reviewers}.values())
    if not people:
        raise ValidationError({"reviewers": "Choose at least one reviewer."})
    # Someone the actor may not pick is refused as an unknown id is, before anyone is named.
    refuse_people(actor, {"reviewers": people}, incidents=[pm.incident])
    refused = [_why_not_reviewer(u, pm) for u in people if not can_be_reviewer(u, pm)]
    if refused:
        raise ValidationError({"reviewers": "Cannot review this postmortem: " + "; ".join(refused) + "."})
    now = happened_at(at)
    # A draft with reviews was reopened: its reviews (reset to pending then) are asked again.
    again = list(
        PostmortemReview.objects.select_for_update()
        .filter(postmortem=pm, decision=ReviewDecision.PENDING)
        .select_related("reviewer")
        .order_by("requested_at", "id")
        if pm.status == S.DRAFT
        else []
    )
    for review in again:
        review.requested_at = now
        review._change_reason = "Review requested again"  # type: ignore[attr-defined]  # simple-history
        review.save(update_fields=["requested_at"])
    added = []
    requested = []
    for user in people:
        review, created = PostmortemReview.objects.get_or_create(
            postmortem=pm, reviewer=user, defaults={"requested_at": now}
        )
        if created:
            added.append(user)
            requested.append(review)
    if pm.status == S.DRAFT:
        pm.status = S.IN_REVIEW
        pm.updated_at = now
        pm.save(update_fields=["status", "updated_at"])
    if added:
        system_entry(
            incident=pm.incident,
            actor=actor,
            body="Postmortem review requested from " + ", ".join(markdown_text(u) for u in added),
            occurred_at=now,
        )
        notify.postmortem_review_requested(pm, reviews=requested)
    if again:
        system_entry(
            incident=pm.incident,
            actor=actor,
            body="Postmortem review requested again from "
            + ", ".join(markdown_text(r.reviewer) for r in again),
            occurred_at=now,
        )
        notify.postmortem_review_requested_again(pm, review_ids=[r.pk for r in again])
    findings = [f for f in blameless_findings.sync(pm) if not f.dismissed]
    return pm, findings


@transaction.atomic
def postmortem_review_decide(
    *,
    postmortem: Postmortem,
    actor: Any,
    decision: str,
    expected_version: int,
    comment: str = "",
    at: datetime | None = None,
) -> PostmortemReview:
    """Record `actor`'s decision (approved or changes_requested) on version `expected_version`, the text
    they read, made at `at` (aware; default now); it must be the current version, or ReviewStale (a
    ConflictError, API 409) is raised.

    Requesting changes needs a comment. Deciding again the same way on the same version with the same
    comment changes nothing (no history record, no timeline entry). When every requested reviewer has
    approved the current version, the postmortem becomes approved. Raises AccessDenied when `actor` may
    not decide (not a requested reviewer, or the author of the text), ValidationError when the postmortem
    is not in review, ReviewStale when `expected_version` is not the current version.
    """
    require_decide_review(actor, postmortem)
    if decision not in (ReviewDecision.APPROVED, ReviewDecision.CHANGES_REQUESTED):
        raise ValidationError({"decision": "Approve or request changes."})
    comment = (comment or "").strip()
    if decision == ReviewDecision.CHANGES_REQUESTED and not comment:
        raise ValidationError({"comment": "Say what should change."})
    pm = lock_postmortem(postmortem)
    repeat = PostmortemReview.objects.filter(
        postmortem=pm,
        reviewer=actor_user(actor),
        decision=decision,
        version_reviewed=expected_version,
        comment=comment,
    ).first()
    if repeat is not None and expected_version == pm.version:
        return repeat  # the same decision on the same text again (a double click, a retried request)
    if pm.status != S.IN_REVIEW:
        raise ValidationError({"decision": "The postmortem is not in review."})
    if expected_version != pm.version:
        raise ReviewStale(pm, expected_version)
    review = PostmortemReview.objects.select_for_update().get(postmortem=pm, reviewer=actor)
    review.decision = decision
    review.comment = comment
    review.version_reviewed = pm.version
    review.decided_at = happened_at(at)
    review.save()
    word = "approved" if decision == ReviewDecision.APPROVED else "requested changes to"
    system_entry(
        incident=pm.incident,
        actor=actor,
        body=f"{markdown_text(actor)} {word} the postmortem (version {pm.version})"
        + (f": {comment}" if comment else ""),
        occurred_at=review.decided_at,
    )
    notify.postmortem_review_decided(review)
    decisions = set(pm.reviews.values_list("decision", flat=True))
    if decisions == {ReviewDecision.APPROVED}:
        pm.status = S.APPROVED
        pm.updated_at = review.decided_at
        pm.save(update_fields=["status", "updated_at"])
        notify.postmortem_approved(pm)
    return review


@transaction.atomic
def postmortem_publish(
    *, postmortem: Postmortem, actor: Any, override_reason: str = "", at: datetime | None = None
) -> Postmortem:
    """Publish an approved postmortem at `at` (aware; default now) and freeze its current text as a
    published version.

    Only the incident's commander or an admin (`can_conclude_review`; AccessDenied, 403, for anyone else
    who sees it), and only an approved postmortem (ConflictError, 409, with the stored postmortem;
    publishing a published one changes nothing). Refused while a blameless finding is neither reworded
    nor dismissed (ValidationError keyed `blameless`), unless the commander gives `override_reason`
    (recorded as a dismissal of each open finding).
    """
    require_conclude_review(actor, postmortem, "Only the incident's commander or an admin can publish.")
    pm = lock_postmortem(postmortem)
    if pm.status == S.PUBLISHED:
        return pm
    if pm.status != S.APPROVED:
        raise ConflictError(
            pm,
            f"Only an approved postmortem can be published; this one is {pm.get_status_display().lower()}.",
        )
    blameless_findings.guard_publish(postmortem=pm, actor=actor, override_reason=override_reason)
    now = happened_at(at)
    pm.status = S.PUBLISHED
    pm.published_at = now
    pm.updated_at = now
    pm.save(update_fields=["status", "published_at", "updated_at"])
    version = pm.versions.filter(number=pm.version).first()
    if version:
        version.is_published = True
        version.save(update_fields=["is_published"])
    else:  # pragma: no cover - every saved version is snapshotted
        snapshot_version(pm, actor, "published", published=True)
    system_entry(
        incident=pm.incident,
        actor=actor,
        body=f"Postmortem published (version {pm.version})",
        occurred_at=now,
    )
    notify.postmortem_published(pm, actor=actor)
    return pm


@transaction.atomic
def postmortem_reopen(*, postmortem: Postmortem, actor: Any, reason: str) -> Postmortem:
    """Reopen a published postmortem as a draft (commander or admin); published versions stay frozen.

    Raises AccessDenied for anyone else, ConflictError (409) when it is not published, ValidationError
    without a reason.
    """
    require_conclude_review(
        actor, postmortem, "Only the incident's commander or an admin can reopen a postmortem."
    )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the postmortem is reopened."})
    pm = lock_postmortem(postmortem)
    if pm.status != S.PUBLISHED:
        raise ConflictError(pm, "Only a published postmortem can be reopened.")
    pm.status = S.DRAFT
    pm.updated_at = timezone.now()
    pm.save(update_fields=["status", "updated_at"])
    reset_approvals(pm, f"Approval reset: the postmortem was reopened: {reason}")
    system_entry(incident=pm.incident, actor=actor, body=f"Postmortem reopened: {reason}")
    return pm
