"""Frames that name a person, or a person's act or work, as the cause or the fault (issue 17's sixth pass),
beside `caused.py` (what an act set off):

- clefts: "It was Hector's restart of the broker that set the whole thing off", "What broke it was Saoirse
  switching the DNS provider", "The deploy Femke started at 17:50 is what took the API down";
- a person with a relative clause as the cause: "The engineer who ran the script is the reason the table is
  gone" (not "... is the reason we recovered");
- a system that did what a person gave it: "Jenkins built exactly what Callum pushed, broken tests and all";
- a failure "because of" a person, nothing after them; a fault said to be someone's ("The error was Greta's");
- judged work or decisions as the agent ("caused by shoddy work from the contractor", "made worse by poor
  decisions on the bridge"), and owning the failure ("so he owns the outage"; not "owns the incident review").
"""

from __future__ import annotations

import re

from incidents.review.blameless import lexicon as lx
from incidents.review.blameless.caused import _DENIED, _GERUND, _hit, _people
from incidents.review.blameless.hits import Hit
from incidents.review.blameless.parse import Clause, Names, Token
from incidents.review.blameless.pinned import GOOD, RESCUE_ACTS, WENT_WRONG, _acted, _person

# What did the damage, as a judged piece of work or judged decisions ("caused by shoddy work from the
# contractor", "made far worse by poor decisions on the bridge")
_JUDGED = "|".join(sorted(lx.JUDGING_ADJECTIVES))
_BAD_AGENT = re.compile(
    r"(?<![\w'])(?:caused|triggered|made (?:\w+ )?worse|worsened|prolonged|compounded|dragged out|extended|"
    r"brought on|driven|made possible) by (?:a |an |the |some |several |a (?:series|string|couple) of )?"
    rf"(?:(?:{_JUDGED})(?: [\w-]+)?|(?:poor|bad|questionable|terrible|hasty|rash|dubious|lousy|awful)(?: [\w-]+)? "
    r"(?:decisions?|calls?|choices?|judge?ments?|work|handling|planning|coordination|communication|leadership))\b"
)
_JUDGED_WORK_BY = re.compile(
    rf"(?<![\w'-])(?:{_JUDGED}) (?:[\w-]+ )?(?:work|job|change|changes|config|configuration|handling|code|review|"
    r"testing|planning|fix|patch|migration|rollout|script|cabling|wiring) (?:by|from) "
)
# A person said to own the failure itself: "so he owns the outage"
_OWNS = re.compile(
    r"(?<![\w'])(?:owns|owned|own|is on the hook for|are on the hook for|answers for|has to answer for|wears) "
    r"(?:this|that|the|all of (?:this|that|the)|every bit of (?:this|that|the))? ?(?:whole |entire )?"
    r"(?:outage|incident|failure|mess|downtime|breakage|disaster|fallout|damage|data loss)(?! (?:review|follow|report|"
    r"doc|retro|postmortem|ticket|channel|comms|timeline|response|process|action))\b"
)


def _judged_agent(text: str, low: str, clauses: list[Clause], tokens: list[Token], names: Names) -> list[Hit]:
    m = _BAD_AGENT.search(low)
    if m is not None and not _DENIED.search(low, max(0, m.start() - 12), m.start()):
        return [Hit("judgement", [m.span()], words=text[m.start() : m.end()])]
    for m in _JUDGED_WORK_BY.finditer(low):
        found = _person(tokens, m.end(), names)
        if found is not None and not found[0].possessed:
            return [
                Hit(
                    "judgement",
                    [(m.start(), found[1][-1].end)],
                    who=found[0].text,
                    words=text[m.start() : found[1][-1].end],
                )
            ]
    for c in _people(clauses):
        o = _OWNS.search(low, c.verb_start, c.end)
        if o is not None and not _DENIED.search(low, c.verb_start, o.start()):
            return [_hit([(c.subject.start, c.subject.end), o.span()], text, c.subject.text)]
    return []


# "The engineer who ran the script is the reason the table is gone": a person, a relative clause, then the
# person named as the cause
_WHO = re.compile(r"\s*,?\s*(?:who|that)\s+")
_IS_THE_CAUSE = re.compile(
    r",?\s(?:is|was|'s)(?: \w+ly)? (?:the |our )?(?:(?:real|root|main|whole|actual|only|true|primary|biggest) )*"
    r"(?:cause|reason|culprit|problem|issue)\b"
)


def _who_is_the_cause(text: str, low: str, tokens: list[Token], names: Names) -> list[Hit]:
    found = _person(tokens, tokens[0].start, names) if tokens else None
    who = _WHO.match(low, found[1][-1].end) if found is not None else None
    if found is None or found[0].possessed or who is None:
        return []
    cause = _IS_THE_CAUSE.search(low, who.end(), who.end() + 90)
    if cause is None or _DENIED.search(low, who.end(), cause.start()):
        return []
    if RESCUE_ACTS.match(low, who.end()) or GOOD.search(low, cause.end()):
        return []  # "The engineer who caught the bug is the reason we recovered": credit
    return [_hit([(found[1][0].start, found[1][-1].end), cause.span()], text, found[0].text)]


# A failure "because of" a person, nothing after them: "The Kafka cluster went down because of Beatriz"
_BECAUSE_OF = re.compile(r"(?<![\w'])(?:because of|due to|owing to|all down to|on account of) ")
_CLAUSE_END = re.compile(r"\s*(?:[.;:!?,]|$|again\b|(?:and|but|so) )")


def _because_of(text: str, low: str, tokens: list[Token], names: Names) -> list[Hit]:
    for m in _BECAUSE_OF.finditer(low):
        found = _person(tokens, m.end(), names)
        if found is None or found[0].possessed or not WENT_WRONG.search(low, 0, m.start()):
            continue
        if _CLAUSE_END.match(low, found[1][-1].end) and not GOOD.search(low, 0, m.start()):
            return [_hit([(m.start(), found[1][-1].end)], text, found[0].text)]
    return []


# A fault said to be a person's: "The error was Greta's", "the blame is Rose's", "the mistake was his"
_THEIRS = re.compile(
    r"(?<![\w'])(?:the |this |that )?(?:error|mistake|fault|blame|blunder|slip|typo|screw-?up|mess-?up|oversight)s? "
    r"(?:was|is|were|are)(?: all| entirely| solely| 100%)? (?P<who>his|hers|theirs|[\w-]+'s)(?![\w'])"
)


def _theirs(text: str, low: str, tokens: list[Token], names: Names) -> list[Hit]:
    m = _THEIRS.search(low)
    if m is None or _DENIED.search(low, max(0, m.start() - 15), m.start("who")):
        return []
    who = m.group("who")
    owner = text[m.start("who") : m.end("who") - 2]
    person = names.is_name(owner) or owner.lower() in lx.ROLE_NOUNS | lx.TEAM_NOUNS
    if who not in ("his", "hers", "theirs") and not person:
        return []  # "The error was the parser's"
    return [_hit([m.span()], text, who)]


# A system that did what a person gave it: "Jenkins built exactly what Callum pushed, broken tests and all",
# "GitHub Actions ran what Rowan committed: a workflow that deleted the cache bucket"
_DID_WHAT = re.compile(
    r"(?<![\w'])(?:ran|built|deployed|executed|applied|did|shipped|released|served|synced)(?: exactly| precisely| just| only)? "
    r"what "
)
_GIVEN = re.compile(
    r"\s*(?:committed|pushed|wrote|merged|told it|asked (?:it )?for|configured|gave it|set|typed|entered)\b"
)
_BROKEN_THING = re.compile(
    r"(?<![\w'-])(?:broken|untested|deleted|wiped|dropped|destroyed|corrupt\w*|nothing|empty|blank|garbage)(?![\w'])"
)


def _did_what(text: str, low: str, clauses: list[Clause], tokens: list[Token], names: Names) -> list[Hit]:
    for m in _DID_WHAT.finditer(low):
        own = next((c for c in clauses if c.start <= m.start() <= c.end), None)
        found = _person(tokens, m.end(), names)
        if own is None or own.subject.kind not in ("system", "product") or found is None:
            continue
        given = _GIVEN.match(low, found[1][-1].end)
        if given is not None and (
            WENT_WRONG.search(low, given.end()) or _BROKEN_THING.search(low, given.end())
        ):
            return [_hit([(m.start(), given.end())], text, found[0].text)]
    return []


# Clefts that name the act as the cause: "It was Hector's restart of the broker that set the whole thing off",
# "What broke it was Saoirse switching the DNS provider", "The deploy Femke started at 17:50 is what took the
# API down"
_IT_WAS = re.compile(r"\W*(?:it|this|that)(?: was|'s| is) ")
_THAT_DID = re.compile(
    r"(?:(?:of|on|to|in) (?:the |a |an |our )?(?:[\w-]+ ){0,2})?(?:that|which) (?:\w+ly )?(?:set (?:[\w-]+ ){0,3}?off|kicked (?:[\w-]+ ){0,3}?off|started (?:it|this|the)|"
    r"triggered|caused|broke|took (?:[\w-]+ ){0,3}?down|brought (?:[\w-]+ ){0,3}?down|knocked)\b"
)
_WHAT_DID = re.compile(
    r"\W*what (?:really |actually |finally |first )?(?:broke|caused|triggered|took down|killed|started|set off|kicked off)"
    r"(?: (?:it|this|that|everything|things|the \w+))? (?:was|is) "
)
_THE_ACT = re.compile(rf"\W*the (?:[\w-]+ )?(?:{'|'.join(sorted(lx.ACTION_NOUNS))}) ")
_IS_WHAT = re.compile(
    r"(?:[\w':-]+ ){0,5}?(?:is|was) (?:what|why) (?:\w+ ){0,2}?(?:took|broke|knocked|brought|caused|killed|emptied|wiped|stalled)\b"
)


def _cleft(text: str, low: str, tokens: list[Token], names: Names) -> list[Hit]:
    for frame, after in ((_IT_WAS, _THAT_DID), (_WHAT_DID, None)):
        m = frame.match(low)
        found = _person(tokens, m.end(), names) if m is not None else None
        if m is None or found is None:
            continue
        who, np = found
        end = np[-1].end
        if after is not None:
            did = after.match(low, end + 1) if not who.possessed or who.possessed in lx.ACTION_NOUNS else None
        else:
            did = _GERUND.match(low, end + 1) if not who.possessed else None
            did = did or (
                re.match(r"[.!]?$", low[end:].strip()) if who.possessed in lx.ACTION_NOUNS else None
            )
        if did is not None and not RESCUE_ACTS.match(low, end + 1):
            return [_hit([(m.start(), max(end, m.end()))], text, who.text)]
    m = _THE_ACT.match(low)
    found = _person(tokens, m.end(), names) if m is not None else None
    if m is not None and found is not None and not found[0].possessed:
        act = _acted(low, found[1][-1].end + 1)
        what = _IS_WHAT.match(low, act.end() + 1) if act is not None else None
        if what is not None:
            return [_hit([(m.start(), what.end())], text, found[0].text)]
    return []


def find(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """The hits of these frames in one sentence (offsets as in `low`)."""
    if not clauses:
        return []
    tokens = [t for c in clauses for t in c.tokens]
    out: list[Hit] = []
    if " what " in low:
        out = _did_what(text, low, clauses, tokens, names)
    if not out and ("what" in low or " that " in low or " which " in low):
        out = _cleft(text, low, tokens, names)
    if not out and (" who " in low or " that " in low):
        out = _who_is_the_cause(text, low, tokens, names)
    if not out and WENT_WRONG.search(low):
        out = _because_of(text, low, tokens, names)
    if not out and (" by " in low or " from " in low or "own" in low or "answer" in low or "hook" in low):
        out = _judged_agent(text, low, clauses, tokens, names)
    if not out and ("'s" in low or " his" in low or "theirs" in low or "hers" in low):
        out = _theirs(text, low, tokens, names)
    return out
