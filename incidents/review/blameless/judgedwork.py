"""A person's or a team's work judged by its quality, in the plain words of general English (`judgement`):
"the networking team did a lousy job", "a poor call by the on-call lead", "Tomasz's config is always a mess".
Dekker's Field Guide counts such verdicts among the judgements that replace an explanation: they say the
work was bad, and nothing of what made it look good enough at the time. The shapes:

- a person or a team that did a bad job: "Frankly the networking team did a lousy job on this one";
- a bad call, decision or choice by a person: "It was a poor call by the on-call lead to skip the canary";
- a person's work said to be a mess: "Tomasz's config is always a mess", "her migration was a shambles".

The neutral side: the same words about a system ("the old deploy script did a poor job of reporting", "a bad
call by the autoscaler", "the legacy config is a mess of overrides").
"""

from __future__ import annotations

import re

from incidents.review.blameless import lexicon as lx
from incidents.review.blameless.hits import Hit
from incidents.review.blameless.parse import Clause, Names
from incidents.review.blameless.people import person_np

_BAD = lx.alternation("bad_work")
_DID_JOB = re.compile(
    r"(?:(?:\w+ly|just|really|simply) )*(?:did|does|do|has done|have done|had done|is doing|are doing|was doing)"
    rf" (?:a |an |such a |one )?(?:(?:\w+ly|really|truly|just) )?(?:{_BAD}) job(?![\w'])"
)
_CALL_BY = re.compile(
    rf"(?<![\w'-])(?:{_BAD}) (?:call|decision|choice|judge?ment|move)s? (?:by|from|on the part of) "
)
_MESS = re.compile(
    r"\s*(?:is|was|are|were|'s|has been|have been)(?: (?:always|still|just|again|once again|usually|frankly))*"
    r" (?:a|an) (?:complete |total |absolute |hot |real |utter |unholy )?(?:mess|shambles|joke|trainwreck|"
    r"train wreck|dumpster fire|clown show|circus|embarrassment)(?! of)(?![\w'])"
)


def find(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """The hits of these shapes in one sentence (offsets as in `low`)."""
    if not clauses:
        return []
    for c in clauses:
        s = c.subject
        if s.kind not in ("person", "team") or s.inherited or s.end <= s.start:
            continue
        if not s.possessed:
            m = _DID_JOB.match(low, c.verb_start)
            if m is not None:
                return [_hit([(s.start, s.end), m.span()], text, s.text)]
        else:
            m = _MESS.match(low, s.end)
            if m is not None:
                return [_hit([(s.start, m.end())], text, s.text)]
    tokens = [t for c in clauses for t in c.tokens]
    for m in _CALL_BY.finditer(low):
        found = person_np(tokens, m.end(), names)
        if (
            found is not None
            and found[0].kind in ("person", "team")
            and 0 <= found[1][0].start - m.end() <= 1
        ):
            return [_hit([(m.start(), found[1][-1].end)], text, found[0].text)]
    return []


def _hit(spans: list[tuple[int, int]], text: str, who: str) -> Hit:
    a, b = min(s for s, _ in spans), max(e for _, e in spans)
    return Hit("judgement", spans, who=who, words=text[a:b], extra={"kind": "judged_work"})


EXPLAINED = {
    "judged_work": (
        "judges a person's or a team's work as bad. The verdict says nothing of what made the work look "
        "good enough to them at the time, which is what the review needs to learn",
        '"What did they know and see at that point, and what would have shown them the problem?"',
    ),
}
