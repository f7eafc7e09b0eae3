"""An ordinary act framed as THE cause: the act is neutral, the frame makes the person the cause (`fault`).

Dekker's Field Guide calls it the search for a "root cause" that stops at a person: the verb can be anything
("restarted", "merged", "clicked promote"); what blames is that the sentence names the person or the
person's act as the cause, the reason or the culprit. The frames:

- a person, a person's act ("the reviewer's approval", "Sky's change") or a person doing something ("Jonas
  merging the PR") as the subject of "is the reason", "is why", "is what took down", "is the culprit": the
  reason and "what" frames need an outcome that went wrong after them, so credit stays credit ("Kim is the
  reason we caught it early", "Omar's drill is what saved us");
- a cause noun whose complement is a clause about a person: "The root cause is that someone ran the cron";
  what a person was not given or could not see is the system's gap ("... is that the on-call had no way to
  see the lag");
- a person's act, then "that's the (root) cause", "that's the incident" ending the sentence;
- a cause label then a person: "Primary cause: the engineer scaled ...".

Each keeps the person's words and the frame's words as spans.
"""

from __future__ import annotations

import re

from incidents.review.blameless import lexicon as lx
from incidents.review.blameless.hits import Hit
from incidents.review.blameless.parse import PERSONISH, Clause, Names, Subject, Token
from incidents.review.blameless.people import person_np

_ACTS = lx.ACTION_NOUNS | lx.FAULT_NOUNS | lx.JUDGED_ACTS
_PEOPLE = frozenset({"person", "team"})
_CAUSE_WORDS = r"(?:reason|cause|culprit|trigger|source of (?:the|this|our) (?:outage|incident|problem)s?)"
_ADJ = (
    r"(?:(?:real|root|main|primary|whole|actual|only|sole|biggest|single|underlying|direct|proximate|sole) )*"
)
# After the subject: a copula and the frame ("is the reason", "was why", "'s what took down", "is the culprit")
MADE_CAUSE = re.compile(
    r"(?:(?:to|of|on|in|for|with|against|during|at) (?:[\w#'.-]+ ){1,5}?)?"  # "Sky's change to the rules is ..."
    r"(?:is|was|are|were|'s|'re|has been|had been|=)(?: (?:\w+ly|just|all|really|still|again|100%))*"
    rf" (?:(?P<inherent>(?:the |a |an )?{_ADJ}(?:culprit|cause|trigger)s?\b(?! (?:analysis|category|code)))|"
    rf"(?P<reason>(?:the |a |an |one )?{_ADJ}reasons?\b(?: (?:that|why))?|why|what (?:\w+ly )?"
    r"(?!(?:we|i|you|they|he|she|it|the|a|an|is|was|are|were|makes|keeps|kept|made|people|everyone)\b)(?=[a-z])))"
)
GOOD_OUTCOME = re.compile(rf"(?<![\w'-])(?:{lx.alternation('good_outcome')})(?![\w'])")
# "The root cause (of the outage) is that ...": the clause after "that" names the cause
_CAUSE_THAT = re.compile(r"(?:is|was|'s|=)(?: (?:simply|just|really|basically|ultimately|probably))* that\b")
# What a person was not given, could not see or did not know at the time: the system's gap, not their act
_NOT_GIVEN = re.compile(
    r"(?:\w+ly )?(?:had no|didn't have|did not have|couldn't|could not|wasn't|was not|weren't|were not|"
    r"never got|never had|never saw|had not been|hadn't been|received|got|was given|were given|was told|"
    r"were told|was shown|were shown|was paged|were paged|saw|had to|was following|were following|followed)\b"
)
# "..., that's the root cause", "... and that was the incident" ending the sentence
POINTER = re.compile(
    r"(?:(?:and|so) )?(?:that'?s|that is|that was|this is|this was|which is|which was|there'?s)(?: (?:\w+ly|all|just|really))*"
    rf" (?:the |your |our )?{_ADJ}(?:cause|reason|culprit|problem|incident|outage|whole story|rca|trigger|story)"
    r"(?: (?:right )?there| here| in a nutshell| for you)?\s*(?:[,.;:!?]|(?:period|full stop|done|end of story)\b|$)"
)
# "Primary cause: the engineer ...": a cause label with its adjectives
_LABEL = re.compile(
    rf"\W*(?:the )?{_ADJ}(?:(?:probable|likely|most likely|immediate|ultimate|contributing) )?"
    r"(?:root cause|cause|rca|culprit|reason|trigger|contributing factor)s?\s*(?:[:=]|-+|\u2014)\s*"
)


def find(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """The hits of these frames in one sentence (offsets as in `low`)."""
    if not clauses:
        return []
    return (
        _subject_made_cause(text, low, clauses, names)
        or _cause_is_that(text, low, clauses)
        or _pointed(text, low, clauses)
        or _labelled(text, low, [t for c in clauses for t in c.tokens], names)
    )


def _actor(c: Clause, names: Names) -> Subject | None:
    """The person behind the clause's subject: a person, a person's act, or a person doing something."""
    s = c.subject
    if s.kind in _PEOPLE and (not s.possessed or s.possessed in _ACTS or s.possessed.endswith("ing")):
        return s
    if s.kind in ("system", "none") and not s.inherited:
        toks = [t for t in c.tokens if s.start <= t.start < s.end]
        for k, t in enumerate(toks[:-1]):
            person = t.low in lx.ROLE_NOUNS or t.low in lx.TEAM_NOUNS or t.low in lx.OBJECT_PRONOUNS
            person = person or (t.cap and names.is_name(t.text) and t.low not in lx.PRODUCTS)
            if person and toks[k + 1].low.endswith("ing") and len(toks[k + 1].low) > 4:
                return Subject("person", t.start, toks[k + 1].end, s.text)  # "Jonas merging the PR"
            if t.low in lx.DETERMINERS or t.low in lx.PREPOSITIONS:
                continue
    return None


def _subject_made_cause(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """ "Frank is the reason the queue backed up", "Sky's change is what killed images", "Pat's the culprit"."""
    for c in clauses:
        if c.opener == "if" or c.inverted:
            continue
        who = _actor(c, names)
        if who is None:
            continue
        at = c.verb_start
        if at > 0 and low[at - 1] == "'" and low[at - 2 : at] != "s'":
            at -= 1
        m = MADE_CAUSE.match(low, at)
        if m is None:
            continue
        end = clauses[-1].end
        if m.group("reason") is not None and (
            not re.search(r"[a-z]", low[m.end() : end]) or GOOD_OUTCOME.search(low, m.end(), end)
        ):
            continue  # "Kim is the reason we caught it early": credit, not cause
        spans = [(who.start, who.end), (m.start(), m.end())]
        return [Hit("fault", spans, who=who.text, words=text[m.start() : m.end()], extra={"kind": "framed"})]
    return []


def _cause_is_that(text: str, low: str, clauses: list[Clause]) -> list[Hit]:
    """ "The root cause of this outage is that someone ran the cleanup cron manually"."""
    for k, c in enumerate(clauses[:-1]):
        words = [w for w in c.subject.text.lower().replace("-", " ").split()]
        head = next((w for w in words if w in lx.CAUSE_NOUNS), None)
        if head is None or c.subject.kind not in ("system", "none"):
            continue
        m = _CAUSE_THAT.match(low, c.verb_start)
        nxt = clauses[k + 1]
        if m is None or nxt.opener != "that" or nxt.subject.kind not in _PEOPLE or nxt.subject.possessed:
            continue
        if _NOT_GIVEN.match(low, nxt.verb_start):
            continue  # "... is that the on-call had no way to see the lag": the system's gap
        s = nxt.subject
        spans = [(c.start, m.end()), (s.start, s.end)]
        return [Hit("fault", spans, who=s.text, words=text[c.start : s.end], extra={"kind": "framed"})]
    return []


def _pointed(text: str, low: str, clauses: list[Clause]) -> list[Hit]:
    """A person's act, then "that's the root cause" ending the sentence."""
    for k, c in enumerate(clauses[1:], 1):
        m = POINTER.search(low, c.start, clauses[-1].end + 1)
        if m is None or re.search(r"[a-z]", low[m.end() : clauses[-1].end]):
            continue
        person = next((d for d in clauses[:k] if d.subject.kind in _PEOPLE and d.verb_start < d.end), None)
        if person is None or _NOT_GIVEN.match(low, person.verb_start):
            continue
        s = person.subject
        spans = [*([(s.start, s.end)] if not s.inherited else []), (m.start(), m.end())]
        return [Hit("fault", spans, who=s.text, words=text[m.start() : m.end()], extra={"kind": "framed"})]
    return []


def _labelled(text: str, low: str, tokens: list[Token], names: Names) -> list[Hit]:
    """ "Primary cause: the engineer scaled the deployment down to zero"."""
    m = _LABEL.match(low)
    if m is None or m.end() >= len(low):
        return []
    found = person_np(tokens, m.end(), names)
    if found is None or found[1][0].start != m.end() or found[0].possessed:
        return []
    who, np = found
    spans = [(m.start(), m.end()), (np[0].start, np[-1].end)]
    return [
        Hit(
            "fault", spans, who=who.text, words=text[m.start() : np[-1].end].strip(), extra={"kind": "framed"}
        )
    ]


__all__ = ["MADE_CAUSE", "PERSONISH", "POINTER", "find"]
