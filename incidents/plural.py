"""Plurals, said once: `counted(4, "timeline entry")` is "4 timeline entries". Templates use the `counted`
filter (incidents/templatetags/hindsight.py); Django's `pluralize` is refused in templates by a test, as
"entr{{ n|pluralize:'y,ies' }}" is how "4 timeline entrys" and "1 recurrences" happened."""

from __future__ import annotations

# Nouns whose plural the rules below get wrong.
IRREGULAR = {"person": "people", "child": "children", "analysis": "analyses"}


def plural(noun: str) -> str:
    """The plural of `noun` (its last word changes: "action item" → "action items", "timeline entry" →
    "timeline entries", "webhook delivery" → "webhook deliveries", "match" → "matches")."""
    head, _, last = noun.rpartition(" ")
    lower = last.lower()
    if lower in IRREGULAR:
        word = IRREGULAR[lower]
    elif lower.endswith("y") and len(lower) > 1 and lower[-2] not in "aeiou":
        word = last[:-1] + "ies"
    elif lower.endswith(("s", "x", "z", "ch", "sh")):
        word = last + "es"
    else:
        word = last + "s"
    return f"{head} {word}" if head else word


def counted(count: int | None, noun: str) -> str:
    """`count` and `noun`, the noun plural unless the count is 1: "1 recurrence", "0 action items".

    `noun` may give its plural after a comma ("person,people") when the rules do not fit."""
    singular, _, given = noun.partition(",")
    n = int(count or 0)
    return f"{n} {singular if n == 1 else (given or plural(singular))}"
