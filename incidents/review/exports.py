"""The postmortem as a document: the assembled view, version diffs, exports and the Markdown importer.

Every export goes through one sanitiser, `clean_source`, for Markdown source text (raw HTML outside
code is escaped, links with unsafe schemes are defused) and through `incidents.markdown.render_markdown`
for HTML (print page, PDF, the JSON's `*_html` fields). Code spans and fenced code blocks are kept
byte for byte, so a Markdown or JSON export re-imports to the same sections.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents.incident.custom_values import FieldValue, custom_fields_json, field_values
from incidents.incident.models import DURATION_DEFINITIONS
from incidents.markdown import render_markdown
from incidents.models import Postmortem, TimelineEntry
from incidents.review.blameless.explain import LABELS
from incidents.review.documents import (
    SECTION_KEYS,
    SECTION_LABELS,
    TIMELINE_CHUNK,
    assemble,
    clean_source,
    timeline_in_order,
    unnoticed_for,
)
from incidents.timefmt import format_duration, format_time, format_utc
from incidents.timeparse import zone_name

SCHEMA_VERSION = 1


# --- Markdown export and import ------------------------------------------------------------------------

_MARK = "<!-- hindsight:"
_SECTION_LINE = re.compile(r"^<!-- hindsight:section ([a-z_]+) -->$")
_META_LINE = re.compile(r"^<!-- hindsight:meta (.*) -->$")
_STUFFED = re.compile(r"^(\\*)<!-- hindsight:")


def _stuff(text: str) -> str:
    """Byte-stuff lines that look like our markers so the importer never mistakes user text for one."""
    return "\n".join(("\\" + line) if _STUFFED.match(line) else line for line in text.split("\n"))


def _unstuff(text: str) -> str:
    return "\n".join(
        line[1:] if _STUFFED.match(line) and line.startswith("\\") else line for line in text.split("\n")
    )


def _json_comment(data: dict[str, Any]) -> str:
    raw = json.dumps(data, ensure_ascii=False, sort_keys=True)
    # Keep the comment closed and HTML-inert: JSON allows these escapes.
    return raw.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _questions(pm: Postmortem) -> dict[str, Any]:
    unnoticed = unnoticed_for(pm)
    return {
        "detection_method": pm.detection_method,
        "unnoticed_seconds": unnoticed.seconds,
        "unnoticed_from": unnoticed.source or None,
        "should_have_caught": clean_source(pm.should_have_caught),
        "behind_feature_flag": pm.behind_feature_flag,
        "flag_off_seconds": pm.flag_off_seconds,
        "staging_matched": pm.staging_matched,
        "staging_notes": clean_source(pm.staging_notes),
        "single_person_change": pm.single_person_change,
    }


def _field_row(fv: FieldValue) -> str:
    cells = (clean_source(fv.field.label), clean_source(fv.text) or "—")
    return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"


def export_markdown(postmortem: Postmortem, zone: tzinfo = UTC, *, viewer: Any) -> str:
    """`export_markdown_chunks` joined: the whole file as one string."""
    return "".join(export_markdown_chunks(postmortem, zone, viewer=viewer))


def export_markdown_chunks(postmortem: Postmortem, zone: tzinfo = UTC, *, viewer: Any) -> Iterator[str]:
    """The postmortem as one Markdown file that `import_markdown` reads back to the same sections, in
    pieces for a streamed response: the timeline is read in chunks (`documents.timeline_in_order`), so
    memory stays flat however many entries it has.

    Times are in `zone` (the exporter's, as on the print page and the PDF), each with its UTC offset
    (`2017-02-01 00:27 CET, UTC+01:00`); durations follow `incidents.timefmt.format_duration`.

    Sections sit between `<!-- hindsight:section KEY -->` markers; the questions and meeting notes are in a
    JSON `hindsight:meta` comment; the assembled parts (milestones, timeline, factors, action items) follow
    in a generated block the importer skips. All text goes through `clean_source`. Recurrence counts are
    those `viewer` (the exporter) may see (`assemble`).
    """
    doc = assemble(postmortem, viewer=viewer, timeline=False)
    inc = doc.incident
    meta = {
        "schema_version": SCHEMA_VERSION,
        "incident": inc.reference,
        "status": postmortem.status,
        "version": postmortem.version,
        "questions": _questions(postmortem),
        "meeting_notes": clean_source(postmortem.meeting_notes),
        "open_questions": clean_source(postmortem.open_questions),
    }
    lines = [
        f"# Postmortem: {inc.reference} {clean_source(inc.title)}",
        "",
        *([f"Type: {clean_source(inc.incident_type.name)}", ""] if inc.incident_type else []),
        f"{_MARK}meta {_json_comment(meta)} -->",
        "",
    ]
    for key in SECTION_KEYS:
        if key not in postmortem.sections:
            continue
        lines += [f"{_MARK}section {key} -->", f"## {SECTION_LABELS[key]}", ""]
        lines.append(_stuff(clean_source(postmortem.written(key))))
        lines += ["", f"{_MARK}end -->", ""]
    where = zone_name(zone)
    lines += [f"{_MARK}generated -->", f"## Milestones (times in {where})", ""]
    lines += ["| Milestone | Time |", "| --- | --- |"]
    for m in doc.milestones:
        note = f" ({m.note})" if m.note else ""
        lines.append(f"| {m.label} | {format_time(m.at, zone, offset=True)}{note} |")
    lines += ["", "| Duration | Value |", "| --- | --- |"]
    for row in doc.duration_rows:
        note = f" ({row.note})" if row.note else ""
        lines.append(f"| {row.label} | {format_duration(row.seconds)}{note} |")
    lines.append(f"| Unnoticed for | {doc.unnoticed.text} |")
    # The definitions the page, the print view and the PDF state beside the same figures.
    lines += [
        "",
        "".join(f"{row.label}: {row.definition}. " for row in doc.duration_rows) + doc.duration_note,
    ]
    if values := field_values(inc):
        lines += ["", f"## {clean_source(inc.incident_type.name if inc.incident_type else '')} fields", ""]
        lines += ["| Field | Value |", "| --- | --- |"] + [_field_row(fv) for fv in values]
    lines += ["", f"## Timeline (times in {where}, key moments first)", ""]
    yield "\n".join(lines) + "\n"
    batch: list[str] = []
    for e, is_key in timeline_in_order(inc):
        star = "**key moment** " if is_key else ""
        body = clean_source(e.text_in(zone)).replace("\n", " ")
        batch.append(f"- {format_time(e.occurred_at, zone, offset=True)} {star}{body}\n")
        if len(batch) >= TIMELINE_CHUNK:
            yield "".join(batch)
            batch = []
    yield "".join(batch)
    lines = ["", "## Contributing factors", ""]
    for label, factors in doc.factor_groups:
        lines += [f"### {label}", ""]
        for f in factors:
            lines.append(
                f"- **{clean_source(f.title)}**"
                + (
                    f" (seen in {doc.seen_counts.get(f.pk, 1)} incidents)"
                    if doc.seen_counts.get(f.pk, 1) > 1
                    else ""
                )
            )
            if f.description:
                lines.append("  " + clean_source(f.description).replace("\n", "\n  "))
            if f.missing_test_types:
                lines.append("  Missing tests: " + ", ".join(f.missing_test_types))
        lines.append("")
    lines += ["## Action items", ""]
    for item in doc.action_items:
        due = item.due_date.isoformat() if item.due_date else "no due date"
        lines.append(
            f"- [{'x' if item.status == 'done' else ' '}] {clean_source(item.title)} ({item.get_status_display()}, {item.owner or 'no owner'}, {due})"
        )
    lines += ["", f"{_MARK}end-generated -->", ""]
    yield "\n".join(lines)


@dataclass
class Imported:
    """What `import_markdown` read: sections by key, plus the questions and meeting text when present."""

    sections: dict[str, str]
    questions: dict[str, Any]
    meeting_notes: str | None
    open_questions: str | None
    schema_version: int | None


def import_markdown(text: str) -> Imported:
    """Read a Markdown export back. Raises ValidationError when no section markers are found.

    Only the marked sections, the meta comment's questions and meeting notes are read; the generated
    block is skipped. Section text is the exact text between the heading's blank line and the end marker.
    """
    lines = (text or "").replace("\r\n", "\n").split("\n")
    sections: dict[str, str] = {}
    meta: dict[str, Any] = {}
    i = 0
    in_generated = False
    while i < len(lines):
        line = lines[i]
        if line == f"{_MARK}generated -->":
            in_generated = True
        elif line == f"{_MARK}end-generated -->":
            in_generated = False
        elif not in_generated and (m := _META_LINE.match(line)):
            try:
                meta = json.loads(m.group(1))
            except json.JSONDecodeError as exc:
                raise ValidationError(
                    {"file": f"The hindsight:meta comment is not valid JSON ({exc.msg})."}
                ) from exc
        elif not in_generated and (m := _SECTION_LINE.match(line)) and m.group(1) in SECTION_LABELS:
            key = m.group(1)
            j = i + 1
            if j < len(lines) and lines[j].startswith("## "):
                j += 1
            if j < len(lines) and lines[j] == "":
                j += 1
            body: list[str] = []
            while j < len(lines) and lines[j] != f"{_MARK}end -->":
                body.append(lines[j])
                j += 1
            if j >= len(lines):
                raise ValidationError({"file": f"Section {key!r} has no end marker."})
            if body and body[-1] == "":
                body.pop()
            sections[key] = _unstuff("\n".join(body))
            i = j
        i += 1
    if not sections:
        raise ValidationError({"file": "No postmortem sections found: is this a Hindsight Markdown export?"})
    return Imported(
        sections=sections,
        questions=meta.get("questions") or {},
        meeting_notes=meta.get("meeting_notes"),
        open_questions=meta.get("open_questions"),
        schema_version=meta.get("schema_version"),
    )


# --- JSON ----------------------------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    """An instant as the API writes it (UTC with `Z`, `incidents.timefmt.format_utc`), or None."""
    return format_utc(value) if value else None


def _iso_text(value: str | None) -> str | None:
    """A stored ISO-8601 instant (a "Milestones edited" row's) as the API writes it, or None."""
    return _iso(datetime.fromisoformat(value)) if value else None


def _text(value: str | None) -> dict[str, str]:
    source = clean_source(value)
    return {"markdown": source, "html": str(render_markdown(source))}


def _entry_text(entry: TimelineEntry, zone: tzinfo) -> dict[str, str]:
    """`_text` of an entry's text as a reader in `zone` reads it (`TimelineEntry.text_in`: a "Milestones
    edited" row states its instants there, as on the page and in the API), reusing the HTML stored beside
    it (rendered by the same renderer on save) when the body needs no cleaning and depends on no zone:
    5,000 entries are not rendered again on every export."""
    source = clean_source(entry.text_in(zone))
    if not entry.milestone_changes and source == entry.body and entry.body_html:
        return {"markdown": source, "html": entry.body_html}
    return {"markdown": source, "html": str(render_markdown(source))}


def _timeline_json(entry: TimelineEntry, key: bool, zone: tzinfo) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "occurred_at": _iso(entry.occurred_at),
        "kind": entry.kind,
        "key_moment": key,
        "author": entry.display_author,
        "body": _entry_text(entry, zone),
        "milestone_changes": [
            {"milestone": c["milestone"], "old": _iso_text(c["old"]), "new": _iso_text(c["new"])}
            for c in entry.milestone_changes
        ],
    }


# Stands in for the timeline in the document's head (`export_json_chunks`); JSON writes NUL as \u0000, which
# no text a person typed becomes (theirs is written \\u0000).
_TIMELINE_SLOT = "\x00timeline\x00"


def export_json(postmortem: Postmortem, zone: tzinfo | None = None, *, viewer: Any) -> dict[str, Any]:
    """`_export_json_head` with its timeline: the whole document as one dict (see `export_json_chunks`)."""
    zone = zone or timezone.get_current_timezone()
    data = _export_json_head(postmortem, zone, viewer=viewer)
    data["timeline"] = [_timeline_json(e, key, zone) for e, key in timeline_in_order(postmortem.incident)]
    return data


def export_json_chunks(postmortem: Postmortem, zone: tzinfo | None = None, *, viewer: Any) -> Iterator[str]:
    """The JSON export as text (indented by 2), in pieces for a streamed response: the timeline is read
    and written in chunks of `TIMELINE_CHUNK` entries, so memory stays flat however many it has. The same
    document as `json.dumps(export_json(...), ensure_ascii=False, indent=2)`, key for key.

    Instants are UTC with `Z`; text that states a time (a "Milestones edited" row's body) states it in
    `zone` (default: the active zone, the exporter's), named in `text_time_zone`, as every surface does."""
    zone = zone or timezone.get_current_timezone()
    head = _export_json_head(postmortem, zone, viewer=viewer)
    head["timeline"] = _TIMELINE_SLOT
    before, after = json.dumps(head, ensure_ascii=False, indent=2).split(json.dumps(_TIMELINE_SLOT), 1)
    yield before + "["
    batch: list[str] = []
    first = True
    for entry, key in timeline_in_order(postmortem.incident):
        text = json.dumps(_timeline_json(entry, key, zone), ensure_ascii=False, indent=2)
        batch.append(("\n" if first else ",\n") + textwrap.indent(text, "    "))
        first = False
        if len(batch) >= TIMELINE_CHUNK:
            yield "".join(batch)
            batch = []
    yield "".join(batch) + ("]" if first else "\n  ]") + after


def _export_json_head(postmortem: Postmortem, zone: tzinfo, *, viewer: Any) -> dict[str, Any]:
    """The complete postmortem but its timeline, as a JSON-ready dict with `schema_version`.

    Holds the incident's facts and milestones, every section (Markdown and sanitised HTML), the questions,
    the meeting, reviewers and decisions, the blameless findings dismissed (who, why, published over or
    not), every version's sections, factors with evidence ids, missing test
    types and recurrence, action items, the timeline and linked policy findings. Times are ISO 8601 UTC
    (text that states a time states it in `zone`, named in `text_time_zone`), durations in seconds. Recurrence (the incident a factor recurs from, "seen in" counts) only within what
    `viewer` (the exporter) may see: a factor recurring from a hidden incident has `recurrence_of: null`.
    """
    doc = assemble(postmortem, viewer=viewer, timeline=False)
    inc = doc.incident
    pm = postmortem
    versions = list(pm.versions.select_related("author").order_by("number"))
    reviews = list(pm.reviews.select_related("reviewer").order_by("id"))
    dismissals = list(pm.blameless_dismissals.select_related("dismissed_by").order_by("created_at", "id"))
    return {
        "schema_version": SCHEMA_VERSION,
        "exported_at": _iso(timezone.now()),
        "text_time_zone": zone_name(zone),
        "incident": {
            "reference": inc.reference,
            "title": clean_source(inc.title),
            "severity": inc.severity,
            "status": inc.status,
            "incident_type": inc.incident_type.slug if inc.incident_type else None,
            "custom_fields": custom_fields_json(inc),
            "summary": _text(inc.summary),
            "milestones": {m.name: _iso(m.at) for m in doc.milestones},
            "durations_seconds": {
                "time_to_detect": inc.time_to_detect,
                "time_to_acknowledge": inc.time_to_acknowledge,
                "time_to_mitigate": inc.time_to_mitigate,
                "time_to_resolve": inc.time_to_resolve,
                "impact_duration": inc.impact_duration,
            },
            "duration_definitions": {name: definition for name, _label, definition in DURATION_DEFINITIONS},
        },
        "postmortem": {
            "status": pm.status,
            "version": pm.version,
            "template": pm.template.name if pm.template_id and pm.template else None,
            "author": str(pm.author) if pm.author_id else None,
            "published_at": _iso(pm.published_at),
            "sections": {k: _text(pm.written(k)) for k in pm.sections},
            "questions": _questions(pm),
            "meeting": {
                "at": _iso(pm.meeting_at),
                "attendees": [str(u) for u in pm.meeting_attendees.all()],
                "notes": _text(pm.meeting_notes),
                "open_questions": _text(pm.open_questions),
            },
            "reviews": [
                {
                    "reviewer": str(r.reviewer),
                    "decision": r.decision,
                    "comment": clean_source(r.comment),
                    "version_reviewed": r.version_reviewed,
                    "decided_at": _iso(r.decided_at),
                }
                for r in reviews
            ],
            "blameless_dismissals": [
                {
                    "section": d.section,
                    "kind": d.rule,
                    "label": LABELS.get(d.rule, "Wording"),
                    "words": clean_source(d.text),
                    "reason": clean_source(d.reason),
                    "dismissed_by": str(d.dismissed_by) if d.dismissed_by_id else None,
                    "dismissed_at": _iso(d.created_at),
                    "published_over": d.overridden,
                }
                for d in dismissals
            ],
            "versions": [
                {
                    "number": v.number,
                    "author": str(v.author) if v.author_id else None,
                    "created_at": _iso(v.created_at),
                    "published": v.is_published,
                    "note": v.note,
                    "sections": {k: clean_source(s) for k, s in v.sections.items()},
                }
                for v in versions
            ],
        },
        "contributing_factors": [
            {
                "id": f.pk,
                "category": f.category,
                "title": clean_source(f.title),
                "description": _text(f.description),
                "missing_test_types": list(f.missing_test_types),
                "evidence_entry_ids": [e.pk for e in f.evidence_entries.all()],
                "recurrence_of": (
                    {"incident": f.recurrence_of.incident.reference, "factor_id": f.recurrence_of_id}
                    if f.recurrence_of is not None and getattr(f, "recurrence_shown", False)
                    else None
                ),
                "seen_in_incidents": doc.seen_counts.get(f.pk, 1),
                "action_item_ids": [a.pk for a in f.action_items.all()],
            }
            for _, group in doc.factor_groups
            for f in group
        ],
        "action_items": [
            {
                "id": a.pk,
                "title": clean_source(a.title),
                "status": a.status,
                "type": a.type,
                "priority": a.priority,
                "owner": str(a.owner) if a.owner_id else None,
                "due_date": a.due_date.isoformat() if a.due_date else None,
                "factor_id": a.factor_id,
            }
            for a in doc.action_items
        ],
        "timeline": [],  # export_json and export_json_chunks add it
        "policy_findings": [
            {"id": f.pk, "area": f.area, "title": clean_source(f.title), "status": f.status}
            for f in inc.policy_findings.order_by("id")
        ],
    }


def import_json(data: Any) -> Imported:
    """Read the sections, questions and meeting text back from `export_json` output.

    Raises ValidationError for an unknown schema version or a missing `postmortem.sections`.
    """
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise ValidationError(
            {"file": f"Expected a Hindsight JSON export with schema_version {SCHEMA_VERSION}."}
        )
    pm = data.get("postmortem") or {}
    raw = pm.get("sections")
    if not isinstance(raw, dict):
        raise ValidationError({"file": "The export has no postmortem sections."})
    sections = {
        k: (v.get("markdown", "") if isinstance(v, dict) else str(v))
        for k, v in raw.items()
        if k in SECTION_LABELS
    }
    meeting = pm.get("meeting") or {}
    return Imported(
        sections=sections,
        questions=pm.get("questions") or {},
        meeting_notes=(meeting.get("notes") or {}).get("markdown"),
        open_questions=(meeting.get("open_questions") or {}).get("markdown"),
        schema_version=data["schema_version"],
    )
