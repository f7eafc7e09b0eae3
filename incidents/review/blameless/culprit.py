"""A remedy aimed at the culprit: an action item that first singles out the one responsible ("the engineer
responsible", "the developer at fault", "whoever caused this", "the DBA who ran the script") and then
retrains, reprimands, restricts, watches or names them (`sanction`). Dekker's Field Guide calls these the
old view's remedies; the SRE book's postmortem chapter says that where people expect them, they stop
reporting. The remedies are in `data/patterns/culprit_remedies.txt`. Two shapes:

- the culprit, a modal, a remedy: "The engineer responsible will complete mandatory training", "the
  offending engineer will attend a refresher course", "whoever caused this will be written up";
- the incident put on the culprit's record: "goes on the record of the engineer responsible", "recorded
  against the responsible engineer".

The neutral side: the same remedies for everyone ("All engineers will complete the new training"), the
owner of a thing ("the engineer responsible for the rota will add ..."), and a culprit asked to help fix the
system ("the DBA who ran the script will walk us through the prompt so we can redesign it").
"""

from __future__ import annotations

import re

from incidents.review.blameless import lexicon as lx
from incidents.review.blameless.hits import Hit
from incidents.review.blameless.parse import Clause, Names, Subject
from incidents.review.blameless.people import person_np
from incidents.review.blameless.tokens import Token

_REMEDY = re.compile(
    r"(?:will|shall|should|must|needs? to|has to|have to|is to|are to|is going to|ought to|to)"
    r"(?: (?:\w+ly|also|now|first|then|immediately|personally|each|both))*"
    rf" (?:{lx.alternation('culprit_remedies')})"
)
# The culprit named by what marks them out: "responsible" (not "responsible for the rota"), "at fault", who did it
_MARK_AFTER = re.compile(
    r"\s+(?:responsible(?! for)|at fault|to blame|in question|involved|concerned(?! about| with| that)|"
    r"who (?:\w+ly )?(?:caused|broke|did|made|pushed|ran|deleted|dropped|wiped|deployed|merged|introduced|"
    r"triggered|started|approved|typed|botched|messed)\b(?: [\w'-]+){0,6}?(?=\s+(?:will|shall|should|must|needs?|"
    r"has|have|is|are|ought|to|gets?|goes|go)\b))"
)
_MARK_BEFORE = re.compile(
    r"(?<![\w'])(?:the|our|that|this) (?:responsible|offending|guilty|errant|culpable|negligent|careless) "
)
_WHOEVER = re.compile(
    r"(?<![\w'])whoever (?:\w+ly )?(?:caused|broke|did|made|pushed|ran|deleted|dropped|wiped|deployed|merged|"
    r"introduced|triggered|started|approved|typed|botched|messed up|wrote|forgot|skipped)\b(?: [\w'-]+){0,5}?"
    r"(?=\s+(?:will|shall|should|must|needs?|has|have|is|are|ought|to)\b)"
)
_EVERYONE = re.compile(
    r"(?<![\w'])(?:with|like|along with|as (?:do|does|will)|together with) (?:everyone|everybody|the rest|all|the whole)"
    r"|(?<![\w'])(?:everyone|everybody|all engineers|all of us|the whole team) (?:else|too|as well)"
)
_RECORD = re.compile(
    r"(?<![\w'])(?:(?:recorded|noted|logged|counted|filed|marked|entered|tracked|held) (?:\w+ )?against|"
    r"(?:recorded|noted|logged|filed|goes|go|went|put|kept) (?:\w+ )?on (?:the )?(?:record|file|scorecard|"
    r"performance review|permanent record) of) $"
)


def find(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """The hits of these shapes in one sentence (offsets as in `low`)."""
    if not clauses:
        return []
    if _EVERYONE.search(low):
        return []  # "... will take the new on-call training with everyone else": a process for all
    tokens = [t for c in clauses for t in c.tokens]
    for a, b, who in _culprits(low, tokens, names):
        m = _REMEDY.match(low, b + len(low[b:]) - len(low[b:].lstrip(" ,")))
        if m is not None:
            return [_hit([(a, b), m.span()], text, who)]
        record = _RECORD.search(low, max(0, a - 50), a)
        if record is not None and record.end() == a:
            return [_hit([(record.start(), b)], text, who)]
    return []


def _culprits(low: str, tokens: list[Token], names: Names) -> list[tuple[int, int, str]]:
    """(start, end, who) of each phrase that names the culprit."""
    out: list[tuple[int, int, str]] = []
    for m in _WHOEVER.finditer(low):
        out.append((m.start(), m.end(), low[m.start() : m.end()]))
    for m in _MARK_BEFORE.finditer(low):
        found = _person(tokens, m.end(), names)
        if found is not None:
            out.append((m.start(), found[1][-1].end, found[0].text))
    for t in tokens:
        if t.low not in lx.DETERMINERS and t.low not in lx.POSSESSIVE_PRONOUNS:
            continue
        found = _person(tokens, t.start, names)
        if found is None:
            continue
        mark = _MARK_AFTER.match(low, found[1][-1].end)
        if mark is not None:
            out.append((found[1][0].start, mark.end(), found[0].text))
    return sorted(out)


def _person(tokens: list[Token], at: int, names: Names) -> tuple[Subject, list[Token]] | None:
    found = person_np(tokens, at, names)
    if found is None or found[0].kind not in ("person", "team") or not 0 <= found[1][0].start - at <= 1:
        return None
    return found


def _hit(spans: list[tuple[int, int]], text: str, who: str) -> Hit:
    a, b = min(s for s, _ in spans), max(e for _, e in spans)
    return Hit("sanction", spans, who=who, words=text[a:b], extra={"kind": "culprit"})


EXPLAINED = {
    "culprit": (
        "singles out the person responsible and aims the remedy at them. Where people expect that after an "
        "incident, they stop telling the review what really happened, and the trap they fell into stays for the "
        "next person",
        '"What change to the tooling or the process would make this step safe for whoever does it next?"',
    ),
}
