"""Blameless findings in the review workflow: what is open, dismissals, publishing over a finding, and the
records Insights counts.

A finding is open while its words are still in the text and nobody dismissed it with a reason. Rewording
the sentence closes it (`reworded`); a dismissal closes it with who and why (`dismissed`); the commander
may publish over open findings only by writing why, which dismisses each of them as `overridden`.
`sync` keeps one `BlamelessRecord` per finding up to date; the postmortem services call it whenever the
workflow checks the text (save, request review, dismiss, publish).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents.errors import AccessDenied
from incidents.models import BlamelessDismissal, BlamelessRecord, FindingResolution, Postmortem
from incidents.review import blameless
from incidents.review.blameless.explain import LABELS


def _key(section: str, rule: str, text: str) -> tuple[str, str, str]:
    return (section, rule, text[:255].lower())


def findings(postmortem: Postmortem) -> list[blameless.Finding]:
    """The check over every section; dismissed findings are marked `dismissed`. Two queries."""
    dismissed = postmortem.blameless_dismissals.values_list("section", "rule", "text")
    return blameless.check_sections(postmortem.sections, names=blameless.system_names(), dismissed=dismissed)


def open_findings(postmortem: Postmortem) -> list[blameless.Finding]:
    """Findings neither reworded nor dismissed."""
    return [f for f in findings(postmortem) if not f.dismissed]


def sync(postmortem: Postmortem, *, now: datetime | None = None) -> list[blameless.Finding]:
    """Record new open findings as raised and vanished ones as reworded; return the current findings."""
    now = now or timezone.now()
    current = findings(postmortem)
    live = {_key(f.section, f.rule, f.text) for f in current if not f.dismissed}
    records = {
        _key(r.section, r.rule, r.text): r
        for r in postmortem.blameless_records.filter(resolved_at__isnull=True)
    }
    for key, record in records.items():
        if key not in live:
            record.resolved_at, record.resolution = now, FindingResolution.REWORDED
            record.save(update_fields=["resolved_at", "resolution"])
    BlamelessRecord.objects.bulk_create(
        [
            BlamelessRecord(postmortem=postmortem, section=s, rule=r, text=t, raised_at=now)
            for (s, r, t) in sorted(live - records.keys())
        ]
    )
    return current


def _close(postmortem: Postmortem, key: tuple[str, str, str], resolution: str, now: datetime) -> None:
    section, rule, text = key
    updated = postmortem.blameless_records.filter(
        section=section, rule=rule, text=text, resolved_at__isnull=True
    ).update(resolved_at=now, resolution=resolution)
    if not updated:
        BlamelessRecord.objects.create(
            postmortem=postmortem,
            section=section,
            rule=rule,
            text=text,
            raised_at=now,
            resolved_at=now,
            resolution=resolution,
        )


def dismiss(
    *,
    postmortem: Postmortem,
    actor: Any,
    section: str,
    rule: str,
    text: str,
    reason: str,
    overridden: bool = False,
) -> BlamelessDismissal:
    """Dismiss one finding (section, rule, flagged words) with a reason; it stops being reported.

    Raises ValidationError without a reason or for an unknown rule. The caller checks who may dismiss.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why this wording is fine here."})
    if rule not in LABELS:
        raise ValidationError({"rule": "Unknown kind of finding."})
    section, rule, text = _key(section, rule[:50], text)
    dismissal, _ = BlamelessDismissal.objects.update_or_create(
        postmortem=postmortem,
        section=section,
        rule=rule,
        text=text,
        defaults={
            "reason": reason,
            "dismissed_by": actor if getattr(actor, "pk", None) else None,
            "overridden": overridden,
            "created_at": timezone.now(),
        },
    )
    _close(
        postmortem,
        (section, rule, text),
        FindingResolution.OVERRIDDEN if overridden else FindingResolution.DISMISSED,
        dismissal.created_at,
    )
    return dismissal


def guard_publish(*, postmortem: Postmortem, actor: Any, override_reason: str = "") -> None:
    """Refuse to publish while a finding is open, unless the commander writes why they publish over it.

    Raises ValidationError listing the open findings (`blameless`), AccessDenied (403) when someone other
    than the incident's commander tries to publish over them. The caller checked who may publish.
    """
    sync(postmortem)
    still_open = open_findings(postmortem)
    if not still_open:
        return
    override_reason = (override_reason or "").strip()
    listed = "; ".join(f'"{f.text}" ({LABELS[f.rule].lower()})' for f in still_open[:5])
    if not override_reason:
        raise ValidationError(
            {
                "blameless": f"{len(still_open)} blameless finding(s) are neither reworded nor dismissed: {listed}. "
                "Reword them or dismiss each with a reason; the commander may publish over them by writing why."
            }
        )
    if postmortem.incident.commander_id != getattr(actor, "pk", None):
        raise AccessDenied("Only the incident's commander can publish over open findings.", visible=True)
    for f in still_open:
        dismiss(
            postmortem=postmortem,
            actor=actor,
            section=f.section,
            rule=f.rule,
            text=f.text,
            reason=override_reason,
            overridden=True,
        )


def dismissals(postmortem: Postmortem) -> list[BlamelessDismissal]:
    """Every dismissal with who and why, newest first (one query)."""
    return list(postmortem.blameless_dismissals.select_related("dismissed_by").order_by("-created_at", "-id"))
