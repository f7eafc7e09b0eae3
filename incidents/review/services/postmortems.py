"""Blameless review writes: contributing factors, the postmortem document, its review workflow and meeting.

Workflow: `draft → in review → approved → published`.
- An editor (`incidents.permissions.review.can_edit_postmortem`) requests reviewers: status becomes in review, each
  reviewer gets a pending review, and the blameless check's summary is returned for the requester to see.
- Each reviewer approves or requests changes (a comment is required for changes). When every requested
  reviewer has approved the current version the postmortem is approved.
- Any saved edit after an approval sets every decision back to pending and an approved postmortem back to
  in review: the text they approved is no longer the text that would be published.
- The commander or an admin publishes an approved postmortem: the current sections are frozen as a
  published `PostmortemVersion`. A published postmortem is read-only until the commander reopens it.
Every saved edit keeps a `PostmortemVersion`, so any two versions can be compared.

Every write checks its actor first (`incidents.permissions`): AccessDenied, as not found for someone who
cannot see the incident and 403 for someone who can but may not (a reader editing, a non-reviewer
deciding, anyone but the commander or an admin publishing). A write the postmortem's state refuses is a
ConflictError (409) carrying the stored postmortem: publishing one that is not approved, reopening one that
is not published, editing a published one (`PostmortemFrozen`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.errors import ConflictError
from incidents.followup.services.findings import policy_finding_create
from incidents.markdown import markdown_text
from incidents.models import (
    POSTMORTEM_SECTIONS,
    BlamelessDismissal,
    DetectionMethod,
    FindingArea,
    FindingStatus,
    Incident,
    PolicyFinding,
    Postmortem,
    PostmortemReview,
    PostmortemStatus,
    PostmortemTemplate,
    PostmortemVersion,
    ReviewDecision,
    Risk,
)
from incidents.notify import services as notify
from incidents.permissions.checks import SYSTEM, actor_user, authorize, require_record, require_write_review
from incidents.permissions.followup import can_create_finding
from incidents.permissions.incident import can_view_incident
from incidents.permissions.review import (
    can_be_reviewer,
    can_conclude_review,
    can_decide_review,
    can_write_review,
)
from incidents.review import blameless
from incidents.review.services import blameless as blameless_findings
from incidents.timeline.services import system_entry

SECTION_KEYS = [k for k, _ in POSTMORTEM_SECTIONS]
S = PostmortemStatus


class PostmortemConflict(ConflictError):
    """The postmortem was saved by someone else since the editor loaded it.

    `current` is the stored postmortem; `submitted` holds the sections the editor tried to save, so the
    view can show both texts side by side and nothing typed is lost.
    """

    def __init__(self, current: Postmortem, submitted: dict[str, str]) -> None:
        super().__init__(
            current,
            f"The postmortem was changed by someone else (now version {current.version}). "
            "Your text is kept beside the current one: merge and save again.",
        )
        self.submitted = submitted


class ReviewStale(ConflictError):
    """A review decision on a version that is no longer the current one; `current` is the postmortem."""

    def __init__(self, current: Postmortem, decided_on: int) -> None:
        super().__init__(
            current,
            f"The postmortem changed since you read it: you reviewed version {decided_on}, it is now at "
            f"version {current.version}. Read the current text and decide again.",
        )


class PostmortemFrozen(ConflictError):
    """A write to a published postmortem (409; `current` is the stored postmortem): reopen it first."""

    def __init__(self, current: Postmortem) -> None:
        super().__init__(current, "This postmortem is published and frozen. Reopen it to edit.")


def _lock(postmortem: Postmortem) -> Postmortem:
    return Postmortem.objects.select_for_update(of=("self",)).select_related("incident").get(pk=postmortem.pk)


def _refuse_if_published(pm: Postmortem) -> None:
    if pm.status == S.PUBLISHED:
        raise PostmortemFrozen(pm)


# --- The postmortem document ------------------------------------------------------------------------------


def _snapshot(pm: Postmortem, actor: Any, note: str, *, published: bool = False) -> PostmortemVersion:
    return PostmortemVersion.objects.create(
        postmortem=pm,
        number=pm.version,
        sections=dict(pm.sections),
        author=actor_user(actor),
        note=note,
        is_published=published,
    )


def _clean_sections(sections: dict[str, Any]) -> dict[str, str]:
    unknown = set(sections) - set(SECTION_KEYS)
    if unknown:
        raise ValidationError({k: "Unknown postmortem section." for k in sorted(unknown)})
    return {k: str(sections.get(k) or "") for k in SECTION_KEYS if k in sections}


@transaction.atomic
def postmortem_start(
    *, incident: Incident, actor: Any, template: PostmortemTemplate | None = None
) -> Postmortem:
    """Create the incident's postmortem from `template` (the "Full" template by default).

    Idempotent: an incident has one postmortem, and starting again returns it unchanged. Version 1 is kept.
    Raises AccessDenied unless the actor may record on the incident.
    """
    require_record(actor, incident)
    Incident.objects.select_for_update().filter(pk=incident.pk).first()
    existing = Postmortem.objects.filter(incident=incident).first()
    if existing:
        return existing
    if template is None:
        template = PostmortemTemplate.objects.filter(name="Full").first()
    raw = dict(template.sections) if template else {}
    sections = {k: str(raw.get(k, "")) for k in SECTION_KEYS}
    user = actor_user(actor)
    pm = Postmortem.objects.create(
        incident=incident,
        template=template,
        sections=sections,
        author=user,
        detection_method=incident.detection_method or "",
    )
    _snapshot(pm, actor, "started from template" + (f" {template.name}" if template else ""))
    if user:
        incident.participants.add(user)
    system_entry(incident=incident, actor=actor, body="Postmortem started")
    return pm


def _current_author(postmortem: Postmortem) -> int | None:
    """Who saved the postmortem's current version (they cannot approve it)."""
    return postmortem.versions.order_by("-number").values_list("author_id", flat=True).first()


def _reset_approvals(pm: Postmortem, reason: str) -> bool:
    """Set every decided review back to pending, each with a history record saying `reason`; an approved
    postmortem goes back to in review (the caller saves it). True when anything was reset."""
    decided = list(
        PostmortemReview.objects.select_for_update()
        .filter(postmortem=pm)
        .exclude(decision=ReviewDecision.PENDING)
    )
    for review in decided:
        review.decision = ReviewDecision.PENDING
        review.decided_at = None
        review._change_reason = reason  # type: ignore[attr-defined]  # simple-history
        review.save(update_fields=["decision", "decided_at"])
    if pm.status == S.APPROVED:
        pm.status = S.IN_REVIEW
        return True
    return bool(decided)


@transaction.atomic
def postmortem_save(
    *,
    postmortem: Postmortem,
    actor: Any,
    sections: dict[str, Any],
    expected_version: int,
    note: str = "edit",
) -> Postmortem:
    """Save edited sections, keeping a version. Only the keys given are changed.

    Raises PostmortemConflict when the stored version is not `expected_version` (a save based on an old
    version is refused, never merged silently), PostmortemFrozen when published, ValidationError for an
    unknown section. An edit after any reviewer decision sets every decision back to pending, and an
    approved postmortem back to in review. Saving identical text changes nothing.
    """
    require_write_review(actor, postmortem)
    cleaned = _clean_sections(sections)
    pm = _lock(postmortem)
    if pm.version != expected_version:
        raise PostmortemConflict(pm, cleaned)
    _refuse_if_published(pm)
    merged = {**pm.sections, **cleaned}
    if merged == pm.sections:
        return pm
    pm.sections = merged
    pm.version += 1
    pm.updated_at = timezone.now()
    reset = _reset_approvals(pm, f"Approval reset: the postmortem was edited (version {pm.version})")
    pm.save(update_fields=["sections", "version", "updated_at", "status"])
    _snapshot(pm, actor, note)
    if reset:
        system_entry(
            incident=pm.incident,
            actor=actor,
            body=f"Postmortem edited after review (version {pm.version}): approvals must be given again",
        )
    blameless_findings.sync(pm)
    return pm


QUESTION_FIELDS = (
    "detection_method",
    "unnoticed_seconds",
    "should_have_caught",
    "behind_feature_flag",
    "flag_off_seconds",
    "staging_matched",
    "staging_notes",
    "single_person_change",
)


def _open_access_finding(pm: Postmortem, actor: Any) -> PolicyFinding:
    """The incident's access-control finding: the one already linked to it if the follow-through opened
    one, otherwise a new draft through the follow-through service (which owns the finding's lifecycle). A
    person who may edit the review but not open findings (a commander who is not a responder) still gets
    it opened, by Hindsight (SYSTEM), recorded as proposed by the review."""

    incident = pm.incident
    existing = (
        PolicyFinding.objects.filter(incidents=incident, area=FindingArea.ACCESS_CONTROL)
        .order_by("id")
        .first()
    )
    if existing is not None:
        return existing
    finding = policy_finding_create(
        actor=actor if can_create_finding(actor) else SYSTEM,
        area=FindingArea.ACCESS_CONTROL,
        title=f"One person could make the change alone ({incident.reference})",
        description=(
            f"The review of {incident.reference} found that the change behind it could be made by one "
            "person with no second check. Decide what should require a second person."
        ),
        risk=Risk.HIGH,
        incidents=[incident],
        status=FindingStatus.DRAFT,
    )
    system_entry(
        incident=incident,
        actor=actor,
        body=f"Policy finding proposed (draft): {markdown_text(finding.title)}",
    )
    return finding


@transaction.atomic
def postmortem_answer_questions(*, postmortem: Postmortem, actor: Any, **answers: Any) -> Postmortem:
    """Record the detection and change questions (any subset of QUESTION_FIELDS).

    Seconds must be zero or more. Answering yes to "could one person make this change alone?" links the
    incident's access-control `PolicyFinding`, opening a draft one when the incident has none (once:
    answering yes again reuses it).
    Raises ValidationError keyed by field, PostmortemFrozen when published.
    """
    require_write_review(actor, postmortem)
    unknown = set(answers) - set(QUESTION_FIELDS)
    if unknown:
        raise ValidationError({k: "Unknown question." for k in sorted(unknown)})
    errors: dict[str, str] = {}
    for key in ("unnoticed_seconds", "flag_off_seconds"):
        value = answers.get(key)
        if value is not None and (not isinstance(value, int) or value < 0):
            errors[key] = "Give a duration of zero seconds or more."
    method = answers.get("detection_method")
    if method and method not in DetectionMethod.values:
        errors["detection_method"] = "Choose alert, customer report, employee or by chance."
    if errors:
        raise ValidationError(errors)
    pm = _lock(postmortem)
    _refuse_if_published(pm)
    changed = [k for k, v in answers.items() if getattr(pm, k) != v]
    for k in changed:
        setattr(pm, k, answers[k])
    if pm.single_person_change and pm.access_finding_id is None:
        pm.access_finding = _open_access_finding(pm, actor)
        changed.append("access_finding")
    if changed:
        pm.updated_at = timezone.now()
        pm.save(update_fields=[*changed, "updated_at"])
    return pm


def postmortem_blameless_findings(postmortem: Postmortem) -> list[blameless.Finding]:
    """The blameless check over every section, with dismissed findings marked `dismissed` (reads only)."""
    return blameless_findings.findings(postmortem)


@transaction.atomic
def postmortem_request_review(
    *, postmortem: Postmortem, actor: Any, reviewers: Iterable[Any]
) -> tuple[Postmortem, list[blameless.Finding]]:
    """Ask `reviewers` to review; the postmortem moves to in review.

    Returns the postmortem and the blameless check's open (undismissed) findings, shown to the requester.
    Each reviewer must be allowed to review (`can_be_reviewer`: not the author, a responder who can see
    the incident). Reviewers already asked keep their decision. Raises ValidationError when nobody valid
    is named or the postmortem is approved or published.
    """
    require_write_review(actor, postmortem)
    pm = _lock(postmortem)
    _refuse_if_published(pm)
    if pm.status == S.APPROVED:
        raise ValidationError({"status": "The postmortem is already approved; publish it or edit it first."})
    people = list({u.pk: u for u in reviewers}.values())
    if not people:
        raise ValidationError({"reviewers": "Choose at least one reviewer."})
    refused = [str(u) for u in people if not can_be_reviewer(u, pm)]
    if refused:
        raise ValidationError(
            {
                "reviewers": f"Cannot review this postmortem: {', '.join(refused)} (authors cannot review their own text)."
            }
        )
    now = timezone.now()
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
        )
        notify.postmortem_review_requested(pm, reviews=requested)
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
) -> PostmortemReview:
    """Record `actor`'s decision (approved or changes_requested) on version `expected_version`, the text
    they read; it must be the current version, or ReviewStale (a ConflictError, API 409) is raised.

    Requesting changes needs a comment. Deciding again the same way on the same version with the same
    comment changes nothing (no history record, no timeline entry). When every requested reviewer has
    approved the current version, the postmortem becomes approved. Raises AccessDenied when `actor` may
    not decide (not a requested reviewer, or the author of the text), ValidationError when the postmortem
    is not in review, ReviewStale when `expected_version` is not the current version.
    """
    authorize(
        actor,
        lambda u: can_decide_review(u, postmortem, current_author_id=_current_author(postmortem)),
        visible=lambda u: can_view_incident(u, postmortem.incident),
        message="Only a requested reviewer who did not write this text may decide on it.",
    )
    if decision not in (ReviewDecision.APPROVED, ReviewDecision.CHANGES_REQUESTED):
        raise ValidationError({"decision": "Approve or request changes."})
    comment = (comment or "").strip()
    if decision == ReviewDecision.CHANGES_REQUESTED and not comment:
        raise ValidationError({"comment": "Say what should change."})
    pm = _lock(postmortem)
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
    review.decided_at = timezone.now()
    review.save()
    word = "approved" if decision == ReviewDecision.APPROVED else "requested changes to"
    system_entry(
        incident=pm.incident,
        actor=actor,
        body=f"{markdown_text(actor)} {word} the postmortem (version {pm.version})"
        + (f": {comment}" if comment else ""),
    )
    notify.postmortem_review_decided(review)
    decisions = set(pm.reviews.values_list("decision", flat=True))
    if decisions == {ReviewDecision.APPROVED}:
        pm.status = S.APPROVED
        pm.updated_at = timezone.now()
        pm.save(update_fields=["status", "updated_at"])
        notify.postmortem_approved(pm)
    return review


def _require_conclude(actor: Any, postmortem: Postmortem, message: str) -> None:
    authorize(
        actor,
        lambda u: can_conclude_review(u, postmortem),
        visible=lambda u: can_view_incident(u, postmortem.incident),
        message=message,
    )


@transaction.atomic
def postmortem_publish(*, postmortem: Postmortem, actor: Any, override_reason: str = "") -> Postmortem:
    """Publish an approved postmortem and freeze its current text as a published version.

    Only the incident's commander or an admin (`can_conclude_review`; AccessDenied, 403, for anyone else
    who sees it), and only an approved postmortem (ConflictError, 409, with the stored postmortem;
    publishing a published one changes nothing). Refused while a blameless finding is neither reworded
    nor dismissed (ValidationError keyed `blameless`), unless the commander gives `override_reason`
    (recorded as a dismissal of each open finding).
    """
    _require_conclude(actor, postmortem, "Only the incident's commander or an admin can publish.")
    pm = _lock(postmortem)
    if pm.status == S.PUBLISHED:
        return pm
    if pm.status != S.APPROVED:
        raise ConflictError(
            pm,
            f"Only an approved postmortem can be published; this one is {pm.get_status_display().lower()}.",
        )
    blameless_findings.guard_publish(postmortem=pm, actor=actor, override_reason=override_reason)
    now = timezone.now()
    pm.status = S.PUBLISHED
    pm.published_at = now
    pm.updated_at = now
    pm.save(update_fields=["status", "published_at", "updated_at"])
    version = pm.versions.filter(number=pm.version).first()
    if version:
        version.is_published = True
        version.save(update_fields=["is_published"])
    else:  # pragma: no cover - every saved version is snapshotted
        _snapshot(pm, actor, "published", published=True)
    system_entry(incident=pm.incident, actor=actor, body=f"Postmortem published (version {pm.version})")
    notify.postmortem_published(pm, actor=actor)
    return pm


@transaction.atomic
def postmortem_reopen(*, postmortem: Postmortem, actor: Any, reason: str) -> Postmortem:
    """Reopen a published postmortem as a draft (commander or admin); published versions stay frozen.

    Raises AccessDenied for anyone else, ConflictError (409) when it is not published, ValidationError
    without a reason.
    """
    _require_conclude(actor, postmortem, "Only the incident's commander or an admin can reopen a postmortem.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the postmortem is reopened."})
    pm = _lock(postmortem)
    if pm.status != S.PUBLISHED:
        raise ConflictError(pm, "Only a published postmortem can be reopened.")
    pm.status = S.DRAFT
    pm.updated_at = timezone.now()
    pm.save(update_fields=["status", "updated_at"])
    _reset_approvals(pm, f"Approval reset: the postmortem was reopened: {reason}")
    system_entry(incident=pm.incident, actor=actor, body=f"Postmortem reopened: {reason}")
    return pm


@transaction.atomic
def blameless_dismiss(
    *, postmortem: Postmortem, actor: Any, section: str, rule: str, text: str, reason: str
) -> BlamelessDismissal:
    """Dismiss one blameless finding (section, rule, matched text) with a reason; it stops being reported.

    Editors of the postmortem and its requested reviewers (AccessDenied otherwise); not once published.
    """
    authorize(
        actor,
        lambda u: can_write_review(u, postmortem) or can_decide_review(u, postmortem),
        visible=lambda u: can_view_incident(u, postmortem.incident),
        message="Only the postmortem's editors and reviewers dismiss blameless findings.",
    )
    _refuse_if_published(postmortem)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why this wording is fine here."})
    if section not in SECTION_KEYS:
        raise ValidationError({"section": "Unknown postmortem section."})
    return blameless_findings.dismiss(
        postmortem=postmortem, actor=actor_user(actor), section=section, rule=rule, text=text, reason=reason
    )


@transaction.atomic
def postmortem_meeting_update(
    *,
    postmortem: Postmortem,
    actor: Any,
    meeting_at: datetime | None = None,
    attendees: Iterable[Any] | None = None,
    notes: str | None = None,
    open_questions: str | None = None,
) -> Postmortem:
    """Update the meeting time, attendees, notes and open questions (only the arguments given)."""
    require_write_review(actor, postmortem)
    if meeting_at is not None and timezone.is_naive(meeting_at):
        raise ValidationError({"meeting_at": "The time needs a time zone."})
    pm = _lock(postmortem)
    _refuse_if_published(pm)
    fields = []
    if meeting_at is not None:
        pm.meeting_at = meeting_at
        fields.append("meeting_at")
    if notes is not None:
        pm.meeting_notes = notes
        fields.append("meeting_notes")
    if open_questions is not None:
        pm.open_questions = open_questions
        fields.append("open_questions")
    pm.updated_at = timezone.now()
    pm.save(update_fields=[*fields, "updated_at"])
    if attendees is not None:
        pm.meeting_attendees.set(list(attendees))
    return pm
