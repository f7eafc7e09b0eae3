from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q

from incidents.incident import selectors as incident_selectors
from incidents.incident.models import DURATION_NOTE, DurationRow
from incidents.incident.selectors import MilestoneRow
from incidents.models import (
    POSTMORTEM_SECTIONS,
    ActionItem,
    ContributingFactor,
    FactorCategory,
    Incident,
    Postmortem,
    TimelineEntry,
)
from incidents.permissions.incident import can_view_incident
from incidents.review.services.factors import factors_seen_counts
from incidents.timefmt import format_duration

SECTION_LABELS = dict(POSTMORTEM_SECTIONS)
SECTION_KEYS = [k for k, _ in POSTMORTEM_SECTIONS]

# --- The one sanitiser for Markdown source ------------------------------------------------------------

_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.S)
_AUTOLINK = re.compile(r"<(?:https?://|mailto:)[^\s<>]*>", re.I)
_UNSAFE_LINK = re.compile(
    r"(\]\(\s*<?|^\s*\[[^\]]+\]:\s*<?)(?!(?:https?|mailto):)([a-z][a-z0-9+.\-]*):", re.I | re.M
)


_SCRIPT_SCHEME = re.compile(r"\b(javascript|vbscript)\s*:", re.I)
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")


def _clean_prose(text: str) -> str:
    out = []
    pos = 0
    for m in _AUTOLINK.finditer(text):
        out.append(_TAG_OPEN.sub("&lt;", text[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_TAG_OPEN.sub("&lt;", text[pos:]))
    escaped = _UNSAFE_LINK.sub(lambda m: f"{m.group(1)}blocked-{m.group(2)}-", "".join(out))
    return _SCRIPT_SCHEME.sub(lambda m: f"blocked-{m.group(1).lower()}-", escaped)


def _clean_inline(text: str) -> str:
    parts = []
    pos = 0
    for m in _CODE_SPAN.finditer(text):
        parts.append(_clean_prose(text[pos : m.start()]))
        parts.append(m.group(0))
        pos = m.end()
    parts.append(_clean_prose(text[pos:]))
    return "".join(parts)


def clean_source(text: str | None) -> str:
    """Neutralise HTML and script URLs in Markdown source, keeping code literal.

    Outside fenced code blocks and code spans, a `<` that opens a tag or comment becomes `&lt;`
    (`a < b` and autolinks `<https://…>` stay) and link
    destinations with a scheme other than http, https or mailto become `blocked-<scheme>-` (a harmless
    relative link); `javascript:` and `vbscript:` anywhere in prose are defused the same way. Text
    without raw HTML or unsafe links comes back unchanged (idempotent on clean text).
    """
    if not text:
        return ""
    lines = text.split("\n")
    out: list[str] = []
    prose: list[str] = []
    fence: str | None = None

    def flush() -> None:
        if prose:
            out.append(_clean_inline("\n".join(prose)))
            prose.clear()

    for line in lines:
        m = _FENCE.match(line)
        if fence is None:
            if m:
                flush()
                fence = m.group(2)
                out.append(line)
            else:
                prose.append(line)
        else:
            out.append(line)
            if (
                m
                and m.group(2)[0] == fence[0]
                and len(m.group(2)) >= len(fence)
                and not line.strip()[len(m.group(2)) :]
            ):
                fence = None
    flush()
    return "\n".join(out)


# --- How long it went unnoticed ------------------------------------------------------------------------

#: An answer to "how long did it go unnoticed?" may differ from the milestones' time to detect by less.
UNNOTICED_TOLERANCE_SECONDS = 60
UNNOTICED_FROM_MILESTONES = "milestones"
UNNOTICED_FROM_ANSWER = "answer"


@dataclass(frozen=True)
class Unnoticed:
    """How long an incident went unnoticed, as every surface states it: `seconds` (None: unknown) and
    where the figure comes from, `source`: `"milestones"` (time to detect, started → detected), `"answer"`
    (the review's answer; no detection time recorded) or `""` (neither)."""

    seconds: int | None
    source: str

    @property
    def text(self) -> str:
        """`2 h 5 min (time to detect: started → detected)`, `40 min (as answered: no detection time
        recorded)` or `unknown (no detection time recorded, no answer given)`."""
        figure = format_duration(self.seconds)
        if self.source == UNNOTICED_FROM_MILESTONES:
            return f"{figure} (time to detect: started → detected)"
        if self.source == UNNOTICED_FROM_ANSWER:
            return f"{figure} (as answered: no detection time recorded)"
        return "unknown (no detection time recorded, no answer given)"


def unnoticed_for(postmortem: Postmortem) -> Unnoticed:
    """The postmortem's "unnoticed for": the incident's time to detect (seconds from `started_at` to
    `detected_at`) when it has a detection time, else the answer typed in the review
    (`unnoticed_seconds`), else unknown. The one figure the postmortem page, print page, PDF, Markdown and
    JSON exports and the API show; reads `postmortem.incident` (join it in lists)."""
    incident = postmortem.incident
    if incident.detected_at is not None and incident.time_to_detect is not None:
        return Unnoticed(incident.time_to_detect, UNNOTICED_FROM_MILESTONES)
    if postmortem.unnoticed_seconds is not None:
        return Unnoticed(postmortem.unnoticed_seconds, UNNOTICED_FROM_ANSWER)
    return Unnoticed(None, "")


def unnoticed_refusal(incident: Incident, answer: int | None) -> str | None:
    """Why `answer` (seconds) cannot be the "unnoticed for" of `incident`, or None: when the incident has a
    detection time, an answer differing from its time to detect by `UNNOTICED_TOLERANCE_SECONDS` or more
    is refused, naming both figures."""
    derived = incident.time_to_detect if incident.detected_at is not None else None
    if answer is None or derived is None or abs(answer - derived) < UNNOTICED_TOLERANCE_SECONDS:
        return None
    return (
        f"The milestones say it went unnoticed for {format_duration(derived)} (time to detect: started → "
        f"detected); the answer given is {format_duration(answer)}. Leave the answer empty, give the same "
        "figure, or correct the start or detection time on the incident."
    )


# --- The assembled document ---------------------------------------------------------------------------


@dataclass
class Assembled:
    """What the postmortem page, print page, PDF and exports show besides the sections."""

    incident: Incident
    postmortem: Postmortem
    milestones: list[MilestoneRow]
    durations: list[tuple[str, int | None]]
    duration_rows: list[DurationRow]
    duration_note: str
    key_moments: list[TimelineEntry]
    timeline: list[TimelineEntry]
    factor_groups: list[tuple[str, list[ContributingFactor]]]
    action_items: list[ActionItem]
    seen_counts: dict[int, int]
    unnoticed: Unnoticed


# The timeline entries a postmortem shows first.
KEY_MOMENT = Q(is_key_moment=True) | Q(evidence="key_moment")
#: Rows read per query when a timeline is streamed (`timeline_in_order`).
TIMELINE_CHUNK = 500


def timeline_in_order(incident: Incident) -> Iterator[tuple[TimelineEntry, bool]]:
    """`(entry, is_key_moment)` for every entry of `incident` not removed, key moments first, then the rest,
    each in (occurred_at, id) order: what a document shows. Read `TIMELINE_CHUNK` rows at a time (two
    queries, more on PostgreSQL's server-side cursor), so an export's memory does not grow with the timeline."""
    rows = TimelineEntry.objects.filter(incident=incident, removed_at__isnull=True).select_related("author")
    for key, part in ((True, rows.filter(KEY_MOMENT)), (False, rows.exclude(KEY_MOMENT))):
        for entry in part.order_by("occurred_at", "id").iterator(chunk_size=TIMELINE_CHUNK):
            yield entry, key


def assemble(postmortem: Postmortem, *, viewer: Any, timeline: bool = True) -> Assembled:
    """Gather milestones, durations, the timeline (key moments first), factors by category and action items,
    as `viewer` (who may see the incident) is shown them: "seen in N incidents" counts only incidents they may
    see, and a factor's `recurrence_shown` is False when the factor it recurs from is on an incident they
    may not see (its reference is then left out everywhere). With `timeline=False` the entries are left
    out (`key_moments` and `timeline` empty): a streamed export reads them with `timeline_in_order`.

    A fixed number of queries whatever the number of entries, factors or items.
    """
    incident = postmortem.incident
    entries = list(
        TimelineEntry.objects.filter(incident=incident, removed_at__isnull=True)
        .select_related("author")
        .order_by("occurred_at", "id")
        if timeline
        else []
    )
    key = [e for e in entries if e.is_key_moment or e.evidence == "key_moment"]
    factors = list(
        ContributingFactor.objects.filter(incident=incident)
        .select_related("recurrence_of__incident")
        .prefetch_related(
            Prefetch("evidence_entries", queryset=TimelineEntry.objects.order_by("occurred_at", "id")),
            Prefetch("action_items", queryset=ActionItem.objects.select_related("owner").order_by("id")),
        )
        .order_by("category", "id")
    )
    for f in factors:
        f.recurrence_shown = f.recurrence_of is not None and can_view_incident(  # type: ignore[attr-defined]
            viewer, f.recurrence_of.incident
        )
    labels = dict(FactorCategory.choices)
    groups: dict[str, list[ContributingFactor]] = {}
    for f in factors:
        groups.setdefault(f.category, []).append(f)
    ordered = [(labels[c], groups[c]) for c in FactorCategory.values if c in groups]
    items = list(
        ActionItem.objects.filter(incident=incident)
        .select_related("owner", "factor")
        .order_by("due_date", "id")
    )
    duration_rows = incident.duration_rows()
    return Assembled(
        incident=incident,
        postmortem=postmortem,
        milestones=incident_selectors.milestone_rows(incident),
        durations=[(row.label, row.seconds) for row in duration_rows],
        duration_rows=duration_rows,
        duration_note=DURATION_NOTE,
        key_moments=key,
        timeline=[e for e in entries if not (e.is_key_moment or e.evidence == "key_moment")],
        factor_groups=ordered,
        action_items=items,
        seen_counts=factors_seen_counts(factors, viewer=viewer),
        unnoticed=unnoticed_for(postmortem),
    )


# --- Versions ------------------------------------------------------------------------------------------


def version_diff(
    a: dict[str, str], b: dict[str, str], *, a_label: str = "a", b_label: str = "b"
) -> list[dict[str, Any]]:
    """Per-section unified diff of two section dicts (difflib). Unchanged sections are left out.

    Returns `[{"key", "label", "lines": [(kind, text)]}]` where kind is `add`, `del`, `hunk` or `ctx`.
    """
    out = []
    for key in SECTION_KEYS:
        old = (a.get(key) or "").splitlines()
        new = (b.get(key) or "").splitlines()
        if old == new:
            continue
        lines: list[tuple[str, str]] = []
        for line in difflib.unified_diff(old, new, f"{a_label}", f"{b_label}", lineterm="", n=2):
            if line.startswith(("---", "+++")):
                continue
            kind = "hunk" if line.startswith("@@") else {"+": "add", "-": "del"}.get(line[:1], "ctx")
            lines.append((kind, line))
        out.append({"key": key, "label": SECTION_LABELS[key], "lines": lines})
    return out
