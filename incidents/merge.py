"""Three-way merge for edit forms saved over a version someone else changed meanwhile.

A form carries the version it was based on (`version`); the server keeps every version (postmortem
versions, simple-history for incidents and action items), so on a conflict it knows three states per field:
the base (what the editor loaded), theirs (what is stored now) and mine (what the editor submitted).

- a field the editor did not change (mine == base) takes the current value: saving never reverts it;
- a field only the editor changed (theirs == base, or both made the same change) keeps the editor's value;
- a field both changed differently is a conflict: the form shows both side by side and the editor must
  choose (`keep_<field>` = `mine` or `theirs`, listed in the hidden `must_choose`) before it saves.
The re-shown form is based on the current version, so a third edit in between is caught again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from django import forms
from django.db.models import Model

from incidents.inputs import TypedTimeField
from incidents.timefmt import format_time

MUST_CHOOSE = "must_choose"
KEEP = "keep_"


def _same(a: Any, b: Any) -> bool:
    def norm(v: Any) -> Any:
        if isinstance(v, Model):
            return v.pk
        if v is None:
            return ""
        return v.replace("\r\n", "\n") if isinstance(v, str) else v

    return bool(norm(a) == norm(b))


@dataclass
class Merge:
    """`values`: what the re-shown form starts from, per field; `conflicts`: fields both changed, each
    `(mine, theirs)`; `theirs`: fields someone else changed that the form now takes from them."""

    values: dict[str, Any] = field(default_factory=dict)
    conflicts: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    theirs: list[str] = field(default_factory=list)


def three_way(*, base: Mapping[str, Any], mine: Mapping[str, Any], current: Mapping[str, Any]) -> Merge:
    """Merge `mine` (every field the form submitted) with `current`, both descended from `base`."""
    merge = Merge()
    for name, value in mine.items():
        was, now = base.get(name), current.get(name)
        if _same(value, was):
            merge.values[name] = now
            if not _same(now, was):
                merge.theirs.append(name)
        elif _same(now, was) or _same(now, value):
            merge.values[name] = value
        else:
            merge.values[name] = value
            merge.conflicts[name] = (value, now)
    return merge


def merged_after_conflict(
    conflict: Exception,
    *,
    base: Mapping[str, Any],
    mine: Mapping[str, Any],
    current: Mapping[str, Any],
    noun: str = "field(s)",
) -> tuple[Merge, str]:
    """A save refused as stale (`conflict`, whose text says so): the three-way merge of what the editor
    loaded (`base`), submitted (`mine`) and what is stored now (`current`), and the message the re-shown
    form leads with (how many `noun` both changed, when any)."""
    merge = three_way(base=base, mine=mine, current=current)
    both = (
        f" {len(merge.conflicts)} {noun} were changed by both of you: choose which to keep."
        if merge.conflicts
        else ""
    )
    message = (
        f"{conflict} Nothing was saved yet. Their changes are merged into the form and yours are kept;"
        f"{both} Save again to keep both."
    )
    return merge, message


def must_choose(data: Mapping[str, Any], allowed: Iterable[str]) -> list[str]:
    """The fields a re-shown form said must be chosen (the hidden `must_choose`), limited to `allowed`."""
    names = set(allowed)
    return [n for n in str(data.get(MUST_CHOOSE, "")).split(",") if n in names]


def apply_choices(
    data: Mapping[str, Any], mine: dict[str, Any], shown: Mapping[str, Any], fields: Iterable[str]
) -> list[str]:
    """Apply `keep_<field>` choices of a re-shown form to `mine` in place: `theirs` takes the value that was
    shown as current (`shown`, the version the form is based on). Returns the fields still unchosen."""
    missing = []
    for name in must_choose(data, fields):
        choice = data.get(KEEP + name)
        if choice == "theirs":
            mine[name] = shown.get(name)
        elif choice != "mine":
            missing.append(name)
    return missing


@dataclass(frozen=True)
class ChoiceWording:
    """How the choice between a field's two values (`_merge_choice.html`) names them: `noun` ("text",
    "time", "date", "choice") and, where the form does not show the value as typed text, both values as
    the reader reads them (`mine`, `theirs`: times in the reader's zone with their label, choices by their
    label); empty for text, which the form and the current value beside it show."""

    noun: str = "text"
    mine: str = ""
    theirs: str = ""


TEXT = ChoiceWording()


def _shown(value: Any, form_field: forms.Field | None, zone: tzinfo | None) -> str:
    if value is None or value == "":
        return "none"
    if isinstance(value, datetime):
        return format_time(value, zone)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    choices = dict(getattr(form_field, "choices", None) or [])
    key = getattr(value, "pk", value)
    return str(choices.get(key, choices.get(str(key), value)))


def choice_wording(
    conflicts: Mapping[str, tuple[Any, Any]],
    form: forms.BaseForm,
    *,
    zone: tzinfo | None = None,
    instants: Mapping[str, tuple[datetime | None, datetime | None]] | None = None,
) -> dict[str, ChoiceWording]:
    """For each conflicting field (`Merge.conflicts`: name → (mine, theirs)) of `form`, how the choice
    names its values: a time ("keep your time (2026-10-25 01:30 CEST) / the current time (…)", both in
    `zone`, default the active one: a date/time field, a typed time box, or a field given in `instants`
    as the two instants its typed texts stand for), a date, a choice (select, checkbox: both by their
    label), else text."""
    wording: dict[str, ChoiceWording] = {}
    for name, (mine, theirs) in conflicts.items():
        form_field = form.fields.get(name)
        if instants and name in instants:
            mine, theirs = instants[name]
        sample = mine if mine not in (None, "") else theirs
        if isinstance(sample, datetime) or isinstance(form_field, (forms.DateTimeField, TypedTimeField)):
            noun = "time"
        elif isinstance(sample, date) or isinstance(form_field, forms.DateField):
            noun = "date"
        elif isinstance(form_field, (forms.ChoiceField, forms.ModelChoiceField, forms.BooleanField)):
            noun = "choice"
        else:
            wording[name] = TEXT
            continue
        wording[name] = ChoiceWording(noun, _shown(mine, form_field, zone), _shown(theirs, form_field, zone))
    return wording
