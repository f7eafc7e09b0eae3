"""Milestone corrections carry their instants, so each reader sees them in their own zone.

"Milestones edited" rows written before this stated both values as text in the editor's zone, each with
its UTC offset (`detected 2026-11-01 11:07 CET, UTC+01:00 → unset`): those are read back into
`milestone_changes` (the minute shown, at its offset) and their text rewritten in UTC. A row whose text
does not read back whole is left as it is.
"""

import re
from datetime import UTC, datetime, timedelta, timezone

from django.db import migrations, models

_LABELS = {
    "started": "started_at", "detected": "detected_at", "acknowledged": "acknowledged_at",
    "mitigated": "mitigated_at", "resolved": "resolved_at",
}  # fmt: skip
_TIME = r"unset|\d{4}-\d\d-\d\d \d\d:\d\d [^\s,;]+(?:, UTC[+-]\d\d:\d\d)?"
_PART = re.compile(
    rf"(?P<label>{'|'.join(_LABELS)}) (?P<old>{_TIME}) → (?P<new>{_TIME})"
    r"(?P<note>(?: \(automatic, with the resolution\))?(?: \(its “[^”]*” row moved with it\))?)"
)
_OFFSET = re.compile(r"UTC([+-])(\d\d):(\d\d)$")


def _instant(text: str) -> str | None:
    if text == "unset":
        return None
    wall, rest = text[:16], text[17:]
    offset = _OFFSET.search(rest)
    if offset is None:
        if rest != "UTC":
            raise ValueError(text)
        delta = timedelta(0)
    else:
        sign = 1 if offset[1] == "+" else -1
        delta = sign * timedelta(hours=int(offset[2]), minutes=int(offset[3]))
    local = datetime.strptime(wall, "%Y-%m-%d %H:%M").replace(tzinfo=timezone(delta))
    return local.astimezone(UTC).isoformat()


def _read(body: str) -> list[dict[str, str | None]] | None:
    prefix = "Milestones edited: "
    if not body.startswith(prefix):
        return None
    text, pos, changes = body[len(prefix) :], 0, []
    while True:
        match = _PART.match(text, pos)
        if match is None:
            return None
        try:
            old, new = _instant(match["old"]), _instant(match["new"])
        except ValueError:
            return None
        label = match["label"]
        changes.append(
            {"milestone": _LABELS[label], "label": label, "old": old, "new": new, "note": match["note"]}
        )
        pos = match.end()
        if pos == len(text):
            return changes
        if not text.startswith("; ", pos):
            return None
        pos += 2


def _text(changes: list[dict[str, str | None]]) -> str:
    def when(iso: str | None) -> str:
        if iso is None:
            return "unset"
        return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC, UTC+00:00")

    return "Milestones edited: " + "; ".join(
        f"{c['label']} {when(c['old'])} → {when(c['new'])}{c['note']}" for c in changes
    )


def forwards(apps, schema_editor):
    from incidents.markdown import render_markdown

    entry_model = apps.get_model("incidents", "TimelineEntry")
    rows = entry_model.objects.filter(source="system", body__startswith="Milestones edited: ")
    for entry in rows.iterator():
        changes = _read(entry.body)
        if changes is None:
            continue
        body = _text(changes)
        entry_model.objects.filter(pk=entry.pk).update(
            milestone_changes=changes, body=body, body_html=str(render_markdown(body))
        )


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0015_stored_markdown_html"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicaltimelineentry",
            name="milestone_changes",
            field=models.JSONField(blank=True, default=list, editable=False),
        ),
        migrations.AddField(
            model_name="timelineentry",
            name="milestone_changes",
            field=models.JSONField(blank=True, default=list, editable=False),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
