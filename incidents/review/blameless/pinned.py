"""A system's failure pinned on a person: the sentence concedes the system failed, then names a person's act
as why (`fault`). Dekker's Field Guide calls it stopping the search at a person; the act can be anything
("went to bed", "set the TTL to a week"), what blames is the causal frame that ties the failure to it:

- a failure, then "because", "since", "cause" (chat) and a person doing something: "Search stayed down for
  two hours because the on-call went to bed", "The failover did fail, but only because Hiroshi had disabled
  the health checks"; or "That's because <person> ..." pointing back at the failure;
- a result frame on a person's act: "a direct result of Amara's decision", "as a consequence of Ngozi's
  manual edit", "thanks to Pieter's config push";
- responsibility for damage: "The payments team is responsible for this outage", "Whoever merged that PR is
  responsible for the mess";
- the reason for a failure named as a person or a person's act: "The reason DNS failed was Agnieszka
  editing the zone file", "The only reason prod went down is Farhan".

The neutral side: a system after "because" ("because the disk filled up"); a person's rescue ("because
Hiroshi spotted it", "thanks to Rose's rollback"); what a person was not given, had to wait for or could not
see ("because the on-call had to wait for an approval"); a person's state or role ("because she was the
primary"); a good outcome ("We recovered quickly because ..."); a duty or a remedy owned ("responsible for
the follow-up items").
"""

from __future__ import annotations

import re

from incidents.review.blameless import lexicon as lx
from incidents.review.blameless.hits import Hit
from incidents.review.blameless.parse import Clause, Names, Subject, Token
from incidents.review.blameless.people import person_np


def _alt(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w'-])(?:{lx.alternation(name)})(?![\w']|-[a-z])")  # not "break-glass"


WENT_WRONG = _alt("went_wrong")
RESCUE_ACTS = re.compile(rf"(?:{lx.alternation('person_acts_rescue')})(?![\w'])")
GOOD = re.compile(
    rf"(?<![\w'-])(?:{lx.alternation('good_outcome')}|ended|came back|resolved|was back)(?![\w'])"
)
_CAUSAL = frozenset({"because", "cause", "'cause", "cuz", "coz", "bc", "b/c", "since"})
# "That's because ...", "This was only because ...": pointing back at the failure told before
_POINTING = re.compile(
    r"\W*(?:that|this|it|which)(?:'s| is| was)(?: (?:only|just|simply|all|entirely|purely|mostly|really))* because\b"
)
# After a person: a short phrase of their own ("on the web team", "on shift", "who was on call")
_TRAILING_WORDS = re.compile(r"(?:on|from|in|at|of|who) (?:[\w'-]+ ){1,4}")
_ADVERBS = re.compile(r"(?:(?:\w+ly|just|then|also|simply|still|again|had|has|have) )*")
# What a person was not given or could not do: the system's gap (see also framed.py)
_GAP = re.compile(
    r"(?:had no|didn't have|did not have|couldn't|could not|can't|cannot|wasn't able|was not able|never got|"
    r"never had|never saw|was told|were told|was given|were given|had to|was following|were following|followed|"
    r"was paged|were paged|was asked|were asked|was waiting|were waiting|got paged|received)\b"
)
_STATE = re.compile(
    r"(?:was|were|is|are|'s|'re|had been|has been)\b(?! (?:\w+ing|busy|asleep|offline|away)\b)"
)
_PAST = re.compile(r"(?:[a-z]+ed|[a-z]+en)\b")
_RESULT = re.compile(
    r"(?<![\w'])(?:(?:as )?(?:a|the) (?:direct |immediate |predictable |obvious |inevitable |natural )?"
    r"(?:result|consequence|product|fallout|outcome|side effect)s? of|due to|owing to|thanks to|courtesy of|"
    r"traceable to|attributable to|stem(?:s|med)? from|caused by|triggered by|brought on by|came from|comes from|"
    r"(?:comes|came|boils|boiled|is|was|were|all) down to|trac(?:ed|es|e) (?:\w+ )?(?:back )?to) "
)
_RESPONSIBLE = re.compile(
    r"(?:is|are|was|were|'s|'re|will be|should be|must be)(?: (?:\w+ly|100%|all|the one|the ones|alone))* "
    r"(?:responsible|accountable|to blame|answerable) for "
)
# What one is responsible for as a duty or a remedy: the fix, the follow-ups, a schedule, a service
_DUTY = re.compile(
    r"(?:the |this |that |our |all |any )?(?:\w+ )?(?:fix|fixes|follow-?ups?|action items?|items|runbooks?|rotation|"
    r"schedule|release train|service|services|review|reviews|postmortem|rollout|migration|remediation|"
    r"on-?call|pager|communication|comms|updat\w+|writ\w+|own\w*|maintain\w*|test\w*|keep\w*|making sure)\b"
)
_REASON = re.compile(
    r"\W*(?:the|one|our|a|and the)(?: (?:only|real|main|whole|sole|actual|simple|single|primary|biggest))* reasons? "
    r"(?:why |that )?(?P<what>.{3,90}?) (?:is|was|'s|are|were)(?: (?:simply|just|really|basically|all|entirely))*"
    r"(?: that| because| down to)? "
)


def _person(tokens: list[Token], at: int, names: Names) -> tuple[Subject, list[Token]] | None:
    """A person phrase starting at `at` (one space allowed), cut after a name or before a participle."""
    found = person_np(tokens, at, names)
    if found is None or not 0 <= found[1][0].start - at <= 1 or found[0].kind not in ("person", "team"):
        return None
    who, np = found
    for k, t in enumerate(np[1:], 1):
        after_name = np[k - 1].cap and names.is_name(np[k - 1].text) and not t.cap
        if after_name or (t.low.endswith("ing") and len(t.low) > 4 and t.low not in lx.ROLE_NOUNS):
            np = np[:k]
            return Subject(who.kind, np[0].start, np[-1].end, " ".join(u.text for u in np), who.possessed), np
    return found


def _acted(low: str, at: int) -> re.Match[str] | None:
    """The act a person did from `at` (past a short phrase of their own: "on the web team", "who was on
    call"): a past verb that is not a rescue, a gap or a state."""
    starts = [at]
    trailing = _TRAILING_WORDS.match(low, at)
    if trailing is not None:  # "someone on the web team set ...": try after one, two or three more words
        starts += [w.end() for w in re.finditer(r"[\w'-]+ ", low[: trailing.end()]) if w.end() > at]
    for at in starts:
        found = _act_at(low, at)
        if found is not None:
            return found
    return None


def _act_at(low: str, at: int) -> re.Match[str] | None:
    if _GAP.match(low, at) or (_STATE.match(low, at) and not _PAST.match(low, at + 4)):
        return None
    at = _ADVERBS.match(low, at).end()  # type: ignore[union-attr]
    if _GAP.match(low, at) or RESCUE_ACTS.match(low, at):
        return None
    word = _WORD.match(low, at)
    if word is None:
        return None
    w = word.group(0)
    past = w in lx.IRREGULAR_PAST or w in _SAME_PAST or (len(w) > 3 and w.endswith("ed"))
    return word if past or w.startswith(("didn't", "never", "forgot")) else None


_WORD = re.compile(r"[a-z'-]+")
_SAME_PAST = frozenset(
    {"set", "put", "cut", "hit", "let", "shut", "quit", "spread", "reset", "upset", "read"}
)


def _failed_before(low: str, at: int) -> bool:
    before = low[:at]
    return WENT_WRONG.search(before) is not None and GOOD.search(before) is None


def _hit(spans: list[tuple[int, int]], text: str, who: str, kind: str = "pinned") -> Hit:
    a, b = min(s for s, _ in spans), max(e for _, e in spans)
    return Hit("fault", spans, who=who, words=text[a:b], extra={"kind": kind})


_CAUSAL_RE = re.compile(r"(?<![\w'])(?:because|'cause|cause|cuz|coz|bc|b/c|since)\s+")


def _because(text: str, low: str, tokens: list[Token], names: Names) -> list[Hit]:
    pointing = _POINTING.match(low)
    for m in _CAUSAL_RE.finditer(low):
        if m.group(0).startswith("cause") and low[max(0, m.start() - 9) : m.start()].strip().endswith(
            ("root", "main", "the", "a", "real", "primary", "probable")
        ):
            continue  # "the root cause", not chat's "'cause"
        found = _person(tokens, m.end(), names)
        if found is None or found[0].possessed:
            continue
        act = _acted(low, found[1][-1].end + 1)
        if act is None or not (
            _failed_before(low, m.start()) or (pointing is not None and pointing.end() >= m.start())
        ):
            continue
        return [_hit([(m.start(), found[1][-1].end), act.span()], text, found[0].text)]
    return []


def _result(text: str, low: str, tokens: list[Token], names: Names) -> list[Hit]:
    for m in _RESULT.finditer(low):
        found = _person(tokens, m.end(), names)
        if found is None:
            continue
        who, np = found
        after = low[np[-1].end : np[-1].end + 40]
        rescue = RESCUE_ACTS.match(after.lstrip()) or re.match(
            r"\s*(?:quick|fast|calm|careful|early|swift|prompt|good|great)\b", after
        )
        if rescue or GOOD.search(low) or not who.possessed or who.possessed in _THANKED:
            continue  # "thanks to Rose's quick rollback we recovered": credit; a bare person is across.py's
        if WENT_WRONG.search(low) or m.group(0).startswith(("caused", "triggered", "brought")):
            return [_hit([(m.start(), np[-1].end)], text, who.text)]
    return []


_THANKED = frozenset({"rollback", "fix", "catch", "report", "help", "work", "effort", "response", "thinking"})


def _responsible(text: str, low: str, tokens: list[Token], names: Names) -> list[Hit]:
    for m in _RESPONSIBLE.finditer(low):
        start = max(0, m.start() - 1)
        who = next(
            (
                f
                for t in tokens
                if t.end <= start
                and (f := _person(tokens, t.start, names)) is not None
                and f[1][-1].end >= start - 40
            ),
            None,
        ) or (("whoever", []) if re.search(r"(?<![\w'])whoever\b", low[:start]) else None)
        if who is None or _DUTY.match(low, m.end()):
            continue
        obj = low[m.end() : m.end() + 50]
        if WENT_WRONG.search(obj) or re.match(
            r"(?:this|that|it|the damage|what happened|letting|breaking|taking)\b", obj
        ):
            name = who[0].text if isinstance(who[0], Subject) else "whoever"
            bad = WENT_WRONG.search(obj)
            return [_hit([(m.start(), m.end() + (bad.end() if bad else len(obj.split(" ")[0])))], text, name)]
    return []


_UNABLE = re.compile(
    r"\s*(?:can't|cannot|couldn't|can not|doesn't know how to|don't know how to|didn't know how to) "
    r"(?:configure|manage|handle|write|use|set up|run|operate|read|test|deploy)\b"
)


def _reason(text: str, low: str, tokens: list[Token], names: Names) -> list[Hit]:
    m = _REASON.match(low)
    if m is None or not WENT_WRONG.search(m.group("what")) or GOOD.search(m.group("what")):
        return []
    found = _person(tokens, m.end(), names)
    if found is None:
        return []
    who, np = found
    if not who.possessed:
        rest = low[np[-1].end : np[-1].end + 30]
        unable = _UNABLE.match(rest)  # "... is that the frontend team can't configure a CDN"
        if (
            rest.strip(" .!")
            and not re.match(r"\s*[a-z]+ing\b", rest)
            and _acted(low, np[-1].end + 1) is None
            and unable is None
        ):
            return []  # "The reason we page the primary first is that they hold the context"
    if who.possessed in _THANKED:
        return []
    return [_hit([(m.start(), np[-1].end)], text, who.text)]


def find(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """The hits of these frames in one sentence (offsets as in `low`)."""
    if not clauses or not (WENT_WRONG.search(low) or _POINTING.match(low) or _RESPONSIBLE.search(low)):
        return []
    tokens = [t for c in clauses for t in c.tokens]
    return (
        _because(text, low, tokens, names)
        or _result(text, low, tokens, names)
        or _responsible(text, low, tokens, names)
        or _reason(text, low, tokens, names)
    )


EXPLAINED = {
    "pinned": (
        "ties the system's failure to what a person did, so the search for causes stops at them. The act "
        "was ordinary; the review asks what let it have this effect",
        '"What else had to be true for this step to cause the failure, and what would have caught it?"',
    ),
}
