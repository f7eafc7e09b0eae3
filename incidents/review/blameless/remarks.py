"""Remarks about a person that carry blame without a failure verb (issue 17's sixth pass):

- a person's record as the reason (`trust`): "given his track record", "considering Ana's history";
- reliance and rights in a person's own clause (`trust`): "the QA team can't be relied on", "Karim has lost
  the right to approve", "nobody trusts Diego's estimates";
- regret of trust shown by what followed (`trust`): "We gave the interns prod access and this is what we got";
- disbelief at a person (`hindsight`): "How could they not have noticed ...", "Even an intern would have
  known to ...";
- a person's feelings as the reason for an act (`judgement`): "because they find them annoying";
- sarcasm aimed at a person (`sarcasm`): epithets ("the network guys are real rocket scientists"), "that
  went so well last time", praise "of <person> to" do damage ("Truly heroic of the on-call to sleep through
  twelve pages"), praise or a mock award for a known bad practice ("to whoever pushed to prod on a Friday
  night", "Award for creative config management goes to Ellie, for editing prod by hand");
- lines as a punishment (`sanction`): "should write 'I will not deploy on Fridays' a hundred times".

The neutral side: a thing's record ("given the disk's track record"), a signal that can't be relied on, a
system asked about ("How could the monitor not have caught this?"), sincere thanks with a good practice,
and what a sentence says about us.
"""

from __future__ import annotations

import re

from incidents.review.blameless.across import mentions_person
from incidents.review.blameless.hits import Hit
from incidents.review.blameless.parse import Clause, Names, Token
from incidents.review.blameless.people import person_np
from incidents.review.blameless.pinned import GOOD, WENT_WRONG

_RECORD = re.compile(
    r"(?<![\w'])(?:given|considering|with|because of|in light of|judging by|based on) (?P<who>his|her|their|[\w-]+'s) "
    r"(?:\w+ )?(?:track record|history|record|past|reputation|form|pattern)(?![\w'])"
)
_RELIED = re.compile(
    r"(?:can't|cannot|can not|couldn't|could not|can no longer|won't|shouldn't|should not|no longer)(?: \w+ly)? "
    r"be (?:relied|counted|depended|banked) (?:up)?on\b"
    r"|(?:has|have|had) (?:\w+ )?lost (?:the|his|her|their|all|any) (?:right|rights|privilege|privileges) (?:to|of)\b"
)
_DISTRUSTED = re.compile(
    r"(?<![\w'])(?:nobody|no one|no-one|none of us|not one of us)(?: [\w'-]+){0,4}? (?:really |still |even )?"
    r"trusts? (?P<who>him|her|them|[\w-]+'s)\b"
)
_REGRET = re.compile(
    r"(?:,|\band)\s+(?:this|that|look at|look) (?:is |'s |was )?what (?:we got|we get|happens|happened|it got us)\b"
    r"|(?:,|\band)\s+look (?:at )?what happened\b"
)
_DISBELIEF = re.compile(
    r"(?<![\w'])how (?:on earth |in the world |the hell )?(?:could|did|do|does|can|would|is it possible)(?: on earth)? "
)
_MISSED_IT = re.compile(
    r"(?:possibly |really |even )?(?:not (?:have )?|n't (?:have )?|have |ever )?"
    r"(?:notic\w*|see|saw|seen|spot\w*|miss\w*|overlook\w*|ignor\w*|forg[eo]t\w*|know|knew|known|realis\w*|realiz\w*|"
    r"check\w*|think|thought|read)\b"
)
_EVEN_A = re.compile(
    r"(?<![\w'])even (?:a|an|the|my|our|your|some) (?:[\w-]+ ){0,2}?(?:intern|junior|new hire|trainee|student|child|kid|"
    r"toddler|first-year|grandmother|grandma|granny|monkey|beginner|newbie|graduate|grad|five-year-old|"
    r"5-year-old|chimp|summer student|work experience kid)s?(?: (?:engineer|dev|developer|admin|sre|dba|person))? "
    r"(?:(?:would|could|should)(?:n't)? (?:have|'ve)|would know|knows? (?:better|not to|to|how)|gets? it)\b"
)
_FEELINGS = re.compile(
    r"(?<![\w'])(?:because|since|as|cause|bc) (?:he|she|they|you|[a-z]+) (?:find|finds|found|thought|thinks|think|"
    r"felt|feels|feel|considered|considers|consider) (?:it|them|that|this|those|these|the \w+|\w+) (?:too |really |so )?"
    r"(?:annoying|boring|tedious|pointless|a waste of time|a hassle|inconvenient|a pain|unnecessary|irritating|"
    r"beneath (?:him|her|them)|too much (?:work|effort|hassle|bother)|optional)\b"
)
_EPITHETS = re.compile(
    r"(?<![\w'])(?:real|regular|true|absolute|total|proper|such|a bunch of|bunch of|our resident) "
    r"(?:rocket scientists?|geniuse?s?|einsteins?|brain surgeons?|masterminds?|prodig(?:y|ies)|wizards?|"
    r"rock ?stars?|ninjas?|10x (?:engineers?|devs?|developers?)|experts?|professionals?|pros)(?![\w'])"
)
_WENT_WELL = re.compile(
    r"(?<![\w'])(?:that|it|this) (?:went|worked out|turned out|ended) (?:so|really|super|just|oh so|sooo+) "
    r"(?:well|great|nicely|brilliantly|smoothly) (?:last time|before|the last time|the first time)"
)
_PRAISE_OF = re.compile(
    r"(?<![\w'])(?:truly |really |very |so |how )?(?:heroic|brave|bold|brilliant|genius|clever|smart|nice|"
    r"thoughtful|considerate|generous|impressive|inspired|inspiring|stellar|classy|professional|"
    r"responsible|mature|sweet) of "
)
_PRAISED = re.compile(
    r"(?<![\w'-])(?:thanks|thank you|cheers|kudos|bravo|congrats|congratulations|props|shout-?out|hats off|"
    r"(?:the )?(?:award|prize|trophy|medal|gold star|oscar)s? for (?:[\w'-]+ ){1,5}?goes to|well done|nice one|"
    r"(?:great|brilliant|excellent|stellar|amazing|fantastic|superb|top-notch|genius|inspired) (?:planning|thinking|"
    r"call|decision|idea|foresight|move|judge?ment))(?![\w'])"
)
# A practice a review knows as risky: "pushed to prod on a Friday night", "editing prod by hand"
_BAD_PRACTICE = re.compile(
    r"(?<![\w'])(?:(?:on|late on) a friday|friday (?:night|evening|afternoon)|by hand|straight (?:in)?to (?:prod|production|"
    r"main|master)|directly (?:on|in|to|into) (?:prod|production)|without (?:a |any )?(?:review|testing|tests|asking|"
    r"telling anyone|ticket|approval|reading|backup)|at 5 ?pm on|before (?:a|the) (?:holiday|long weekend)|"
    r"during (?:the )?(?:freeze|peak|black friday)|(?:didn't|did not|doesn't|does not|wouldn't) need (?:a |an |any )?"
    r"(?:[\w-]+ )?(?:test|tests|testing|review|backup|canary|rollback plan))(?![\w'])"
)
# The practice done with a change ("pushed to prod on a Friday night", "editing prod by hand"), not a person
# staying late on a Friday or keeping a line running by hand
_RISKY = re.compile(
    r"(?<![\w'])(?:push|deploy|merg|ship|edit|chang|patch|releas|hot-?fix|migrat|appl|restart|drop|delet|upgrad|"
    rf"rotat|roll|fiddl|tweak|hack|touch|schedul|decid|plann)\w* (?:[\w'-]+ ){{0,4}}?(?:{_BAD_PRACTICE.pattern})"
)
_LINES = re.compile(
    r"(?<![\w'])(?:write|writes|wrote|written|writing|copy|copies) (?:out )?(?:['\"\u2018\u201c].{1,70}?['\"\u2019\u201d]|"
    r"lines|it|that|this)(?: out)?(?: on (?:the|a) (?:board|whiteboard|wall))? (?:a hundred|100|a thousand|1000|fifty|50|"
    r"twenty|20|ten|10) times\b"
)
# "Is the night shift even capable of handling a failover?": a person's competence put as a question
_ASKED_ABLE = re.compile(r"\W*(?:is|are|was|were)\s+")
_ABLE = re.compile(
    r"\s*(?:even |really |actually |honestly |truly |remotely )?(?:capable|competent|qualified|able|ready|fit|"
    r"experienced enough|senior enough|trustworthy|up to)\b"
)
# "A bit of common sense from the DBA would have prevented this": care a person lacked, as the remedy
_SENSE = re.compile(
    r"(?<![\w'])(?:(?:a (?:bit|little|modicum|shred|grain|ounce) of|some|basic|any|more) )?(?:common sense|sense|"
    r"thought|care|diligence|attention|caution|thinking|forethought) (?:from|by|on the part of) "
)
_SELF = frozenset({"we", "i", "us", "me", "our", "my"})


def _hit(rule: str, spans: list[tuple[int, int]], text: str, who: str = "") -> Hit:
    a, b = min(s for s, _ in spans), max(e for _, e in spans)
    return Hit(rule, spans, who=who, words=text[a:b], extra={"kind": f"remark_{rule}"})


def _person_after(tokens: list[Token], at: int, names: Names) -> tuple[str, int] | None:
    found = person_np(tokens, at, names)
    if found is None or found[1][0].start - at > 1 or found[1][0].low in _SELF:
        return None
    return found[0].text, found[1][-1].end


def _trust(text: str, low: str, clauses: list[Clause], tokens: list[Token], names: Names) -> list[Hit]:
    m = _RECORD.search(low)
    if m is not None and (
        m.group("who") in ("his", "her", "their") or _person_after(tokens, m.start("who"), names) is not None
    ):
        return [_hit("trust", [m.span()], text)]
    for c in clauses:
        if c.subject.kind in ("person", "team") and not c.subject.possessed:
            r = _RELIED.search(low, c.verb_start, c.end)
            if r is not None:
                return [_hit("trust", [(c.subject.start, c.subject.end), r.span()], text, c.subject.text)]
    m = _DISTRUSTED.search(low)
    if m is not None and (
        m.group("who") in ("him", "her", "them") or _person_after(tokens, m.start("who"), names)
    ):
        return [_hit("trust", [m.span()], text)]
    r = _REGRET.search(low)
    if (
        r is not None
        and any(c.subject.kind in ("person", "team") for c in clauses if c.end <= r.start() + 1)
        or (r is not None and _others(low[: r.start()], tokens, names))
    ):
        return [_hit("trust", [r.span()], text)]
    return []


def _others(before: str, tokens: list[Token], names: Names) -> bool:
    """A person other than us named before (an object: "gave the interns prod access")."""
    return any(
        t.end <= len(before) and t.low not in _SELF and _person_after(tokens, t.start, names) is not None
        for t in tokens
    )


def _disbelief(text: str, low: str, tokens: list[Token], names: Names) -> list[Hit]:
    for m in _DISBELIEF.finditer(low):
        found = _person_after(tokens, m.end(), names)
        if found is None:
            continue
        missed = _MISSED_IT.match(low, found[1] + 1)
        negated = missed is not None and ("not" in missed.group(0) or "n't" in missed.group(0))
        if missed is not None and (
            negated or re.match(r"(?:have )?(?:miss|overlook|ignor|forg)", missed.group(0))
        ):
            return [_hit("hindsight", [(m.start(), missed.end())], text, found[0])]
    even = _EVEN_A.search(low)
    if even is not None:
        return [_hit("hindsight", [even.span()], text)]
    asked = _ASKED_ABLE.match(low)
    found = _person_after(tokens, asked.end(), names) if asked is not None else None
    able = _ABLE.match(low, found[1]) if found is not None else None
    if able is not None and found is not None:
        return [_hit("trust", [(asked.end(), able.end())], text, found[0])]  # type: ignore[union-attr]
    for m in _SENSE.finditer(low):
        found = _person_after(tokens, m.end(), names)
        if found is not None and re.match(r" would(?: have|'ve)\b", low[found[1] :]):
            return [_hit("judgement", [(m.start(), found[1])], text, found[0])]
    return []


def _sarcasm(text: str, low: str, clauses: list[Clause], tokens: list[Token], names: Names) -> list[Hit]:
    person = None
    for pattern in (_EPITHETS, _WENT_WELL):
        m = pattern.search(low)
        if m is not None:
            person = mentions_person(clauses, names) if person is None else person
            if person:
                return [_hit("sarcasm", [m.span()], text)]
    m = _PRAISE_OF.search(low)
    if m is not None:
        found = _person_after(tokens, m.end(), names)
        rest = low[found[1] :] if found else ""
        if found is not None and rest.startswith(" to ") and WENT_WRONG.search(rest) or _sleeps(rest):
            return [_hit("sarcasm", [(m.start(), found[1])], text, found[0])]  # type: ignore[index]
    m = _PRAISED.search(low)
    bad = _RISKY.search(low, m.end()) if m is not None else None
    if m is not None and bad is not None and not GOOD.search(low, bad.end()):
        return [_hit("sarcasm", [m.span(), bad.span()], text)]
    return []


def _sleeps(rest: str) -> bool:
    return re.match(r" to (?:\w+ly )?(?:sleep|nap|snooze|doze) through\b", rest) is not None


def find(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """The hits of these remarks in one sentence (offsets as in `low`)."""
    if not clauses:
        return []
    tokens = [t for c in clauses for t in c.tokens]
    out = _trust(text, low, clauses, tokens, names)
    out = out or _disbelief(text, low, tokens, names)
    f = _FEELINGS.search(low)
    if not out and f is not None:
        out = [_hit("judgement", [f.span()], text)]
    out = out or _sarcasm(text, low, clauses, tokens, names)
    lines = _LINES.search(low)
    if not out and lines is not None:
        out = [_hit("sanction", [lines.span()], text)]
    return out


EXPLAINED = {
    "remark_trust": (
        "is a remark on whether a person can be trusted. It moves the review from what happened to who the "
        "person is, and people who expect such remarks stop reporting",
        '"What safeguard would make this work safe whoever does it?"',
    ),
    "remark_hindsight": (
        "treats what is clear after the outcome as plain to the person at the time",
        '"What did the person see at that moment, and what made the signal easy to miss?"',
    ),
    "remark_judgement": (
        "gives a person's feelings as the reason for what they did. Ask what made the step seem unneeded",
        '"What made this step feel unnecessary, and how could the tool make it cheaper?"',
    ),
    "remark_sarcasm": (
        "is sarcasm aimed at people. Irony about a person is blame, and it tells the reader nothing about the "
        "system",
        '"Say what happened plainly, and what in the system allowed it."',
    ),
    "remark_sanction": (
        "proposes a punishment for a person as the remedy. A remedy changes the system, not the person",
        '"What change to the tooling would make this mistake hard to make?"',
    ),
}
