"""Every template shows instants through the shared filters (incidents/timefmt.py), never by itself, and
no Python module writes a clock time itself (`%H:%M` in a format) but the formatter.

A datetime written as `{{ x.started_at }}`, `{{ x|date:"..." }}` or `{{ x|time }}` is shown in whatever
zone and format Django picks, without the zone label: that is how "07:56:48+00:00" reached a page headed
"Times in Europe/Copenhagen". Calendar dates (a due date is the owner's local date, not an instant) may use
`|date`; their names are listed here.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"
OUR_FILTERS = {"localtime_label", "localtime_offset", "clock_label", "time_tag", "clock_tag"}
# Variables holding a calendar date (datetime.date), which `|date` may format.
DATE_NAMES = re.compile(r"(_date|_until|(^|\.)today|(^|\.)first|(^|\.)last|_day)$")
# Variables holding an instant (datetime.datetime) by the project's naming.
INSTANT_NAMES = re.compile(r"(_at|history_date|(^|\.)at|(^|\.)when|(^|\.)now)$")
FORM_FIELD = re.compile(r"^\w*form\.")  # a bound form field renders its own widget
VARIABLE = re.compile(r"\{\{\s*(.*?)\s*\}\}")


def _problems(path: Path) -> list[str]:
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for expr in VARIABLE.findall(line):
            name, *filters = [part.strip() for part in expr.split("|")]
            names = [f.split(":", 1)[0] for f in filters]
            where = f"{path.relative_to(TEMPLATES)}:{number}: {{{{ {expr} }}}}"
            formats = {"date", "time", "naturaltime", "timesince", "timeuntil"} & set(names)
            if INSTANT_NAMES.search(name) and not FORM_FIELD.match(name):
                if formats or not OUR_FILTERS & set(names):
                    found.append(where + " shows an instant without the zone filters")
            elif formats and not DATE_NAMES.search(name):
                found.append(where + " formats a value that may be an instant itself")
    return found


def test_no_template_formats_an_instant_itself():
    problems = [p for path in sorted(TEMPLATES.rglob("*.*")) for p in _problems(path)]
    assert problems == []


def test_the_scan_catches_each_way_of_formatting_an_instant(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text(
        '{{ incident.started_at }}\n{{ entry.occurred_at|date:"H:i" }}\n{{ v.history_date|time }}\n'
        "{{ hit.when|default:'' }}\n{{ item.due_date|date:'j M' }}\n{{ incident.resolved_at|time_tag }}\n",
        encoding="utf-8",
    )
    global TEMPLATES
    saved, TEMPLATES = TEMPLATES, tmp_path
    try:
        assert [p.split(":")[1] for p in _problems(bad)] == ["1", "2", "3", "4"]
    finally:
        TEMPLATES = saved


SOURCES = [Path(settings.BASE_DIR) / "incidents", Path(settings.BASE_DIR) / "accounts"]
# A clock time as people read it (`%H:%M`, `%I:%M`); compact keys such as `%Y%m%dT%H%M%S` are not shown.
CLOCK_FORMAT = re.compile(r"%-?[HI]:%M")
# Where a clock-time pattern is not an instant shown to someone, and why.
CLOCK_ALLOWED = {
    "incidents/timefmt.py": "the one formatter",
    "incidents/timeparse.py": "echoes the wall-clock time as typed (a naive time, no zone to show)",
    "incidents/incident/forms.py": "the datetime-local widget's value and input formats; the time as typed",
    "accounts/models.py": "a session's name in the admin, in UTC with its label (accounts imports no incidents)",
}


def test_no_module_but_the_formatter_writes_a_clock_time_itself():
    base = Path(settings.BASE_DIR)
    problems = []
    for root in SOURCES:
        for path in sorted(root.rglob("*.py")):
            name = path.relative_to(base).as_posix()
            if "/migrations/" in name or name in CLOCK_ALLOWED:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if CLOCK_FORMAT.search(line):
                    problems.append(f"{name}:{number}: {line.strip()} (use incidents.timefmt.format_time)")
    assert problems == []


def test_the_allowed_modules_still_exist():
    base = Path(settings.BASE_DIR)
    assert [name for name in CLOCK_ALLOWED if not (base / name).exists()] == []
