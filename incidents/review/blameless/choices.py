"""A person's choice set against what they were told or what went on (parts of `context.py`):

- going ahead despite warnings (`judgement`): "Despite repeated reminders, the release engineer proceeded";
  "Despite the reminders, the deploy proceeded because the pipeline had no pause" is about the system;
- doing something else instead of the duty (`counterfactual`): "rather than escalating, spent an hour ...",
  unless a plan or runbook prescribed it; and a conditional "had <person>" in mid-sentence ("avoidable had
  the assigned engineer followed the procedure");
- closing while the failure went on (`sequence`): "closed the incident while customers were still seeing
  errors";
- an omission in the passive said to recur (`passive_blame`): "The warning was skipped, again.".
"""

from __future__ import annotations

import re

from incidents.review.blameless import lexicon as lx
from incidents.review.blameless.hits import Hit
from incidents.review.blameless.neutral import PLANNED
from incidents.review.blameless.parse import PERSONISH, Clause, Names, Token

_PEOPLE = frozenset({"person", "team"})
_EXPLAINING = frozenset({"because", "since", "as"})


def subject_span(c: Clause) -> list[tuple[int, int]]:
    s = c.subject
    return [(s.start, s.end)] if s.end > s.start and not s.inherited else []


def explained_by_system(c: Clause, clauses: list[Clause]) -> bool:
    later = [d for d in clauses if d.start >= c.end and d.opener in _EXPLAINING]
    return any(d.subject.kind in ("system", "product") and not d.subject.inherited for d in later)


_CONCESSION = re.compile(
    r"(?<![\w'])(?:despite|in spite of|regardless of|notwithstanding|ignoring)(?: (?:the|all|repeated|several|multiple|two|"
    r"three|many|explicit|clear|our|his|her|their|written|loud|obvious))* (?:warnings?|reminders?|objections?|alerts?|advice|"
    r"concerns?|pushback|requests?|instructions?|being (?:told|warned|asked|reminded))\b"
)
_WENT_AHEAD = re.compile(
    r"(?:\w+ly )?(?:proceeded|went ahead|carried on|pressed on|pushed on|pushed ahead|continued|deployed|merged|shipped|"
    r"released|ran|pushed|kept going)\b"
)
_RATHER_THAN = re.compile(
    r"(?<![\w'])(?:rather than|instead of) (?:[\w-]+ )?(escalat\w+|asking|paging|calling|rolling back|waiting|following|"
    r"checking|reading|testing|reverting|reviewing|looking)\b"
)
# "The outage was avoidable had the assigned engineer followed the procedure": a conditional "had" mid-sentence
_HAD_PERSON = re.compile(
    r"(?<=[a-z,] )had (?:(?:the|our|a|an|that|this) )?((?:[\w-]+ ){0,2}?[\w-]+) (?:not |only |just |actually |simply |even |bothered to )?"
    r"(?!known|been told|heard)([a-z]+ed|taken|read|run|done|written|seen|gone|spoken|been (?:paying|watching|checking))\b"
)


def _despite(text: str, low: str, clauses: list[Clause], tokens: list[Token], names: Names) -> list[Hit]:
    """Going ahead despite warnings, doing other things rather than the duty, and a conditional "had <person>"."""
    concession = _CONCESSION.search(low)
    if concession is not None and not PLANNED.search(low):
        for c in clauses:
            if c.subject.kind in _PEOPLE and c.start > concession.start():
                m = _WENT_AHEAD.match(low, c.verb_start)
                if m is not None and not explained_by_system(c, clauses):
                    spans = [concession.span(), *subject_span(c), m.span()]
                    words = text[concession.start() : concession.end()]
                    return [Hit("judgement", spans, who=c.subject.text, words=words, extra={"kind": "knew"})]
    people = [
        c
        for c in clauses
        if c.subject.kind in _PEOPLE or c.dangling is not None and c.dangling.kind in _PEOPLE
    ]
    rather = _RATHER_THAN.search(low)
    if rather is not None and people and not PLANNED.search(low):
        return [
            Hit(
                "counterfactual",
                [rather.span()],
                predicate=rather.group(1),
                words=text[rather.start() : rather.end()],
            )
        ]
    for m in _HAD_PERSON.finditer(low):
        head = m.group(1).split()[-1]
        raw = text[m.start(1) : m.end(1)].split()[-1]
        if head in lx.ROLE_NOUNS or head in lx.TEAM_NOUNS or (raw[:1].isupper() and names.is_name(raw)):
            return [
                Hit(
                    "counterfactual",
                    [m.span()],
                    who=text[m.start(1) : m.end(1)],
                    predicate=text[m.start(2) : m.end(2)],
                    words=text[m.start() : m.end()],
                )
            ]
    return []


_CLOSURE = re.compile(
    r"(?:closed|resolved|marked (?:[\w-]+ ){0,3}?(?:as )?(?:resolved|done|fixed|closed|complete)|declared (?:[\w-]+ ){0,3}?"
    r"(?:over|resolved|fixed|done)|signed off on|stood down|called (?:it|the incident) (?:resolved|done|over))\b"
)
_STILL_FAILING = re.compile(
    r"\bstill\b(?: [\w'-]+){0,4}? (?:seeing|failing|erroring|down|broken|getting|affected|impacted|hitting|timing out|"
    r"returning|reporting|paging|alerting|errors|unable)\b"
)
_CLOSED_EARLY_OPENERS = frozenset({"while", "when", "although", "though", "before", "but", "as", "whereas"})


def _closed_early(text: str, low: str, clauses: list[Clause]) -> list[Hit]:
    """A person's act of closing set against the failure that went on: "Elias closed the incident while
    customers were still seeing errors"."""
    for k, c in enumerate(clauses[:-1]):
        if c.subject.kind not in _PEOPLE:
            continue
        m = _CLOSURE.search(low, c.verb_start, c.end)
        d = clauses[k + 1]
        still = _STILL_FAILING.search(low, d.start, d.end) if d.opener in _CLOSED_EARLY_OPENERS else None
        if m is not None and still is not None:
            spans = [*subject_span(c), m.span(), still.span()]
            return [
                Hit(
                    "sequence",
                    spans,
                    who=c.subject.text,
                    words=text[m.start() : m.end()],
                    extra={"kind": "premature", "duty": text[still.start() : still.end()]},
                )
            ]
    return []


# An omission in the passive said to recur ("The warning in the runbook was skipped, again."): the repetition
# points at whoever keeps doing it; "was skipped because the flag was set" is explained by the system.
_OMITTED_PASSIVE = re.compile(
    r"(?<![\w'])(?:was|were|got|has been|had been|have been|is|are)(?: \w+ly)? (skipped|ignored|missed|overlooked|forgotten|"
    r"bypassed|disabled|turned off|left out|dropped)\b"
)
_REPEATED = re.compile(
    r"(?<![\w'])(?:again|yet again|once more|as usual|as always|for the (?:second|third|fourth|fifth|nth|umpteenth) time|"
    r"repeatedly|every time|(?:twice|three times) (?:now|this (?:week|month|quarter)))(?![\w'])"
)


def _repeated_passive(text: str, low: str, clauses: list[Clause]) -> list[Hit]:
    again = _REPEATED.search(low)
    if again is None:
        return []
    for c in clauses:
        if c.subject.kind in PERSONISH or c.agent is not None:
            continue
        m = _OMITTED_PASSIVE.search(low, c.verb_start, c.end)
        if m is not None and not explained_by_system(c, clauses):
            return [
                Hit(
                    "passive_blame",
                    [m.span(), again.span()],
                    predicate=text[m.start(1) : m.end(1)],
                    rest=text[c.start : m.start()].strip(),
                    words=text[m.start() : m.end()],
                )
            ]
    return []


def find(text: str, low: str, clauses: list[Clause], tokens: list[Token], names: Names) -> list[Hit]:
    """The hits of these parts in one sentence (offsets as in `low`)."""
    return [
        *_closed_early(text, low, clauses),
        *_despite(text, low, clauses, tokens, names),
        *_repeated_passive(text, low, clauses),
    ]
