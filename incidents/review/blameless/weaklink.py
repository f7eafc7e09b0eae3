"""The person as the weak link: Dekker's "old view" of human error, where a safe system is let down by its
unreliable humans (Field Guide to Understanding Human Error, chapter 1). The words are the ones that view
uses for a person: the failure mode, the weak or weakest link, the single point of failure, the common
denominator or factor of the incidents, the bad apple (`data/patterns/weak_link.txt`). The shapes (`fault`):

- the role, then a person as what it is: "The failure mode here was the operator", "the weakest link was
  the human at the console", "the common denominator in all four outages is the night-shift DBA";
- a person, then the role: "Kwame is the single point of failure", "the platform team is the common thread".

The neutral side: the same roles filled by a thing ("the weakest link was the single config server", "the
failure mode was a full disk"), by a clause ("the common thread is that each began during a deploy"), by a
person's thing ("the weak point is the operator's console"), or a person in another role ("Grace is the
common point of contact").
"""

from __future__ import annotations

import re

from incidents.review.blameless import lexicon as lx
from incidents.review.blameless.hits import Hit
from incidents.review.blameless.nounphrase import PERSONISH
from incidents.review.blameless.parse import Clause, Names
from incidents.review.blameless.people import person_np
from incidents.review.blameless.supervised import after_adverbs

_ROLE = lx.alternation("weak_link")
_BE = (
    r"(?:is|was|are|were|'s|has been|have been|had been|remains|remained|seems to be|seemed to be|turned out to be|"
    r"proved to be|will always be)"
)
# "The failure mode here was", "the common denominator in all four outages is", "the weak link, as usual, was"
_ROLE_FIRST = re.compile(
    rf"(?<![\w'-])(?:the|our|a|one) (?:[\w-]+ ){{0,2}}?(?:{_ROLE})"
    r"(?: here| again| this time| (?:in|across|of|behind|among|for) (?:[\w'-]+ ){0,4}?[\w'-]+)??"
    rf"(?:,? as (?:usual|always|ever|before),?)?(?:,? (?:\w+ly|frankly|again),?)? {_BE}(?: (?:\w+ly|just|again|still|always))*[\s,]+"
)
# "Kwame is the single point of failure", "the platform team remains our weakest link"
_ROLE_AFTER = re.compile(
    rf"\s*(?:(?:\w+ly|just|still|always|again) )*{_BE}(?: (?:\w+ly|just|again|still|always|once again))* "
    rf"(?:the|our|a|an|their|this team's|one) (?:[\w-]+ ){{0,2}}?(?:{_ROLE})(?![\w'-])"
)
_PERSON_END = re.compile(
    r"\s*(?:$|[,.;:!?)]|(?:not|and not|rather than|instead of|again|here|at |in |on |who |that |behind )\b)"
)


def find(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """The hits of these shapes in one sentence (offsets as in `low`)."""
    if not clauses or not _ANY.search(low):
        return []
    tokens = [t for c in clauses for t in c.tokens]
    for m in _ROLE_FIRST.finditer(low):
        found = person_np(tokens, after_adverbs(low, m.end()), names)
        if found is None or found[0].kind not in PERSONISH or found[0].kind == "self":
            continue
        who, np = found
        if np[-1].low.endswith(("'s", "s'")) or not _PERSON_END.match(low, np[-1].end):
            continue  # "the weak point is the operator's console": the person's thing, not the person
        return [_hit([(m.start(), np[-1].end)], text, who.text)]
    for c in clauses:
        s = c.subject
        if s.kind not in ("person", "team") or s.possessed or s.end <= s.start:
            continue
        r = _ROLE_AFTER.match(low, s.end)
        if r is not None and not low.startswith(("not ", "no "), s.end + 1):
            return [_hit([(s.start, r.end())], text, s.text)]
    return []


_ANY = re.compile(rf"(?<![\w'-])(?:{_ROLE})(?![\w'-])")


def _hit(spans: list[tuple[int, int]], text: str, who: str) -> Hit:
    a, b = min(s for s, _ in spans), max(e for _, e in spans)
    return Hit("fault", spans, who=who, words=text[a:b], extra={"kind": "weak_link"})


EXPLAINED = {
    "weak_link": (
        "casts a person as the weak link of the system (the failure mode, the common factor). That view stops "
        "the review at the person; people are the ones who hold a system together, and the question is what "
        "made their work hard at that point",
        '"What made this step depend on one person getting it right, and what would catch it if they did not?"',
    ),
}
