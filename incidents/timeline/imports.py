"""Read pasted timelines: chat transcripts, Slack channel exports (JSON) and CSV (`time,author,text`).

Each reader returns a `ParsedImport`: rows (`services.timeline.ImportRow`, UTC-aware) and problems
(1-based line or message number, reason). Readers never touch the database; duplicates are flagged by
`selectors.timeline_flag_duplicates` and rows are saved, all or nothing, by `services.timeline_import`.

Chat transcript lines look like `[2025-03-10 14:05] someone: text`, `[2025-03-10 14:05:33] someone: text`
or `[14:05] someone: text`, with an optional UTC offset after the time (`[2026-10-25 02:30 +02:00]`,
`[14:05Z]`), which then wins over the chosen zone (the way to say which of a repeated hour is meant). A line without a date takes the date of the line before it (or the
`first_date` given), moving to the next day when the clock goes backwards by more than an hour
(`[23:58]` then `[00:03]`). A line that does not start with `[` continues the message before it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from incidents.inputs import load_json
from incidents.timeline.mrkdwn import slack_to_markdown
from incidents.timeline.services import ImportRow
from incidents.timeparse import TimeParseError, localize, parse_offset, parse_time

FORMATS = {"transcript": "Chat transcript", "slack": "Slack export (JSON)", "csv": "CSV (time,author,text)"}
MAX_ROWS = 5_000

_LINE_RE = re.compile(r"^\[(?P<stamp>[^\]]*)\]\s*(?P<rest>.*)$")
_STAMP_RE = re.compile(
    r"^(?:(?P<date>\d{4}-\d{1,2}-\d{1,2})[ t])?(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?"
    # Anything offset-like is taken, so the one offset rule (`offset_refusal`) says what is wrong with it
    # (`+05:30:15`, `+25:00`, `+5:30`) instead of "cannot read the time".
    r"\s*(?P<offset>z|utc|gmt|(?:utc|gmt)?[+-][\d:.,]+)?$",
    re.IGNORECASE,
)
_AUTHOR_RE = re.compile(r"^(?P<author>[^:\n]{1,80}?):(?:\s+(?P<text>.*))?$")
_SLACK_SKIP = {"channel_join", "channel_leave", "channel_topic", "channel_purpose", "bot_add", "bot_remove"}


@dataclass
class ParsedImport:
    """What a reader found: rows to import and (line, reason) problems; `skipped` counts ignored lines."""

    rows: list[ImportRow] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    skipped: int = 0

    def _too_many(self) -> bool:
        if len(self.rows) > MAX_ROWS:
            self.problems.append((0, f"more than {MAX_ROWS:,} entries; split the import"))
            return True
        return False


def _local(day: date, hour: int, minute: int, second: int, zone: tzinfo) -> datetime:
    if hour > 23 or minute > 59 or second > 59:
        raise TimeParseError(f"{hour:02d}:{minute:02d} is not a time of day")
    return localize(datetime(day.year, day.month, day.day, hour, minute, second), zone)  # noqa: DTZ001


def parse_transcript(text: str, *, zone: tzinfo, first_date: date) -> ParsedImport:
    """Read a chat transcript (see the module docstring); times are wall-clock times in `zone`."""
    result = ParsedImport()
    day = first_date
    last_wall: datetime | None = None
    current: ImportRow | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line.strip():
            if current is not None:
                current.text += "\n"
            continue
        m = _LINE_RE.match(line.strip())
        if not m:
            if current is None:
                result.problems.append(
                    (number, "no time at the start; a line looks like `[2025-03-10 14:05] someone: text`")
                )
            else:
                current.text += "\n" + line
            continue
        current = None
        stamp = _STAMP_RE.match(m["stamp"].strip())
        if not stamp:
            result.problems.append((number, f"cannot read the time {m['stamp']!r} (use 2025-03-10 14:05)"))
            continue
        rest = m["rest"].strip()
        who = _AUTHOR_RE.match(rest)
        author, body = (who["author"].strip(), (who["text"] or "").strip()) if who else ("", rest)
        if not body:
            result.problems.append((number, "the message is empty"))
            continue
        try:
            if stamp["date"]:
                y, mo, d = (int(x) for x in stamp["date"].split("-"))
                day = date(y, mo, d)
            h, mi, s = int(stamp["h"]), int(stamp["m"]), int(stamp["s"] or 0)
            if h > 23 or mi > 59 or s > 59:
                raise TimeParseError(f"{h:02d}:{mi:02d} is not a time of day")
            wall = datetime(day.year, day.month, day.day, h, mi, s)  # noqa: DTZ001
            if not stamp["date"] and last_wall is not None and wall < last_wall - timedelta(hours=1):
                day += timedelta(days=1)
                wall += timedelta(days=1)
            offset = parse_offset(stamp["offset"].lower()) if stamp["offset"] else None
            if offset is not None:  # the form the DST messages suggest: `[2026-10-25 02:30 +02:00]`
                occurred = wall.replace(tzinfo=offset).astimezone(UTC)
            else:
                occurred = _local(day, h, mi, s, zone)
        except TimeParseError as exc:
            result.problems.append((number, str(exc)))
            continue
        except ValueError as exc:
            result.problems.append((number, f"not a date: {exc}"))
            continue
        last_wall = wall
        current = ImportRow(line=number, occurred_at=occurred, author=author, text=body)
        result.rows.append(current)
    for row in result.rows:
        row.text = row.text.strip()
    result._too_many()
    return result


def refuse_future(parsed: ParsedImport, *, now: datetime, skew: timedelta = timedelta(minutes=5)) -> None:
    """Move rows later than `now + skew` out of `parsed.rows` into its problems ("in the future"), so the
    preview neither counts nor offers them (a timeline records what already happened)."""
    keep = []
    for row in parsed.rows:
        if row.occurred_at > now + skew:
            parsed.problems.append((row.line, "this time is in the future; check the date and the zone"))
        else:
            keep.append(row)
    parsed.rows = keep
    parsed.problems.sort(key=lambda p: p[0])


def _slack_author(message: dict, names: dict[str, str]) -> str:
    profile = message.get("user_profile") or {}
    for name in (
        profile.get("display_name"),
        profile.get("real_name"),
        names.get(str(message.get("user"))),
        message.get("user_name"),
        message.get("username"),
        message.get("user"),
    ):
        if name:
            return str(name)
    return ""


def _slack_names(users: Any, messages: list[Any]) -> dict[str, str]:
    """Slack user id -> the name to show for a mention: from the export's `users` (its users.json) and
    the `user_profile` each message carries."""
    names: dict[str, str] = {}
    people = [u for u in users if isinstance(u, dict)] if isinstance(users, list) else []
    for message in messages:
        if isinstance(message, dict) and isinstance(message.get("user_profile"), dict):
            people.append({"id": message.get("user"), "profile": message["user_profile"]})
    for person in people:
        profile = person.get("profile")
        if not isinstance(profile, dict):
            profile = {}
        for name in (
            profile.get("display_name"),
            profile.get("real_name"),
            person.get("real_name"),
            person.get("name"),
        ):
            if name and isinstance(person.get("id"), str):
                names.setdefault(person["id"], str(name))
                break
    return names


def parse_slack(text: str) -> ParsedImport:
    """Read a Slack channel export: a JSON list of messages with `ts` (epoch seconds) and `text`, or an
    object with `messages` and the export's `users`. Each text is converted from Slack's mrkdwn to
    Markdown (`incidents.timeline.mrkdwn`), mentions named from the users the export carries.

    Numbers in problems are message positions (1-based). Join, leave, topic and bot notices are skipped.
    Slack times are absolute, so no zone is needed.
    """
    result = ParsedImport()
    try:
        data = load_json(text)
    except json.JSONDecodeError as exc:
        result.problems.append((exc.lineno, f"not valid JSON: {exc.msg}"))
        return result
    users: Any = []
    if isinstance(data, dict) and isinstance(data.get("messages"), list):
        users = data.get("users")
        data = data["messages"]
    if not isinstance(data, list):
        result.problems.append((1, "a Slack export is a JSON list of messages"))
        return result
    names = _slack_names(users, data)
    for number, message in enumerate(data, start=1):
        if not isinstance(message, dict):
            result.problems.append((number, "not a message object"))
            continue
        if message.get("subtype") in _SLACK_SKIP:
            result.skipped += 1
            continue
        try:
            # The fraction of a Slack `ts` is a per-second message counter, not a time.
            occurred = datetime.fromtimestamp(int(float(message["ts"])), tz=UTC)
        except (KeyError, TypeError, ValueError, OverflowError, OSError):
            result.problems.append((number, "no readable `ts` time"))
            continue
        body = slack_to_markdown(str(message.get("text") or ""), names.get)
        if not body:
            result.problems.append((number, "the message has no text"))
            continue
        result.rows.append(
            ImportRow(line=number, occurred_at=occurred, author=_slack_author(message, names), text=body)
        )
    result._too_many()
    return result


def parse_csv(text: str, *, zone: tzinfo) -> ParsedImport:
    """Read CSV with columns time, author, text (a header row is optional).

    Times are ISO-8601 or `YYYY-MM-DD HH:MM[:SS]`, read in `zone` unless they carry an offset. Numbers in
    problems are CSV line numbers.
    """
    result = ParsedImport()
    reader = csv.reader(io.StringIO(text))
    far_future = datetime.max.replace(tzinfo=UTC)
    for record in reader:
        number = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if number == 1 and [c.strip().lower() for c in record] == ["time", "author", "text"]:
            continue
        if len(record) != 3:
            result.problems.append((number, f"expected 3 columns (time,author,text), found {len(record)}"))
            continue
        when, author, body = (c.strip() for c in record)
        if not body:
            result.problems.append((number, "the text is empty"))
            continue
        if not re.match(r"^\d{4}-\d{2}-\d{2}", when):
            result.problems.append((number, f"the time {when!r} needs a date, e.g. 2025-03-10 14:05"))
            continue
        try:
            parsed = parse_time(when, zone=zone, now=far_future - timedelta(days=2), max_future=None)
        except TimeParseError as exc:
            result.problems.append((number, str(exc)))
            continue
        result.rows.append(ImportRow(line=number, occurred_at=parsed.instant, author=author, text=body))
    result._too_many()
    return result
