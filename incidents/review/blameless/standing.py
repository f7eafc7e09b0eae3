"""A person's or a team's standing judged: their state during the incident, and their credibility after it.

Dekker's Field Guide to Understanding Human Error counts these among the judgements that replace an
explanation: a state ascribed to people ("complacent", "asleep at the wheel", "not thinking"), a reaction
called too much ("their overreaction"), and the "bad apple" verdict on a team's credibility ("nobody believes
ops any more", "has cried wolf", "burned through whatever trust we had"). None needs a failure verb, so the
clause parts miss them. The shapes, each tied to a person or a team found in the sentence:

- a state after a linking verb (`judgement`): "the on-call team was asleep at the wheel", "the platform
  team stayed completely silent while customers were down", "the database team simply wasn't thinking";
- a state noun the person owns (`judgement`): "their overreaction", "the networking team's apathy", "the
  indifference of the infra team";
- credibility lost, and doubt aimed at the person (`trust`): "the database team has no credibility left",
  "nobody believes the security team's alerts", "we can't count on the mobile team", "the platform team's
  word counts for very little".

The neutral side: the same words about a system ("the disk alert was silent because its threshold was
99%", "the autoscaler overreacted", "nobody believes the disk alert any more", "we can't count on staging"),
where a person was ("Marta was off shift and asleep"), and "we" (the writers' own team is the review).
"""

from __future__ import annotations

import re

from incidents.review.blameless import lexicon as lx
from incidents.review.blameless.hits import Hit
from incidents.review.blameless.parse import Clause, Names, Subject
from incidents.review.blameless.supervised import people, person_at
from incidents.review.blameless.tokens import Token


def _alt(name: str) -> str:
    return lx.alternation(name)


_LINK = re.compile(
    r"\s*(?:(?:\w+ly|just|simply|still|again|all|both|themselves|himself|herself) )*"
    r"(?:was|were|is|are|'s|'re|stayed|stay|stays|went|go|goes|remained|remains|seemed|seems|looked|looks|"
    r"appeared|appears|got|kept|fell|has been|have been|had been|has gone|have gone|had gone)(?![\w'])"
)
_STATE = re.compile(rf"\s*(?:(?:\w+ly|so|too|all|just|simply|still) )*(?:{_alt('judged_states')})")
_STATE_NOUN = re.compile(rf"(?<![\w'-])(?:{_alt('judged_state_nouns')})(?![\w'-])")
# "the indifference of the infra team", "overreaction from the SRE", "inaction on the part of ops"
_OWNED_BY = re.compile(r"\s+(?:of|from|by|on the part of|shown by|among) ")
_OWNER_BEFORE = re.compile(
    r"(?:(?<![\w'])(?:his|her|their)|'s|s') (?:(?:[\w-]+ly|total|complete|utter|sheer) )?$"
)
_CREDIBILITY = re.compile(
    rf"\s*(?:(?:\w+ly|just|simply|now|already|has|have|had|'s|'ve) )*(?:{_alt('credibility')})"
)
_CREDIBILITY_ANYWHERE = re.compile(rf"(?<![\w'-])(?:{_alt('credibility')})")
_DOUBTED = re.compile(rf"(?<![\w'-])(?:{_alt('doubted')})\s+")
_SELF = frozenset({"we", "us", "our", "i", "me", "my"})


def find(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """The hits of these shapes in one sentence (offsets as in `low`)."""
    if not clauses:
        return []
    tokens = [t for c in clauses for t in c.tokens]
    found = [(who, np) for who, np in people(tokens, names) if np and np[0].low not in _SELF]
    out: list[Hit] = []
    for who, np in found:
        end = _phrase_end(low, np)
        link = _LINK.match(low, end)
        if link is not None:
            state = _STATE.match(low, link.end())
            if state is not None and not _conditional(low, np[0].start):
                out.append(
                    _hit("judgement", [(np[0].start, np[-1].end), state.span()], text, who.text, "state")
                )
                break
        owned = [np[k + 1].start for k, t in enumerate(np[:-1]) if t.low.endswith(("'s", "s'"))]
        cred = next(
            (c for c in (_CREDIBILITY.match(low, at) for at in [end, *owned]) if c is not None), None
        )  # "the platform team has no credibility left", "the backend team's estimates mean nothing"
        if cred is not None:
            out.append(_hit("trust", [(np[0].start, np[-1].end), cred.span()], text, who.text, "credibility"))
            break
    out.extend(_owned_states(text, low, tokens, found))
    out.extend(_doubted(text, low, tokens, names))
    return out[:1] if out else []


def _phrase_end(low: str, np: list[Token]) -> int:
    """Where the person phrase ends, past a possessive's object ("the QA team's sign-off", "ops' word")."""
    end = np[-1].end
    if np[-1].low.endswith(("'s", "s'")):
        m = re.match(r"\s*(?:[\w-]+ ){0,2}?[\w-]+", low[end:])
        return end + (m.end() if m else 0)
    return end


def _owns(np: list[Token], at: int) -> bool:
    """Whether the person phrase `np` has a possessive right before character `at` ("the networking team's
    apathy": the phrase reaches over what it owns)."""
    return any(t.low.endswith(("'s", "s'")) and 0 <= at - t.end <= 1 for t in np)


def _conditional(low: str, at: int) -> bool:
    return (
        re.search(r"(?<![\w'])(?:if|unless|whether)\s+(?:\S+\s+){0,3}$", low[max(0, at - 40) : at])
        is not None
    )


def _owned_states(
    text: str, low: str, tokens: list[Token], found: list[tuple[Subject, list[Token]]]
) -> list[Hit]:
    for m in _STATE_NOUN.finditer(low):
        before = low[max(0, m.start() - 40) : m.start()]
        owner = _OWNER_BEFORE.search(before)
        if owner is not None:
            # "their overreaction", "the networking team's apathy": a pronoun, or the person phrase before it
            if owner.group(0).startswith(("his", "her", "their")):
                return [_hit("judgement", [m.span()], text, "", "state")]
            for who, np in found:
                if _owns(np, m.start()) or (
                    np[-1].end <= m.start() and not low[np[-1].end : m.start()].strip(" '")
                ):
                    return [_hit("judgement", [(np[0].start, m.end())], text, who.text, "state")]
        by = _OWNED_BY.match(low, m.end())
        if by is not None:
            for who, np in found:
                if 0 <= np[0].start - by.end() <= 4:
                    return [_hit("judgement", [m.span(), (np[0].start, np[-1].end)], text, who.text, "state")]
    return []


def _doubted(text: str, low: str, tokens: list[Token], names: Names) -> list[Hit]:
    for m in _DOUBTED.finditer(low):
        person = person_at(tokens, m.end(), names)
        if person is not None and person[1][0].low not in _SELF:
            who, np = person
            return [_hit("trust", [m.span(), (np[0].start, np[-1].end)], text, who.text, "doubted")]
    return []


def _hit(rule: str, spans: list[tuple[int, int]], text: str, who: str, kind: str) -> Hit:
    spans = [(a, b) for a, b in spans if b > a]
    a, b = min(s for s, _ in spans), max(e for _, e in spans)
    return Hit(rule, spans, who=who, words=text[a:b].strip(), extra={"kind": kind})


EXPLAINED = {
    "state": (
        "describes a person's or a team's state or conduct as the problem (asleep at the wheel, not thinking, "
        "indifferent). A state explains nothing about what they saw, or why acting otherwise did not seem needed",
        '"What did they see at that moment, and what would have drawn their attention to it?"',
    ),
    "credibility": (
        "judges a person's or a team's credibility. Trust that is lost points at people, not at the signals, "
        "checks and handovers that would make their word easy to verify",
        '"What would let anyone check this signal or sign-off for themselves?"',
    ),
    "doubted": (
        "doubts a person or a team rather than what they produce. Whether a signal deserves belief is a "
        "question about the signal, its noise and how it is checked",
        '"What makes this signal hard to believe, and how would we make it easy to check?"',
    ),
}
