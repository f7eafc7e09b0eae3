"""Passives that blame (`passive_blame`): with a person as the agent, any failure or damage ("got mangled by
the network team", "was pushed by Tariq without any review", "was allowed to expire by the people
responsible"); without an agent, a predicate only people fill ("the runbook was not followed"). The plan
carried out ("deleted by Hanne as part of the cleanup"), what reached a person ("was not seen by the
on-call") and a system as the agent ("skipped by the pipeline") stay neutral.
"""

from __future__ import annotations

import re

from incidents.review.blameless import lexicon as lx
from incidents.review.blameless.hits import Hit
from incidents.review.blameless.neutral import NEGATED_BEFORE, PERCEIVED
from incidents.review.blameless.parse import PERSONISH, Clause


def _alt(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w'-])(?:{'|'.join(f'(?:{p})' for p in patterns)})(?![\w']|-[a-z])")


PERSON_ONLY = _alt(lx.FAILURE_PERSON_ONLY)
GENERAL = _alt(lx.FAILURE_GENERAL)
PASSIVE = re.compile(
    rf"(?<![\w'])({lx.PASSIVE_AUX})(?: (?:not|never|also|again|then|even|\w+ly))* ({lx.PASSIVE_PERSON_ONLY})(?![\w'])"
)
PASSIVE_ANY = re.compile(
    rf"(?<![\w'])({lx.PASSIVE_AUX})(?: (?:not|never|\w+ly))* ([a-z]+(?:ed|en|wn|ne)|[a-z]+ up|made|done|left|set|put|sat on|cut|let|lost|sent|kept|held|built)\b"
)
# Participles of damage: with a person as the agent of the passive, the person is the cause ("got mangled
# by the network team", "was left open by the analytics team", "was taken down by Gregor")
DAMAGED = re.compile(
    r"(?:wreck|mangl|trash|nuk|clobber|botch|hos|bork|fri|corrupt|trampl|butcher|expos|leak|wip|overwr|fumbl|bungl|flubb|"
    r"truncat|brick|torch|screw|mess)\w*|(?:taken|brought|knocked|blown|shut|pulled) (?:down|over|out|away|offline)|"
    r"left (?:open|exposed|unlocked|public|unpatched|unprotected|unencrypted|world-readable|running|broken)"
)
DAMAGED_PASSIVE = re.compile(
    rf"(?<![\w'])({lx.PASSIVE_AUX})(?: (?:\w+ly|all|completely))* ({DAMAGED.pattern})"
)
# The plan carried out: a routine act on stale things, or as part of planned work
_ROUTINE = re.compile(
    r"(?<![\w'])(?:stale|unused|obsolete|expired|orphaned|retired|leftover|temporary|duplicate)(?![\w'])"
)
_AS_PLANNED = re.compile(
    r"(?<![\w'])(?:as planned|as part of the (?:clean-?up|plan|migration|decommission\w*)|as agreed|as intended|"
    r"for the (?:planned|scheduled) (?:maintenance|work|migration))(?![\w'])"
)
_ELIDED_PASSIVE = re.compile(r"((?:then|also|later|again|just|promptly) )*([a-z]+(?:ed|en|wn|ne))(?= by\b)")
_FAULTY_SUBJECT = re.compile(
    r"(?<![\w'])(?:the wrong|mistakes?|errors?|blunders?|bad (?:call|decision)s?)(?![\w'])"
)
_CARELESSLY = re.compile(
    r"\s+to (?:expire|lapse|slip|rot|fill up|run out|die|drift|go stale)\b|(?<![\w'])(?:without|w/o) (?:any |a |so much as a )?"
    r"(?:review|testing|tests|asking|telling anyone|checking|approval|second thought|thought|warning|looking|reading|"
    r"ticket|change request|sign-?off|plan)\b"
)
_BROKEN = frozenset({"broken", "overwritten", "undone", "taken down", "blown away", "wiped out", "torn down"})
# A response held up by a person: "The escalation was delayed by an engineer", "The fix was held up by a reviewer"
_DELAYS = frozenset({"delayed", "held up", "stalled", "slowed", "blocked", "sat on", "put off", "postponed"})
_RESPONSES = re.compile(
    r"(?<![\w'-])(?:fix|fixes|escalation|response|rollback|revert|page|ticket|recovery|mitigation|patch|hotfix|"
    r"failover|restore|investigation|incident call|decision)(?![\w'])"
)


def first(pattern: re.Pattern[str], low: str, start: int, end: int) -> re.Match[str] | None:
    """The first match in low[start:end] that is not negated by the word before it ("without dropping a
    single request", "avoided breaking"): a failure said not to have happened."""
    for m in pattern.finditer(low, start, end):
        if not NEGATED_BEFORE.search(low, max(start, m.start() - 12), m.start()):
            return m
    return None


def find(text: str, low: str, c: Clause) -> list[Hit]:
    """The passive hits of one clause (offsets as in `low`)."""
    s = c.subject
    ce = c.end
    out: list[Hit] = []
    if c.agent is not None:
        m = first(PASSIVE_ANY, low, c.start, ce) or first(DAMAGED_PASSIVE, low, c.start, ce)
        if m is None and s.inherited:
            m = _ELIDED_PASSIVE.match(low, c.verb_start)  # "... was acknowledged and then ignored by Piet"
        damaged = m is not None and DAMAGED.match(low, m.start(2)) is not None
        if (
            m is not None
            and (_ROUTINE.search(low, c.start, m.start()) or _AS_PLANNED.search(low, m.end(), ce))
            and not PERSON_ONLY.search(low, m.start(2), ce)
        ):
            m = None  # "The stale branches were deleted by Hanne as part of the cleanup": the plan carried out
        fails = m is not None and (
            damaged
            or GENERAL.search(low, m.start(2), m.end(2))
            or _FAULTY_SUBJECT.search(
                low, c.start, m.start()
            )  # "Mistakes were made by", "the wrong host was"
            or m.group(2) in _BROKEN
            or _CARELESSLY.search(low, m.end(), ce)  # "was pushed by Tariq without any review"
            or (m.group(2) in _DELAYS and _RESPONSES.search(low, c.start, m.start()) is not None)
            or PERSON_ONLY.search(low, m.start(2), ce)
            or (
                re.search(r"\b(?:not|never)\b", m.group(0))
                is not None  # "were never verified by the ops team"
                and PERCEIVED.fullmatch(m.group(2))
                is None  # not "was not seen by the on-call": what reached them
            )
        )
        if m is not None and fails:
            out.append(
                Hit(
                    "passive_blame",
                    [(m.start(), m.end()), (c.agent.start, c.agent.end)],
                    who=c.agent.text,
                    predicate=text[m.start(2) : m.end(2)],
                    rest=text[c.start : m.start()].strip(),
                    words=text[m.start() : c.agent.end],
                )
            )
            return out
    if s.kind not in PERSONISH:
        m = first(PASSIVE, low, c.start, ce)
        if m is not None and m.group(2).endswith(" by") and low[m.end() : ce].strip():
            m = None  # "skipped by the pipeline": a system as the agent (a person agent was handled above)
        if m is not None:
            out.append(
                Hit(
                    "passive_blame",
                    [(m.start(), m.end())],
                    predicate=text[m.start(2) : m.end(2)],
                    rest=text[c.start : m.start()].strip(),
                    words=text[m.start() : m.end()],
                )
            )
    return out
