from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents import permissions as perms
from incidents.followup.services.common import (
    FollowupConflict,
    _actor_id,
    _check_owner,
    _emit_assigned,
    _require,
    _user,
)
from incidents.models import (
    FindingArea,
    FindingStatus,
    Incident,
    PolicyFinding,
    PolicyFindingEvent,
    Risk,
)
from incidents.notify.events import emit

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
MAX_RISK_ACCEPTANCE_DAYS = 365


# --- Policy findings ---------------------------------------------------------------------------------


def _finding_event(
    finding: PolicyFinding,
    actor: Any,
    kind: str,
    note: str = "",
    old: str = "",
    new: str = "",
    incident: Incident | None = None,
) -> None:
    PolicyFindingEvent.objects.create(
        finding=finding,
        kind=kind,
        actor=_user(actor),
        note=note,
        from_status=old,
        to_status=new,
        incident=incident,
    )


def _lock_finding(finding: PolicyFinding, expected_version: int | None) -> PolicyFinding:
    current = PolicyFinding.objects.select_for_update(of=("self",)).select_related("owner").get(pk=finding.pk)
    if expected_version is not None and current.version != expected_version:
        raise FollowupConflict(current)
    return current


def _save_finding(finding: PolicyFinding, fields: Iterable[str]) -> None:
    finding.version += 1
    finding.updated_at = timezone.now()
    finding.save(update_fields=[*set(fields), "version", "updated_at"])


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
    _save_finding(finding, fields)
    _finding_event(finding, actor, PolicyFindingEvent.Kind.STATUS, note=note, old=old, new=status)
    emit(
        "policy_finding.status_changed", finding_id=finding.pk, old=old, new=status, actor_id=_actor_id(actor)
    )
    if status == F.OPEN and old in (F.VERIFIED, F.CLOSED, F.RISK_ACCEPTED):
        emit("policy_finding.reopened", finding_id=finding.pk, reason=note, actor_id=_actor_id(actor))
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

    Emits `policy_finding.created` and `policy_finding.assigned` when it has an owner. Raises
    ValidationError and PermissionDenied.
    """
    user = _user(actor)
    if user is not None:
        _require(perms.can_create_finding(user), "You may not open policy findings.")
    if status not in (F.OPEN, F.DRAFT):
        raise ValidationError({"status": "A new finding starts as open or draft."})
    _check_owner("owner", owner)
    _check_owner("verifier", verifier)
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
    finding.save()
    incidents = list(incidents)
    if incidents:
        finding.incidents.add(*incidents)
    _finding_event(finding, actor, PolicyFindingEvent.Kind.CREATED, new=status)
    emit("policy_finding.created", finding_id=finding.pk, actor_id=_actor_id(actor))
    _emit_assigned("policy_finding", finding, None, actor)
    return finding


@transaction.atomic
def policy_finding_update(
    *, finding: PolicyFinding, actor: Any, expected_version: int | None = None, **changes: Any
) -> PolicyFinding:
    """Edit FINDING_EDITABLE_FIELDS. A stale `expected_version` raises FollowupConflict; nothing is saved."""
    unknown = set(changes) - set(FINDING_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({k: "This field cannot be edited here." for k in unknown})
    current = _lock_finding(finding, expected_version)
    user = _user(actor)
    if user is not None:
        _require(perms.can_edit_finding(user, current), "You may not edit this finding.")
    if "title" in changes:
        changes["title"] = (changes["title"] or "").strip()
    changed = []
    for k, v in changes.items():
        if k in ("owner", "verifier", "team"):
            if getattr(current, f"{k}_id") != getattr(v, "pk", None):
                changed.append(k)
        elif getattr(current, k) != v:
            changed.append(k)
    if not changed:
        return current
    for k in ("owner", "verifier"):
        if k in changed:
            _check_owner(k, changes[k])
    previous_owner_id = current.owner_id
    for k in changed:
        setattr(current, k, changes[k])
    _validate_finding(current)
    _save_finding(current, changed)
    labels = ", ".join(PolicyFinding._meta.get_field(k).verbose_name for k in changed)
    _finding_event(current, actor, PolicyFindingEvent.Kind.EDITED, note=f"Changed {labels}.")
    if "owner" in changed:
        _finding_event(
            current, actor, PolicyFindingEvent.Kind.ASSIGNED, note=f"Owner: {current.owner or 'nobody'}"
        )
        _emit_assigned("policy_finding", current, previous_owner_id, actor)
    return current


@transaction.atomic
def policy_finding_transition(
    *,
    finding: PolicyFinding,
    actor: Any,
    status: str,
    note: str = "",
    expected_version: int | None = None,
) -> PolicyFinding:
    """Move a finding along FINDING_TRANSITIONS (draft → open → remediating → remediated; verified → closed;
    reopen from verified, closed or risk accepted).

    Marking remediated needs evidence (`note`, stored as `evidence`); sending back to remediating from
    remediated and reopening need a reason. Verification and risk acceptance have their own services.
    Raises ValidationError (keyed `status` or `note`), PermissionDenied, FollowupConflict.
    """
    current = _lock_finding(finding, expected_version)
    user = _user(actor)
    if user is not None:
        _require(perms.can_edit_finding(user, current), "You may not change this finding.")
    if status not in F.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    if status == current.status:
        return current
    if status == F.VERIFIED:
        raise ValidationError({"status": "Verification needs evidence from someone other than the owner."})
    if status == F.RISK_ACCEPTED:
        raise ValidationError({"status": "Risk acceptance needs an approver and an expiry date."})
    if status not in FINDING_TRANSITIONS[current.status]:
        raise ValidationError(
            {
                "status": f"A finding that is {current.get_status_display().lower()} cannot become "
                f"{F(status).label.lower()}."
            }
        )
    note = (note or "").strip()
    extra: list[str] = []
    if status == F.REMEDIATED:
        if not note:
            raise ValidationError({"note": "Give the evidence that the gap is fixed."})
        current.evidence = note
        extra.append("evidence")
    reopening = current.status in (F.REMEDIATED, F.VERIFIED, F.CLOSED, F.RISK_ACCEPTED)
    if status in (F.OPEN, F.REMEDIATING) and reopening and not note:
        raise ValidationError({"note": "Say why the finding is being reopened."})
    return _finding_set_status(current, actor, status, note=note, extra_fields=extra)


@transaction.atomic
def policy_finding_verify(
    *, finding: PolicyFinding, actor: Any, evidence: str, expected_version: int | None = None
) -> PolicyFinding:
    """Verify a remediated finding: `actor` must be someone other than the owner, and give evidence.

    Raises ValidationError (not remediated; no evidence; the owner verifying), PermissionDenied.
    """
    current = _lock_finding(finding, expected_version)
    user = _user(actor)
    if user is None:
        raise ValidationError({"evidence": "A person must verify a finding."})
    if current.owner_id == user.pk:
        raise ValidationError({"evidence": "You own this finding; someone else must verify it."})
    _require(perms.can_verify_finding(user, current), "You may not verify this finding.")
    if current.status != F.REMEDIATED:
        raise ValidationError({"status": "Only a remediated finding can be verified."})
    evidence = (evidence or "").strip()
    if not evidence:
        raise ValidationError({"evidence": "Give the evidence you checked."})
    old = current.status
    current.status = F.VERIFIED
    current.verified_by = user
    current.verified_at = timezone.now()
    current.verification_evidence = evidence
    _save_finding(current, ["status", "verified_by", "verified_at", "verification_evidence"])
    _finding_event(current, actor, PolicyFindingEvent.Kind.VERIFIED, note=evidence, old=old, new=F.VERIFIED)
    emit("policy_finding.verified", finding_id=current.pk, actor_id=user.pk)
    emit("policy_finding.status_changed", finding_id=current.pk, old=old, new=F.VERIFIED, actor_id=user.pk)
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
    Raises ValidationError, PermissionDenied.
    """
    current = _lock_finding(finding, expected_version)
    user = _user(actor)
    if user is None:
        raise ValidationError({"reason": "A person must approve a risk acceptance."})
    if current.owner_id == user.pk:
        raise ValidationError({"reason": "You own this finding; someone else must approve the risk."})
    _require(perms.can_accept_finding_risk(user, current), "Only a team lead or admin may accept a risk.")
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
    if errors:
        raise ValidationError(errors)
    current.risk_accepted_by = user
    current.risk_accepted_until = until
    current.risk_acceptance_reason = reason
    old = current.status
    current.status = F.RISK_ACCEPTED
    _save_finding(current, ["status", "risk_accepted_by", "risk_accepted_until", "risk_acceptance_reason"])
    _finding_event(
        current,
        actor,
        PolicyFindingEvent.Kind.RISK_ACCEPTED,
        note=f"Accepted until {until:%Y-%m-%d}: {reason}",
        old=old,
        new=F.RISK_ACCEPTED,
    )
    emit("policy_finding.risk_accepted", finding_id=current.pk, until=until.isoformat(), actor_id=user.pk)
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
        zone = finding.owner.tzinfo if finding.owner_id else UTC
        if now.astimezone(zone).date() <= finding.risk_accepted_until:
            continue
        with transaction.atomic():
            claimed = PolicyFinding.objects.filter(
                pk=finding.pk, status=F.RISK_ACCEPTED, risk_accepted_until=finding.risk_accepted_until
            ).update(status=F.OPEN)
            if not claimed:
                continue
            current = PolicyFinding.objects.select_for_update().get(pk=finding.pk)
            until = current.risk_accepted_until
            current.risk_accepted_by = None
            current.risk_accepted_until = None
            _save_finding(current, ["risk_accepted_by", "risk_accepted_until"])
            _finding_event(
                current,
                None,
                PolicyFindingEvent.Kind.RISK_EXPIRED,
                note=f"The risk acceptance ended on {until:%Y-%m-%d}; the finding is open again.",
                old=F.RISK_ACCEPTED,
                new=F.OPEN,
            )
            emit("policy_finding.risk_expired", finding_id=current.pk, until=until.isoformat())
            emit(
                "policy_finding.reopened",
                finding_id=current.pk,
                reason="risk acceptance expired",
                actor_id=None,
            )
            reopened.append(current.pk)
    return reopened


@transaction.atomic
def policy_finding_seen_again(*, finding: PolicyFinding, incident: Incident, actor: Any) -> PolicyFinding:
    """Record that the finding was seen in `incident`: link it, and reopen a verified or closed finding.

    Linking the same incident twice changes nothing. A risk-accepted finding stays accepted (the
    acceptance is the approver's decision) but the incident is linked and recorded.
    """
    current = _lock_finding(finding, None)
    user = _user(actor)
    if user is not None:
        _require(
            perms.can_view_finding(user, current) and perms.can_record(user, incident),
            "You may not link this finding to that incident.",
        )
    if current.incidents.filter(pk=incident.pk).exists():
        return current
    current.incidents.add(incident)
    _finding_event(
        current,
        actor,
        PolicyFindingEvent.Kind.SEEN_AGAIN,
        note=f"Seen in {incident.reference}.",
        incident=incident,
    )
    if current.status in (F.VERIFIED, F.CLOSED):
        return _finding_set_status(current, actor, F.OPEN, note=f"Seen again in {incident.reference}.")
    _save_finding(current, [])
    return current
