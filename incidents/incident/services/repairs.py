"""Finding and repairing timeline rows stored before today's rules (`manage.py check_timeline`).

Before severity changes were held to the order they happened (issue 16), a change recorded after the fact
could be stored dated before one recorded earlier, so that, read in time order, a row's "from" is not the
severity the row before it left ("declared as SEV2" 10:00, "from SEV1 to SEV3" 11:00, "from SEV2 to SEV1"
12:00), and the latest row may not state the incident's severity. Before every incident got its "Impact
started" row, one declared at its start had none.

`timeline_findings` reports each of them; `timeline_findings_repair` repairs what has one true answer:
a row's "from" is rewritten to the severity the rows before it leave (the old text stays in the entry's
history, with the reason), and a missing "Impact started" row is written at the start. A latest row that
disagrees with the incident's severity is only reported: which of the two is true is for a person to say
(record a severity change at its real time).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from django.db import transaction

from incidents.models import EntrySource, Incident, TimelineEntry
from incidents.permissions.checks import SYSTEM
from incidents.timeline.services import system_entry

SEVERITY_ROW = re.compile(r"^Severity changed from (SEV[1-4]) to (SEV[1-4])")
DECLARED_ROW = re.compile(r"^Incident declared as (SEV[1-4])")
IMPACT_STARTED = "Impact started"

CHAIN, CURRENT, NO_START_ROW = "severity_chain", "severity_current", "impact_started_missing"


@dataclass(frozen=True)
class RowFinding:
    """One problem in an incident's stored timeline.

    `kind`: `severity_chain` (a severity row's "from" is not what the row before it left; `entry_id` is the
    row and `repaired_body` its text with the right "from"), `severity_current` (the latest severity row, in
    time order, does not state the incident's severity; reported only: `repaired_body` is None) or
    `impact_started_missing` (no "Impact started" row; `entry_id` None). `message` says it in words."""

    incident_id: int
    reference: str
    kind: str
    message: str
    entry_id: int | None = None
    repaired_body: str | None = None

    @property
    def repairable(self) -> bool:
        return self.kind != CURRENT


def _rows(incident_ids: Iterable[int] | None) -> Iterator[tuple[int, list[tuple[int, str]]]]:
    """(incident id, [(entry id, body)] of its declaration, severity and start rows in time order)."""
    rows = TimelineEntry.objects.filter(
        source=EntrySource.SYSTEM,
        removed_at__isnull=True,
        body__regex=r"^(Incident declared as |Severity changed from |Impact started$)",
    )
    if incident_ids is not None:
        rows = rows.filter(incident_id__in=list(incident_ids))
    ordered = rows.order_by("incident_id", "occurred_at", "id").values_list("incident_id", "id", "body")
    for incident_id, group in groupby(ordered.iterator(chunk_size=2000), key=lambda r: r[0]):
        yield incident_id, [(pk, body) for _, pk, body in group]


def timeline_findings(incident_ids: Iterable[int] | None = None) -> list[RowFinding]:
    """Every finding (`RowFinding`) over the incidents `incident_ids` (default: every incident, deleted
    ones included), in incident then time order. Reads the rows in one ordered pass plus one query for
    the incidents; writes nothing."""
    incidents = Incident.objects.all()
    if incident_ids is not None:
        incidents = incidents.filter(pk__in=list(incident_ids))
    facts = {
        pk: (number, severity) for pk, number, severity in incidents.values_list("pk", "number", "severity")
    }
    seen: dict[int, list[tuple[int, str]]] = dict(_rows(facts))
    findings: list[RowFinding] = []
    for pk, (number, severity) in sorted(facts.items()):
        ref = f"INC-{number}"
        rows = seen.get(pk, [])
        if not any(body == IMPACT_STARTED for _, body in rows):
            findings.append(RowFinding(pk, ref, NO_START_ROW, f"{ref} has no “Impact started” row."))
        # The declaration names the severity the incident started with, wherever its row sits.
        state = next((m.group(1) for _, body in rows if (m := DECLARED_ROW.match(body))), None)
        last_row: tuple[int, str] | None = None
        for entry_id, body in rows:
            m = SEVERITY_ROW.match(body)
            if m is None:
                continue
            was, now = m.groups()
            if state is not None and was != state:
                fixed = f"Severity changed from {state} to {now}{body[m.end() :]}"
                findings.append(
                    RowFinding(
                        pk,
                        ref,
                        CHAIN,
                        f"{ref}: “{body}” follows a row that left {state}; it should read “{fixed}”.",
                        entry_id,
                        fixed,
                    )  # fmt: skip
                )
            state, last_row = now, (entry_id, body)
        if last_row is not None and state != severity:
            findings.append(
                RowFinding(
                    pk,
                    ref,
                    CURRENT,
                    f"{ref} is {severity} but its latest severity row in time order (“{last_row[1]}”) says "
                    f"{state}: record a severity change at its real time to say which is true.",
                    last_row[0],
                )  # fmt: skip
            )
    return findings


@transaction.atomic
def timeline_findings_repair(findings: Iterable[RowFinding], *, actor: Any = SYSTEM) -> int:
    """Repair the repairable `findings` (see the module docstring) as `actor` (default SYSTEM: an operator's
    command); returns how many were repaired. A severity row whose text changed since it was found is
    left alone. Each rewritten row keeps its old text in its history, with the reason."""
    repaired = 0
    for finding in findings:
        if finding.kind == CHAIN and finding.entry_id is not None and finding.repaired_body:
            entry = TimelineEntry.objects.select_for_update().filter(pk=finding.entry_id).first()
            if entry is None or not SEVERITY_ROW.match(entry.body):
                continue
            entry._change_reason = "Repaired: severity rows read in time order"  # type: ignore[attr-defined]
            entry.body = finding.repaired_body
            entry.save()
            repaired += 1
        elif finding.kind == NO_START_ROW:
            incident = Incident.objects.select_for_update().get(pk=finding.incident_id)
            if incident.timeline_entries.filter(source=EntrySource.SYSTEM, body=IMPACT_STARTED).exists():
                continue
            system_entry(incident=incident, actor=actor, body=IMPACT_STARTED, occurred_at=incident.started_at)
            repaired += 1
    return repaired
