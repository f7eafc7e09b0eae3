"""Policy finding writes: open, edit, move along the lifecycle, verify (someone else), accept the risk
until a date, expire acceptances, and record a finding seen again.

Same conventions as `items.py`: one transaction each, `actor=` (`SYSTEM` for Hindsight itself) checked
first through `incidents.permissions` (AccessDenied), one simple-history record per change through
`common.save_work` (the evidence or reason is its reason); a new owner is emailed and a reopened finding sends
the `finding.reopened` webhook (`incidents.notify.services`, on commit).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.followup.selectors import finding_open_items_warning
from incidents.followup.services import common
from incidents.models import (
    FindingArea,
    FindingStatus,
    Incident,
    PolicyFinding,
    Risk,
)
from incidents.notify import services as notify
from incidents.permissions.checks import (
    SYSTEM,
    actor_user,
    authorize,
    person_refusal,
    refuse_people,
    require_accept_finding_risk,
    require_create_finding,
    require_edit_finding,
    require_move_finding,
    require_record,
    require_verify_finding,
)
from incidents.permissions.followup import (
    FINDING_TEAM_KEPT,
    can_change_finding_team,
    can_edit_finding,
    can_view_finding,
)
from incidents.permissions.incident import can_record, can_view_incident
from incidents.permissions.people import (
    can_hold_finding,
    finding_people_refusal,
    may_verify_finding_as_chosen,
)

F = FindingStatus
FINDING_EDITABLE_FIELDS = ("area", "title", "description", "risk", "owner", "verifier", "team", "due_date")

# Policy finding status changes through `policy_finding_transition`. `verified` is reached only through
# `policy_finding_verify` and `risk_accepted` only through `policy_finding_accept_risk`.
FINDING_TRANSITIONS: dict[str, set[str]] = {
    F.DRAFT: {F.OPEN},
    F.OPEN: {F.REMEDIATING},
    F.REMEDIATING: {F.REMEDIATED, F.OPEN},
    F.REMEDIATED: {F.REMEDIATING},
    F.VERIFIED: {F.CLOSED, F.OPEN},
    F.CLOSED: {F.OPEN},
    F.RISK_ACCEPTED: {F.OPEN},
}
RISK_ACCEPTABLE_FROM = (F.OPEN, F.REMEDIATING, F.REMEDIATED)
# Moving back to open or remediating from these needs a reason.
REOPENABLE_FROM = (F.REMEDIATED, F.VERIFIED, F.CLOSED, F.RISK_ACCEPTED)
MAX_RISK_ACCEPTANCE_DAYS = 365


def _validate_finding(finding: PolicyFinding) -> None:
    errors: dict[str, str] = {}
    if not finding.title.strip():
        errors["title"] = "Give the finding a title."
    if finding.area not in FindingArea.values:
        errors["area"] = "Choose an area."
    if finding.risk not in Risk.values:
        errors["risk"] = "Choose high, medium or low risk."
    if finding.verifier_id and finding.verifier_id == finding.owner_id:
        errors["verifier"] = "The verifier must be someone other than the owner."
    if errors:
        raise ValidationError(errors)


FINDING_PEOPLE = ("owner", "verifier")


def _check_finding_changes(actor: Any, stored: PolicyFinding, changes: Mapping[str, Any]) -> None:
    """Refuse, on the finding as stored, the changes (`changes`: only the fields that change) that need
    more than the right to edit its text: ValidationError keyed by each such field, nothing saved.

    Its team: only whoever governs it, to a team they lead (`can_change_finding_team`, else
    `FINDING_TEAM_KEPT`): the team decides who accepts its risk. Its owner or verifier: only whoever may
    move it and sees every incident it was seen in (`finding_people_refusal`), so the answer never tells
    who takes part in a hidden one; and a verifier who never owned it (`may_verify_finding_as_chosen`).
    SYSTEM passes."""
    if actor is SYSTEM:
        return
    errors: dict[str, str] = {}
    if "team" in changes:
        team = changes["team"]
        if not can_change_finding_team(actor, stored, getattr(team, "pk", None)):
            errors["team"] = FINDING_TEAM_KEPT
    people = [f for f in FINDING_PEOPLE if f in changes]
    refusal = finding_people_refusal(actor, stored) if people else None
    if refusal is not None:
        errors.update(dict.fromkeys(people, refusal))
    elif (verifier := changes.get("verifier")) is not None and (
        said := person_refusal(
            actor,
            verifier,
            incidents=stored.incidents.all(),
            why_not=lambda person: (
                None
                if may_verify_finding_as_chosen(person, stored)
                else f"{person} owns or owned this finding; choose someone who never did."
            ),
        )
    ):
        errors["verifier"] = said
    if errors:
        raise ValidationError(errors)


def _check_finding_people(
    actor: Any, finding: PolicyFinding, changed: Iterable[str], incidents: Iterable[Incident] | None = None
) -> None:
    """Refuse an owner or verifier being set (in `changed`) through `refuse_people` (the one rule for every
    person field): someone the actor may not pick on one of the finding's incidents (`incidents`, by
    default its linked ones; on none, as on no incident) is `NOT_CHOOSABLE`, as an id that names nobody;
    someone they may pick who may not hold the finding (`can_hold_finding`: who may see every incident it
    is seen in) is refused naming them and the incident (the actor sees it). ValidationError keyed by the
    field. Whether the actor may choose them at all is `_check_finding_changes`, asked first on an edit."""
    fields = [f for f in FINDING_PEOPLE if f in changed]
    if not fields:
        return
    linked = list(finding.incidents.all()) if incidents is None else list(incidents)

    def why_not(person: Any) -> str | None:
        if can_hold_finding(person, linked):
            return None
        hidden = next(i for i in linked if not can_view_incident(person, i))
        return f"{person} may not see {hidden.reference}: choose someone who may."

    refuse_people(
        actor, {field: getattr(finding, field) for field in fields}, incidents=linked, why_not=why_not
    )


def _tell_assigned(finding: PolicyFinding, previous_owner_id: int | None, actor: Any) -> None:
    if common.newly_assigned(finding, previous_owner_id):
        notify.policy_finding_assigned(finding, actor=actor)


def _finding_set_status(
    finding: PolicyFinding, actor: Any, status: str, note: str = "", extra_fields: Iterable[str] = ()
) -> PolicyFinding:
    old = finding.status
    finding.status = status
    fields = ["status", *extra_fields]
    if status in (F.OPEN, F.REMEDIATING, F.REMEDIATED) and old in (F.VERIFIED, F.CLOSED):
        finding.verified_by = None
        finding.verified_at = None
        finding.closed_at = None
        fields += ["verified_by", "verified_at", "closed_at"]
    if old == F.RISK_ACCEPTED and status != F.RISK_ACCEPTED:
        finding.risk_accepted_by = None
        finding.risk_accepted_until = None
        fields += ["risk_accepted_by", "risk_accepted_until"]
    if status == F.CLOSED:
        finding.closed_at = timezone.now()
        fields.append("closed_at")
    common.save_work(finding, fields, actor=actor, reason=common.change_reason(common.Change.STATUS, note))
    if status == F.OPEN and old in (F.VERIFIED, F.CLOSED, F.RISK_ACCEPTED):
        notify.policy_finding_reopened(finding, reason=note)
    return finding


@transaction.atomic
def policy_finding_create(
    *,
    actor: Any,
    area: str,
    title: str,
    description: str = "",
    risk: str = Risk.MEDIUM,
    owner: Any = None,
    verifier: Any = None,
    team: Any = None,
    due_date: date | None = None,
    incidents: Iterable[Incident] = (),
    status: str = F.OPEN,
) -> PolicyFinding:
    """Open a policy finding (status `open`, or `draft` when proposed automatically by a review).

    Responders, team leads and admins open findings, linked only to incidents they may record on
    (AccessDenied otherwise). A new owner is told. Raises ValidationError for field errors.
    """
    incidents = list(incidents)
    for incident in incidents:
        require_record(actor, incident)
    require_create_finding(actor)
    user = actor_user(actor)
    if status not in (F.OPEN, F.DRAFT):
        raise ValidationError({"status": "A new finding starts as open or draft."})
    finding = PolicyFinding(
        area=area,
        title=(title or "").strip(),
        description=description or "",
        risk=risk,
        owner=owner,
        verifier=verifier,
        team=team,
        due_date=due_date,
        status=status,
        created_by=user,
    )
    _validate_finding(finding)
    _check_finding_people(actor, finding, FINDING_PEOPLE, incidents)
    common.create_work(finding, actor=actor)
    if incidents:
        finding.incidents.add(*incidents)
    _tell_assigned(finding, None, actor)
    return finding


@transaction.atomic
def policy_finding_update(
    *, finding: PolicyFinding, actor: Any, expected_version: int | None = None, **changes: Any
) -> PolicyFinding:
    """Edit FINDING_EDITABLE_FIELDS. A stale `expected_version` raises FollowupConflict; nothing is saved.
    A new owner or verifier must see every incident the finding is seen in (`_check_finding_people`), and
    only someone who may move the finding and sees them all chooses them; only whoever governs it changes
    its team, to one they lead (`_check_finding_changes`): ValidationError keyed by the field."""
    return common.edit_work(
        finding,
        actor=actor,
        changes=changes,
        expected_version=expected_version,
        editable=FINDING_EDITABLE_FIELDS,
        require=require_edit_finding,
        validate=_validate_finding,
        assigned=_tell_assigned,
        check_people=_check_finding_people,
        check_stored=_check_finding_changes,
    )


@transaction.atomic
def policy_finding_transition(
    *,
    finding: PolicyFinding,
    actor: Any,
    status: str,
    note: str = "",
    expected_version: int | None = None,
    close_with_open_items: bool = False,
) -> PolicyFinding:
    """Move a finding along FINDING_TRANSITIONS (draft → open → remediating → remediated; verified → closed;
    reopen from verified, closed or risk accepted).

    Marking remediated needs evidence (`note`, stored as `evidence`); sending back to remediating from
    remediated and reopening need a reason. Closing a finding whose remediation items are not all done or
    won't do is refused with a warning keyed `close_with_open_items` (`finding_open_items_warning`) unless
    `close_with_open_items` confirms it. Verification and risk acceptance have their own services.
    Raises ValidationError (keyed `status`, `note` or `close_with_open_items`), AccessDenied,
    FollowupConflict.
    """
    require_move_finding(actor, finding)
    current = common.lock_work(finding, expected_version)
    if not common.is_status_change(current, status):
        return current
    if status == F.VERIFIED:
        raise ValidationError({"status": "Verification needs evidence from someone other than the owner."})
    if status == F.RISK_ACCEPTED:
        raise ValidationError({"status": "Risk acceptance needs an approver and an expiry date."})
    common.require_transition(current, status, FINDING_TRANSITIONS, "A finding")
    extra: list[str] = []
    if status == F.REMEDIATED:
        current.evidence = note = common.required_note(note, "Give the evidence that the gap is fixed.")
        extra.append("evidence")
    elif status in (F.OPEN, F.REMEDIATING) and current.status in REOPENABLE_FROM:
        note = common.required_note(note, "Say why the finding is being reopened.")
    else:
        note = (note or "").strip()
    if status == F.CLOSED and not close_with_open_items:
        warning = finding_open_items_warning(actor, current)
        if warning:
            raise ValidationError({"close_with_open_items": warning})
    return _finding_set_status(current, actor, status, note=note, extra_fields=extra)


def _second_person(
    finding: PolicyFinding,
    actor: Any,
    expected_version: int | None,
    *,
    check: Callable[[Any, PolicyFinding], None],
    field: str,
    system: str,
) -> tuple[Any, PolicyFinding]:
    """The check of a step someone other than the owner must take (verifying, accepting the risk).

    Who acts is a permission, never input: `check` (`require_verify_finding`, `require_accept_finding_risk`:
    AccessDenied, 403 or 404, with the owner's message for anyone who owns or ever owned the finding);
    ValidationError keyed `field` with `system` when the actor is Hindsight itself. Returns the acting
    user and the finding locked at `expected_version` (FollowupConflict when stale)."""
    user = actor_user(actor)
    check(actor, finding)
    if user is None:
        raise ValidationError({field: system})
    return user, common.lock_work(finding, expected_version)


@transaction.atomic
def policy_finding_verify(
    *, finding: PolicyFinding, actor: Any, evidence: str, expected_version: int | None = None
) -> PolicyFinding:
    """Verify a remediated finding: `actor` must be someone other than the owner, and give evidence.

    Raises AccessDenied unless the actor may verify (`can_verify_finding`: never anyone who owns or owned
    it), ValidationError (not remediated; no evidence; the system verifying).
    """
    user, current = _second_person(
        finding,
        actor,
        expected_version,
        check=require_verify_finding,
        field="evidence",
        system="A person must verify a finding.",
    )
    if current.status != F.REMEDIATED:
        raise ValidationError({"status": "Only a remediated finding can be verified."})
    evidence = (evidence or "").strip()
    if not evidence:
        raise ValidationError({"evidence": "Give the evidence you checked."})
    current.status = F.VERIFIED
    current.verified_by = user
    current.verified_at = timezone.now()
    current.verification_evidence = evidence
    common.save_work(
        current,
        ["status", "verified_by", "verified_at", "verification_evidence"],
        actor=user,
        reason=common.change_reason(common.Change.VERIFIED, evidence),
    )
    return current


@transaction.atomic
def policy_finding_accept_risk(
    *,
    finding: PolicyFinding,
    actor: Any,
    until: date | None,
    reason: str,
    expected_version: int | None = None,
) -> PolicyFinding:
    """Accept the finding's risk until `until` (a date, after today and within 365 days).

    The approver (`actor`) must be a team lead or admin other than the owner; a reason is required.
    On the day after `until` (owner's date) `policy_finding_expire_acceptances` reopens the finding.
    Raises AccessDenied unless the actor may accept it (`can_accept_finding_risk`), ValidationError.
    """
    user, current = _second_person(
        finding,
        actor,
        expected_version,
        check=require_accept_finding_risk,
        field="reason",
        system="A person must approve a risk acceptance.",
    )
    if current.status not in RISK_ACCEPTABLE_FROM:
        raise ValidationError(
            {
                "status": f"A finding that is {current.get_status_display().lower()} cannot have its risk accepted."
            }
        )
    errors: dict[str, str] = {}
    today = timezone.now().astimezone(user.tzinfo).date()
    if until is None:
        errors["until"] = "Give the date the acceptance ends."
    elif until <= today:
        errors["until"] = "The acceptance must end after today."
    elif until > today + timedelta(days=MAX_RISK_ACCEPTANCE_DAYS):
        errors["until"] = f"Accept a risk for at most {MAX_RISK_ACCEPTANCE_DAYS} days, then review it again."
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "Say why the risk is acceptable until then."
    if errors or until is None:
        raise ValidationError(errors)
    current.risk_accepted_by = user
    current.risk_accepted_until = until
    current.risk_acceptance_reason = reason
    current.status = F.RISK_ACCEPTED
    common.save_work(
        current,
        ["status", "risk_accepted_by", "risk_accepted_until", "risk_acceptance_reason"],
        actor=user,
        reason=common.change_reason(
            common.Change.RISK_ACCEPTED, f"Accepted until {until:%Y-%m-%d}: {reason}"
        ),
    )
    return current


def policy_finding_expire_acceptances(*, now: Any = None) -> list[int]:
    """Reopen every finding whose risk acceptance has ended (the owner's local date is after `until`).

    A plain function for the periodic sweep. Each finding is reopened in its own transaction with a
    conditional update, so two sweeps at once reopen it once. Returns the ids reopened now.
    """
    now = now or timezone.now()
    # The owner's date is at most one day ahead of UTC, so this coarse filter misses nothing.
    candidates = (
        PolicyFinding.objects.filter(
            status=F.RISK_ACCEPTED, risk_accepted_until__lt=now.date() + timedelta(days=1)
        )
        .select_related("owner")
        .order_by("id")
    )
    reopened: list[int] = []
    for finding in candidates:
        zone = finding.owner.tzinfo if finding.owner else UTC
        if finding.risk_accepted_until is None or now.astimezone(zone).date() <= finding.risk_accepted_until:
            continue
        with transaction.atomic():
            claimed = PolicyFinding.objects.filter(
                pk=finding.pk, status=F.RISK_ACCEPTED, risk_accepted_until=finding.risk_accepted_until
            ).update(status=F.OPEN)
            if not claimed:
                continue
            current = PolicyFinding.objects.select_for_update().get(pk=finding.pk)
            until = finding.risk_accepted_until  # the date the claim matched
            current.risk_accepted_by = None
            current.risk_accepted_until = None
            common.save_work(
                current,
                ["risk_accepted_by", "risk_accepted_until"],
                actor=SYSTEM,
                reason=common.change_reason(
                    common.Change.RISK_EXPIRED,
                    f"The risk acceptance ended on {until:%Y-%m-%d}; the finding is open again.",
                ),
            )
            notify.policy_finding_reopened(current, reason="risk acceptance expired")
            reopened.append(current.pk)
    return reopened


@transaction.atomic
def policy_finding_seen_again(*, finding: PolicyFinding, incident: Incident, actor: Any) -> PolicyFinding:
    """Record that the finding was seen in `incident`: link it, and reopen a verified or closed finding.

    Those who may edit the finding (`can_edit_finding`) and record on `incident` (AccessDenied otherwise).
    Linking the same incident twice changes nothing. A risk-accepted finding stays accepted (the
    acceptance is the approver's decision) but the incident is linked and recorded. An owner or verifier
    who may not see `incident` refuses the link (ValidationError keyed `incident`, naming them: hand the
    finding on first), since they would read what it teaches.
    """
    authorize(
        actor,
        lambda u: can_edit_finding(u, finding) and can_record(u, incident),
        visible=lambda u: can_view_finding(u, finding) and can_view_incident(u, incident),
        message="You may not link this finding to that incident.",
    )
    current = common.lock_work(finding, None)
    if current.incidents.filter(pk=incident.pk).exists():
        return current
    for person in (current.owner, current.verifier):
        if person is not None and not can_view_incident(person, incident):
            raise ValidationError(
                {
                    "incident": f"{person} may not see {incident.reference} and takes part in this "
                    "finding: hand it to someone who may first."
                }
            )
    current.incidents.add(incident)
    # History text is shown to everyone who may see the finding: it never names the incident, which may be
    # restricted. The history row carries the incident in `seen_in_incident`, which `history_for` shows as
    # "seen in INC-n" only to those who may see it.
    if current.status in (F.VERIFIED, F.CLOSED):
        current = _finding_set_status(current, actor, F.OPEN, note="Seen again in another incident.")
    else:
        common.save_work(
            current,
            [],
            actor=actor,
            reason=common.change_reason(common.Change.SEEN_AGAIN, "Seen in another incident."),
        )
    written = current.history.order_by("-history_id").values_list("pk", flat=True).first()
    current.history.filter(pk=written).update(seen_in_incident=incident)
    return current
