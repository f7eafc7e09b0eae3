"""What everyone is said to know, or to think, about a person: blame put in the mouth of all (issue 17's ninth
pass). Dekker's Field Guide names the first as hindsight's standard ("any competent practitioner would have
known"), set after the outcome; the others judge the person by what "we all" think of them. The shapes:

- a standard anyone meets (`hindsight`): "Any seasoned engineer knows never to run migrations at peak", "every
  experienced DBA knows better than to ..."; and a failure called foreseeable beside people who did not foresee
  it ("The outage was completely foreseeable, and nobody in ops foresaw it");
- trust refused by all (`trust`): "Nobody should trust the on-call engineer's judgement after this";
- values imputed (`judgement`): "Apparently code review doesn't matter to the mobile team";
- the culprit known to all (`fault`): "Everybody knows who was behind this outage", "we all know who broke it".

The neutral side: what anyone can do or find ("Any engineer knows where the runbook is, because it is linked"),
"not foreseeable", nobody to trust a signal ("Nobody should trust the disk alert"), what mattered to the team,
and whom everyone knows to page.
"""

from __future__ import annotations

import re

from incidents.review.blameless.hits import Hit
from incidents.review.blameless.parse import Clause, Names, Subject
from incidents.review.blameless.people import person_np
from incidents.review.blameless.tokens import Token

_KNOWS_NOT_TO = re.compile(
    r"(?:\w+ly )?(?:knows|would know|should know|ought to know|would have known|should have known)"
    r" (?:(?:full )?well )?(?:(?:not|never|better than) to|to never|you (?:don't|never|do not|shouldn't)|"
    r"that you (?:don't|never|do not|shouldn't))(?![\w'])"
)
_FORESEEABLE = re.compile(
    r"(?<![\w'-])(?<!not )(?<!hardly )(?:\w+ly )?(?:foreseeable|predictable|avoidable|preventable)(?![\w'-])"
    r"(?! in the sense| only| in hindsight| with hindsight| now)"
)
_ANY = re.compile(r"(?<![\w'])(?:any|every|anyone|anybody|everyone|everybody)(?![\w'])")
_NOBODY_FORESAW = re.compile(
    r"(?<![\w'])(?:nobody|no one|no-one|none of (?:us|them|the [\w-]+))(?: (?:in|on|from|at) (?:the )?[\w-]+(?: team)?)?"
    r"(?: \w+ly)? (?:foresaw|anticipated|saw (?:it|this|that) coming|predicted|prevented|caught|noticed|spotted)(?![\w'])"
    r"|(?:didn't|did not|never|couldn't be bothered to|failed to) (?:foresee|anticipate|see (?:it|this|that) coming|"
    r"predict|prevent)(?![\w'])"
)
_TRUST_NOBODY = re.compile(
    r"(?<![\w'])(?:nobody|no one|no-one|none of us|we|you|i)(?: \w+ly)? (?:should|can|could|will|would|"
    r"can no longer|can't|cannot|won't|shouldn't|should no longer|should ever|will ever)(?: \w+ly| ever| again)?"
    r" (?:trust|believe|rely on|count on|depend on) "
)
_MATTERS_TO = re.compile(
    r"(?:doesn't|don't|didn't|does not|do not|did not|never)(?: \w+ly)? (?:seem to |appear to )?(?:matter|mean anything)"
    r" to "
)
_KNOW_WHO = re.compile(
    r"(?<![\w'])(?:we all|we|everybody|everyone|all of us|the whole team|you all)(?: all)?(?: \w+ly)?"
    r" (?:know|knows)(?: \w+ly)? who (?:was behind|did (?:it|this|that)|broke|caused|is responsible|was responsible|"
    r"is to blame|was to blame|did the (?:deed|damage)|pushed|started|messed)(?![\w'])"
)
_WHOSE = frozenset(
    {"judgement", "judgment", "sign-off", "signoff", "word", "work", "estimates", "reviews", "review"}
)


def find(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """The hits of these shapes in one sentence (offsets as in `low`)."""
    if not clauses:
        return []
    tokens = [t for c in clauses for t in c.tokens]
    for u in _ANY.finditer(low):
        found = person_np(tokens, u.start(), names)
        if found is None or found[0].kind != "universal" or found[1][0].start != u.start():
            continue
        m = _KNOWS_NOT_TO.match(low, found[1][-1].end + 1)
        if m is not None:
            return [_hit("hindsight", [(u.start(), m.end())], text, found[0].text, "anyone_knows")]
    f = _FORESEEABLE.search(low)
    n = _NOBODY_FORESAW.search(low) if f is not None else None
    if f is not None and n is not None:
        return [_hit("hindsight", [f.span(), n.span()], text, "", "foreseeable")]
    for m in _TRUST_NOBODY.finditer(low):
        found = _person(tokens, m.end(), names)
        if found is None:
            continue
        who, np = found
        owned = who.possessed or (np[-1].low.endswith(("'s", "s'")) and "")
        if not owned or owned in _WHOSE:
            return [_hit("trust", [(m.start(), np[-1].end)], text, who.text, "trust_nobody")]
    for m in _MATTERS_TO.finditer(low):
        found = _person(tokens, m.end(), names)
        if found is not None and not found[0].possessed:
            return [_hit("judgement", [(m.start(), found[1][-1].end)], text, found[0].text, "imputed")]
    m = _KNOW_WHO.search(low)
    if m is not None:
        return [_hit("fault", [m.span()], text, "", "know_who")]
    return []


def _person(tokens: list[Token], at: int, names: Names) -> tuple[Subject, list[Token]] | None:
    found = person_np(tokens, at, names)
    if found is None or found[0].kind not in ("person", "team") or not 0 <= found[1][0].start - at <= 1:
        return None
    return found


def _hit(rule: str, spans: list[tuple[int, int]], text: str, who: str, kind: str) -> Hit:
    a, b = min(s for s, _ in spans), max(e for _, e in spans)
    return Hit(rule, spans, who=who, words=text[a:b], extra={"kind": kind})


EXPLAINED = {
    "anyone_knows": (
        "holds people to what anyone is said to know. That standard is set after the outcome; the review asks "
        "what made the step look reasonable to the person who took it",
        '"What made this step look safe at the time, and what would have warned anyone doing it?"',
    ),
    "foreseeable": (
        "calls the failure foreseeable beside the people who did not foresee it. It is foreseeable now, knowing "
        "the outcome; it was not to them, and the review asks what would have shown it",
        '"What would have shown this risk to the people there before it happened?"',
    ),
    "trust_nobody": (
        "tells everyone not to trust a person's word or work. Trust lost points at people, not at the checks "
        "that would make their work easy to verify",
        '"What check would let anyone verify this sign-off or judgement for themselves?"',
    ),
    "imputed": (
        "imputes to a person or a team not caring about a practice. It guesses at motives instead of asking "
        "what made the practice hard to follow",
        '"What made this practice hard to follow for them at the time?"',
    ),
    "know_who": (
        "points at a person everyone is said to know did it. Blame by insinuation cannot be answered, and "
        "it ends the inquiry at a person",
        '"What in the system let this happen, whoever was at the keyboard?"',
    ),
}
