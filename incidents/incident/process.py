"""Process rules: what an incident must go through after it is resolved, read as a checklist.

The rule of an incident is the `ProcessRule` row of its type and severity, else the row for every type at its
severity, else the default (`default_rule`): a postmortem required for SEV1 and SEV2, due
`POSTMORTEM_DUE_DAYS` business days (settings, default 5) after the resolution, no sections or questions
required. Due dates are the commander's local dates (UTC without a commander), as every reminder is: the
N-th weekday (Monday to Friday) after the local date of the resolution (`postmortem_due`); the step is
overdue from the day after.
`rule_for` reads it (one query; none when the caller passes the rules it read for many incidents).

A rule's steps (`checklist`), each with its owner and, for the postmortem, its due instant:

- *Postmortem published* (the commander): done when published, waived with a reason (`Incident.
  postmortem_waived_*`, by whom `permissions.review.can_waive_postmortem` says), overdue once its due
  date has passed;
- *Sections written* (the postmortem's author, else the commander): each required section holds text;
- *Detection and change questions answered* (the same owner): how it was detected, how long it went
  unnoticed (or a detection time), what should have caught it, the feature flag, staging and single-person
  questions;
- *Incident closed* (the commander): blocked until the postmortem is published or waived.

The services enforce the same rules: `review_blockers` before a review is requested, `close_blocker` before
the incident is closed. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from incidents.models import (
    POSTMORTEM_SECTIONS,
    Incident,
    IncidentStatus,
    Postmortem,
    PostmortemStatus,
    ProcessRule,
    Severity,
)

SECTION_LABELS = dict(POSTMORTEM_SECTIONS)
#: Severities whose postmortem the default rule requires.
DEFAULT_REQUIRED = (Severity.SEV1, Severity.SEV2)


def default_due_days() -> int:
    """Days after the resolution a required postmortem is due by default (`POSTMORTEM_DUE_DAYS`)."""
    return int(getattr(settings, "POSTMORTEM_DUE_DAYS", 5))


def default_rule(severity: str) -> ProcessRule:
    """The rule where no row applies (unsaved): a postmortem required for SEV1-2, nothing else."""
    return ProcessRule(
        incident_type=None,
        severity=severity,
        postmortem_required=severity in DEFAULT_REQUIRED,
        postmortem_due_days=default_due_days(),
        required_sections=[],
        questions_required=False,
    )


def rules_for(pairs: Iterable[tuple[int | None, str]]) -> dict[tuple[int | None, str], ProcessRule]:
    """The rule of each (type id, severity) in `pairs`, in one query (none for no pairs)."""
    wanted = set(pairs)
    if not wanted:
        return {}
    types = {t for t, _s in wanted if t is not None}
    rows = list(
        ProcessRule.objects.filter(
            Q(incident_type__isnull=True) | Q(incident_type_id__in=types),
            severity__in={s for _t, s in wanted},
        )
    )
    by_key = {(r.incident_type_id, r.severity): r for r in rows}
    out: dict[tuple[int | None, str], ProcessRule] = {}
    for t, s in wanted:
        own = by_key.get((t, s)) if t is not None else None
        out[(t, s)] = own or by_key.get((None, s)) or default_rule(s)
    return out


def rule_for(incident: Incident) -> ProcessRule:
    """The rule of `incident` (its type and severity; see the module docstring). One query."""
    key = (incident.incident_type_id, incident.severity)
    return rules_for([key])[key]


def add_business_days(start: date, days: int) -> date:
    """The `days`-th weekday (Monday to Friday) after `start` (`start` itself for 0)."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def owner_zone(incident: Incident) -> ZoneInfo:
    """The zone the incident's due dates are read in: its commander's (UTC without one, or for a zone
    name Python does not know)."""
    name = incident.commander.time_zone if incident.commander_id and incident.commander else "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def postmortem_due(incident: Incident, rule: ProcessRule) -> date | None:
    """The commander's local date by which the required postmortem is due published: the rule's number
    of business days after the local date of the resolution. None when none is required or the incident
    is not resolved."""
    if not rule.postmortem_required or incident.resolved_at is None:
        return None
    resolved_on = incident.resolved_at.astimezone(owner_zone(incident)).date()
    return add_business_days(resolved_on, rule.postmortem_due_days)


def is_overdue(incident: Incident, due: date | None, now: datetime) -> bool:
    """True when the commander's local date at `now` is after `due`."""
    return due is not None and now.astimezone(owner_zone(incident)).date() > due


def missing_sections(rule: ProcessRule, postmortem: Postmortem | None) -> list[str]:
    """Labels of the rule's required sections the postmortem leaves empty (`Postmortem.written`: blank or
    only its template's prompt), all of them without a postmortem."""
    return [
        SECTION_LABELS.get(key, key)
        for key in rule.required_sections
        if postmortem is None or not postmortem.written(key)
    ]


def unanswered_questions(postmortem: Postmortem | None) -> list[str]:
    """The detection and change questions the postmortem leaves unanswered (all without one)."""
    pm = postmortem
    if pm is None:
        return ["every question"]
    unanswered = [
        ("How was it detected?", bool(pm.detection_method)),
        (
            "How long did it go unnoticed?",
            pm.unnoticed_seconds is not None or pm.incident.detected_at is not None,
        ),
        ("Which test or alert should have caught it?", bool(pm.should_have_caught.strip())),
        ("Was the change behind a feature flag?", pm.behind_feature_flag is not None),
        ("Did staging match production?", pm.staging_matched is not None),
        ("Could one person make this change alone?", pm.single_person_change is not None),
    ]
    return [q for q, answered in unanswered if not answered]


def review_blockers(rule: ProcessRule, postmortem: Postmortem) -> list[str]:
    """Why the rule does not let `postmortem` go to review yet (empty: it may)."""
    blockers = []
    sections = missing_sections(rule, postmortem)
    if sections:
        blockers.append(f"write the required sections first ({', '.join(sections)})")
    if rule.questions_required:
        questions = unanswered_questions(postmortem)
        if questions:
            blockers.append(f"answer the detection and change questions first ({'; '.join(questions)})")
    return blockers


def postmortem_of(incident: Incident) -> Postmortem | None:
    """The incident's postmortem (as selected with it, else one query), or None."""
    try:
        return incident.postmortem
    except Postmortem.DoesNotExist:
        return None


def close_blocker(incident: Incident, rule: ProcessRule) -> str:
    """Why the rule keeps `incident` from closing ("" when nothing does): a required postmortem neither
    published nor waived."""
    if not rule.postmortem_required or incident.postmortem_waived_at is not None:
        return ""
    pm = postmortem_of(incident)
    if pm is not None and pm.status == PostmortemStatus.PUBLISHED:
        return ""
    return (
        f"{incident.reference} needs its postmortem published before it closes (the process rule for "
        f"{incident.severity}{' ' + incident.incident_type.name if incident.incident_type else ''} "
        "incidents); publish it, or have it waived with a reason."
    )


@dataclass
class Step:
    """One step of an incident's checklist. `state`: done, waived, open, overdue or blocked; `owner` a
    User or None; `due_date` the owner's local date or None; `detail` says what is missing or how it was waived."""

    key: str
    label: str
    state: str
    owner: Any = None
    owner_role: str = ""
    due_date: date | None = None
    detail: str = ""
    missing: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.state in ("done", "waived")


def checklist(
    incident: Incident,
    rule: ProcessRule,
    postmortem: Postmortem | None,
    *,
    now: datetime | None = None,
) -> list[Step]:
    """The rule's steps for `incident` (see the module docstring); empty when the rule asks nothing.
    `postmortem` is the incident's (None without one); reads no row."""
    now = now or timezone.now()
    published = postmortem is not None and postmortem.status == PostmortemStatus.PUBLISHED
    author = (
        postmortem.author if postmortem is not None and postmortem.author_id else None
    ) or incident.commander
    author_role = "author" if postmortem is not None and postmortem.author_id else "commander"
    steps: list[Step] = []
    if rule.postmortem_required:
        due = postmortem_due(incident, rule)
        if published:
            state, detail = "done", "Published."
        elif incident.postmortem_waived_at is not None:
            who = incident.postmortem_waived_by
            state = "waived"
            detail = f"Waived by {who.display_name or who.email if who else 'an admin'}: {incident.postmortem_waiver_reason}"
        elif is_overdue(incident, due, now):
            state, detail = "overdue", ""
        else:
            state = "open"
            detail = (
                "" if due else f"Due {rule.postmortem_due_days} business days after the incident is resolved."
            )
        steps.append(
            Step("postmortem", "Postmortem published", state, incident.commander, "commander", due, detail)
        )
    if rule.required_sections and not published:
        missing = missing_sections(rule, postmortem)
        names = ", ".join(SECTION_LABELS.get(k, k) for k in rule.required_sections)
        steps.append(
            Step(
                "sections",
                f"Sections written before review: {names}",
                "open" if missing else "done",
                author,
                author_role,
                detail=f"Missing: {', '.join(missing)}." if missing else "",
                missing=missing,
            )
        )
    elif rule.required_sections:
        steps.append(Step("sections", "Sections written before review", "done", author, author_role))
    if rule.questions_required:
        missing = [] if published else unanswered_questions(postmortem)
        steps.append(
            Step(
                "questions",
                "Detection and change questions answered before review",
                "open" if missing else "done",
                author,
                author_role,
                detail=f"Unanswered: {'; '.join(missing)}." if missing else "",
                missing=missing,
            )
        )
    if rule.postmortem_required:
        closed = incident.status == IncidentStatus.CLOSED
        blocked = not closed and not steps[0].done
        steps.append(
            Step(
                "close",
                "Incident closed",
                "done" if closed else ("blocked" if blocked else "open"),
                incident.commander,
                "commander",
                detail="Waits for the postmortem to be published or waived." if blocked else "",
            )
        )
    return steps


def incident_checklist(incident: Incident, *, now: datetime | None = None) -> list[Step]:
    """The checklist of `incident` (as `incident_get_for` selects it): its rule and its postmortem with
    the author, two queries whatever the incident holds."""
    postmortem = Postmortem.objects.select_related("author", "template").filter(incident=incident).first()
    if postmortem is not None:
        postmortem.incident = incident
    return checklist(incident, rule_for(incident), postmortem, now=now)
