"""A remedy aimed at the culprit: an action item that first singles out the one responsible ("the engineer
responsible", "the developer at fault", "whoever caused this", "the DBA who ran the script") and then
retrains, reprimands, restricts, watches or names them (`sanction`). Dekker's Field Guide calls these the
old view's remedies; the SRE book's postmortem chapter says that where people expect them, they stop
reporting. The remedies are in `data/patterns/culprit_remedies.txt`. Two shapes:

- the culprit, a modal, a remedy: "The engineer responsible will complete mandatory training", "the
  offending engineer will attend a refresher course", "whoever caused this will be written up";
- the incident put on the culprit's record: "goes on the record of the engineer responsible", "recorded
  against the responsible engineer".

- probation and a watch list: "stays off the primary until she has proven herself", "until they earn back
  our trust", "on probation", "so everyone knows who to keep an eye on".

The neutral side: the same remedies for everyone ("All engineers will complete the new training"), the
owner of a thing ("the engineer responsible for the rota will add ..."), and a culprit asked to help fix the
system ("the DBA who ran the script will walk us through the prompt so we can redesign it").
"""

from __future__ import annotations

import re

from incidents.review.blameless import lexicon as lx
from incidents.review.blameless.across import mentions_person
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
# Probation: a person kept from the work until they prove themselves or earn trust back
_UNTIL = re.compile(
    r"(?<![\w'])(?:until|till|unless|before) (?P<who>he|she|they|[\w-]+(?: [\w-]+){0,2}?)(?:'ve|'s|'d|'ll)?"
    r"(?: (?:has|have|had|can|will))?(?: \w+ly)? (?:(?:proven|proved|prove|proves|shown|shows|show|demonstrated|"
    r"demonstrates|demonstrate) (?:that )?(?P<self>himself|herself|themselves|themself|(?:he|she|they) can)|"
    r"(?:earns?|earned|wins?|won|regains?|regained) (?:back )?(?:our|the team's|everyone's|my|management's) "
    r"(?:trust|confidence))(?![\w'])"
    r"|(?<![\w'])(?:is|are|was|were|be|been|'s|'re|stays?|remains?|goes|go) (?:put |placed |kept )?on probation(?![\w'])"
)
# A watch list: who to keep an eye on, who to blame
_WATCH = re.compile(
    r"(?<![\w'])(?:know|knows|see|tell|track|remember|note|decide) who (?:to|we should|we need to|we must) "
    r"(?:watch|keep an eye on|keep tabs on|blame|look at first|suspect|check on|watch out for)(?![\w'])"
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
    watch = _WATCH.search(low)
    if watch is not None:
        return [_hit([watch.span()], text, "", "watch")]
    for m in _UNTIL.finditer(low):
        who = m.group("who")
        person = who in ("he", "she") or m.group("self") in ("himself", "herself")
        if not person:
            found = _person(tokens, m.start("who"), names)
            person = found is not None or (who == "they" and mentions_person(clauses, names))
        if person:
            return [_hit([m.span()], text, who, "probation")]
    for a, b, who in _culprits(low, tokens, names):
        r = _REMEDY.match(low, b + len(low[b:]) - len(low[b:].lstrip(" ,")))
        if r is not None:
            return [_hit([(a, b), r.span()], text, who)]
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


def _hit(spans: list[tuple[int, int]], text: str, who: str, kind: str = "culprit") -> Hit:
    a, b = min(s for s, _ in spans), max(e for _, e in spans)
    return Hit("sanction", spans, who=who, words=text[a:b], extra={"kind": kind})


EXPLAINED = {
    "probation": (
        "keeps a person on probation until they prove themselves. Where people expect that after an incident, "
        "they stop telling the review what really happened, and the step that tripped them stays as it was",
        '"What would make this step safe for whoever does it, new or experienced?"',
    ),
    "watch": (
        "keeps a list of people to watch. It points the review at people instead of at the conditions that "
        "made the incidents possible",
        '"What do these incidents have in common in the system: the tools, the signals, the process?"',
    ),
    "culprit": (
        "singles out the person responsible and aims the remedy at them. Where people expect that after an "
        "incident, they stop telling the review what really happened, and the trap they fell into stays for the "
        "next person",
        '"What change to the tooling or the process would make this step safe for whoever does it next?"',
    ),
}
