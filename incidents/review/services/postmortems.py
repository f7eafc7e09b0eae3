"""The postmortem document: start it, save its sections (every saved edit keeps a `PostmortemVersion`, so any
two versions can be compared), answer its questions, dismiss blameless findings, run its meeting.

Any saved edit after an approval sets every decision back to pending and an approved postmortem back to
in review: the text they approved is no longer the text that would be published. The review workflow
(request, decide, publish, reopen) is in `reviews.py`.

Every write checks its actor first (`incidents.permissions`): AccessDenied, as not found for someone who
cannot see the incident and 403 for someone who can but may not (a reader editing). A write the
postmortem's state refuses is a ConflictError (409) carrying the stored postmortem: editing a published one
(`PostmortemFrozen`), saving over a newer version (`PostmortemConflict`).
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
from incidents.happened import happened_at
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
from incidents.permissions.checks import (
    SYSTEM,
    actor_user,
    refuse_people,
    require_dismiss_blameless,
    require_record,
    require_write_review,
)
from incidents.permissions.followup import can_create_finding
from incidents.review import blameless
from incidents.review.documents import unnoticed_refusal
from incidents.review.selectors import postmortem_type_template
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


class PostmortemFrozen(ConflictError):
    """A write to a published postmortem (409; `current` is the stored postmortem): reopen it first."""

    def __init__(self, current: Postmortem) -> None:
        super().__init__(current, "This postmortem is published and frozen. Reopen it to edit.")


def lock_postmortem(postmortem: Postmortem) -> Postmortem:
    return Postmortem.objects.select_for_update(of=("self",)).select_related("incident").get(pk=postmortem.pk)


def refuse_if_published(pm: Postmortem) -> None:
    if pm.status == S.PUBLISHED:
        raise PostmortemFrozen(pm)


# --- The postmortem document ------------------------------------------------------------------------------


def snapshot_version(
    pm: Postmortem, actor: Any, note: str, *, published: bool = False, at: datetime | None = None
) -> PostmortemVersion:
    return PostmortemVersion.objects.create(
        postmortem=pm,
        created_at=at or timezone.now(),
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
    *, incident: Incident, actor: Any, template: PostmortemTemplate | None = None, at: datetime | None = None
) -> Postmortem:
    """Create the incident's postmortem from `template` (by default its type's template, else "Full") at
    `at` (aware; when it happened, default now).

    Idempotent: an incident has one postmortem, and starting again returns it unchanged. Version 1 is kept.
    Raises AccessDenied unless the actor may record on the incident.
    """
    require_record(actor, incident)
    Incident.objects.select_for_update().filter(pk=incident.pk).first()
    existing = Postmortem.objects.filter(incident=incident).first()
    if existing:
        return existing
    if template is None:
        template = postmortem_type_template(incident)
    if template is None:
        template = PostmortemTemplate.objects.filter(name="Full").first()
    sections = dict.fromkeys(SECTION_KEYS, "")  # the template's prompts are placeholders, not text
    user = actor_user(actor)
    now = happened_at(at)
    pm = Postmortem.objects.create(
        incident=incident,
        created_at=now,
        updated_at=now,
        template=template,
        sections=sections,
        author=user,
        detection_method=incident.detection_method or "",
    )
    snapshot_version(pm, actor, "started from template" + (f" {template.name}" if template else ""), at=now)
    if user:
        incident.participants.add(user)
    system_entry(incident=incident, actor=actor, body="Postmortem started", occurred_at=now)
    return pm


def reset_approvals(pm: Postmortem, reason: str) -> bool:
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
    at: datetime | None = None,
) -> Postmortem:
    """Save edited sections at `at` (aware; default now), keeping a version. Only the keys given change.

    Raises PostmortemConflict when the stored version is not `expected_version` (a save based on an old
    version is refused, never merged silently), PostmortemFrozen when published, ValidationError for an
    unknown section. An edit after any reviewer decision sets every decision back to pending, and an
    approved postmortem back to in review. Saving identical text changes nothing.
    """
    require_write_review(actor, postmortem)
    cleaned = _clean_sections(sections)
    pm = lock_postmortem(postmortem)
    if pm.version != expected_version:
        raise PostmortemConflict(pm, cleaned)
    refuse_if_published(pm)
    merged = {**pm.sections, **cleaned}
    if merged == pm.sections:
        return pm
    pm.sections = merged
    pm.version += 1
    pm.updated_at = happened_at(at)
    # Who asked for changes hears once that a new version waits for them (their review goes back to
    # pending); who approved an earlier version that their approval was reset. Each once per version
    # they decided on.
    decided = dict(
        PostmortemReview.objects.filter(postmortem=pm)
        .exclude(decision=ReviewDecision.PENDING)
        .values_list("pk", "decision")
    )
    asked = [pk for pk, d in decided.items() if d == ReviewDecision.CHANGES_REQUESTED]
    approved = [pk for pk, d in decided.items() if d == ReviewDecision.APPROVED]
    reset = reset_approvals(pm, f"Approval reset: the postmortem was edited (version {pm.version})")
    pm.save(update_fields=["sections", "version", "updated_at", "status"])
    snapshot_version(pm, actor, note, at=pm.updated_at)
    if reset:
        system_entry(
            incident=pm.incident,
            actor=actor,
            body=f"Postmortem edited after review (version {pm.version}): approvals must be given again",
            occurred_at=pm.updated_at,
        )
    if asked:
        notify.postmortem_review_ready_again(pm, review_ids=asked)
    if approved:
        notify.postmortem_approval_reset(pm, review_ids=approved, actor=actor)
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

    Seconds must be zero or more; when the incident has a detection time, `unnoticed_seconds` must be its
    time to detect to within a minute (`documents.unnoticed_refusal`: the message names both figures). Answering yes to "could one person make this change alone?" links the
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
    if "unnoticed_seconds" not in errors and (
        why := unnoticed_refusal(postmortem.incident, answers.get("unnoticed_seconds"))
    ):
        errors["unnoticed_seconds"] = why
    method = answers.get("detection_method")
    if method and method not in DetectionMethod.values:
        errors["detection_method"] = "Choose alert, customer report, employee or by chance."
    if errors:
        raise ValidationError(errors)
    pm = lock_postmortem(postmortem)
    refuse_if_published(pm)
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
def blameless_dismiss(
    *, postmortem: Postmortem, actor: Any, section: str, rule: str, text: str, reason: str
) -> BlamelessDismissal:
    """Dismiss one blameless finding (section, rule, matched text) with a reason; it stops being reported.

    Editors of the postmortem and its requested reviewers (AccessDenied otherwise); not once published.
    """
    require_dismiss_blameless(actor, postmortem)
    refuse_if_published(postmortem)
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
    """Update the meeting time, attendees, notes and open questions (only the arguments given).

    An attendee added (not recorded before) must be someone the actor may pick (`refuse_people`: else
    `NOT_CHOOSABLE`, as an id that names nobody); those recorded before stay. Who attended is a record,
    not an invitation: anyone the actor may pick, taking part in the incident or not."""
    require_write_review(actor, postmortem)
    if meeting_at is not None and timezone.is_naive(meeting_at):
        raise ValidationError({"meeting_at": "The time needs a time zone."})
    pm = lock_postmortem(postmortem)
    refuse_if_published(pm)
    if attendees is not None:
        attendees = list(attendees)
        recorded = set(pm.meeting_attendees.values_list("pk", flat=True))
        refuse_people(
            actor, {"attendees": [p for p in attendees if p.pk not in recorded]}, incidents=[pm.incident]
        )
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
