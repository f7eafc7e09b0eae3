"""What a person's act set off, and a mistake with its author (issue 17's sixth pass). The act is ordinary;
what blames is the sentence tying the failure to it and stopping there (Dekker's Field Guide: the search for
causes ends at a person). Three frames (`fault`):

- the act, then what it did: "Rohan applied the config, which wiped the routes", "Quinn approved the PR and
  it broke billing", "Mateo turned the flag on for everyone, causing the spike", "Paolo rebooted the router,
  and that's what took the office offline";
- the failure, then the moment a person acted: "The outage started the moment Tariq restarted the primary",
  "It all went wrong when Kasia changed the DNS TTL", "The migration failed after Sven kicked it off";
- a mistake and who made it: "a typo by Gianni", "a fat finger from the network engineer", "a mistake made
  by the support team", "a careless slip by the release manager".

The neutral side: what the act fixed or did as planned ("restarted the pods, which cleared the stuck
connections", "as planned"); a person who only saw, was paged or reported ("The incident began when the
on-call saw the alert"); we and I telling what we did; a mistake by a tool ("an error from the parser"), or
denied ("not a mistake by the on-call").
"""

from __future__ import annotations

import re

from incidents.review.blameless import lexicon as lx
from incidents.review.blameless.hits import Hit
from incidents.review.blameless.parse import Clause, Names, Subject, Token
from incidents.review.blameless.pinned import _RESULT, GOOD, RESCUE_ACTS, WENT_WRONG, _acted, _person

# After an act: what it did next ("which", "and it", "causing", "and that's what")
_THEN = re.compile(
    r"(?:,\s*|\s+)(?:(?:causing|triggering|taking|knocking|bringing|breaking|wiping|killing|crashing|sending|"
    r"leaving|resulting in|leading to|which caused|which triggered|which led to|which meant|"
    r"which (?:is|was) (?:why|what|how)|(?:and )?that(?:'s| is| was) (?:why|how))\s+"
    r"|(?:which|and (?:that|this|it|that's what|this is what|that is what)|(?:and )?that's what|"
    r"(?:and )?that is what|and (?:that|this|it) (?:then|promptly|immediately|instantly))"
    r"(?: (?:then|promptly|immediately|instantly|in turn|of course|predictably|quickly))?\s+)"
)
# What the act did, when it is the failure (the verb right after, or the thing a cause verb names)
_FAILED = re.compile(
    r"(?:(?:\w+ ){0,1}?)(?:broke|wiped|deleted|dropped|destroyed|corrupted|crashed|took|knocked|brought|"
    r"killed|caused|triggered|led to|resulted in|sent|left|meant|flooded|overloaded|locked|filled|blew|"
    r"emptied|erased|overwrote|truncated|stalled|froze|tanked|turned (?:[\w-]+ ){0,4}?into)\b"
)
_NEEDS_OBJECT = (  # a pointer or a cause verb: the failure is named after it
    *(
        "causing",
        "triggering",
        "resulting",
        "leading",
        "taking",
        "knocking",
        "bringing",
        "sending",
        "leaving",
    ),
    *("which caused", "which triggered", "which led", "which meant", "which is", "which was"),
    *("that's", "that is", "that was", "and that"),
)
_VAGUE = frozenset(
    {
        "took",
        "knocked",
        "brought",
        "sent",
        "left",
        "meant",
        "filled",
        "locked",
        "caused",
        "triggered",
        "to",
        "in",
    }
)
_FIXED = re.compile(
    r"(?:\w+ ){0,2}?(?:cleared|fixed|resolved|stopped|ended|restored|recovered|reduced|cut|halted|drained|"
    r"calmed|mitigated|prevented|avoided|saved|freed|unblocked|unstuck|brought (?:\w+ )?back|took (?:\w+ )?off)\b"
)
_EXPECTED = re.compile(
    r"(?<![\w'])(?:as (?:planned|expected|intended|agreed|announced|scheduled)|planned|scheduled|maintenance window)"
    r"(?![\w'])"
)
# "... than expected": what the act did surprised the people doing it, which is the review's question
_SURPRISE = re.compile(
    r"(?<![\w'])(?:than (?:\w+ )?(?:expected|intended|planned|anticipated|anyone (?:expected|knew))|unexpectedly|"
    r"to (?:everyone's|our|his|her|their) surprise)(?![\w'])"
)
# Before ", which": a noun that "which" names (the script, the job), not the act (", which" after "it",
# "at once", "by hand")
_OF_A_THING = re.compile(
    r"(?<![\w'])(?!(?:it|them|this|that|once|anyway|hand|again|too|minutes|seconds|today|tonight|go|time|night|"
    r"weekend|friday|afternoon|morning|evening|peak|lunch|\w+ly)\b)"
    r"[a-z][\w-]*$"
)
# A failure that began at a person's act: the onset, then "when", "the moment", "after"
_ONSET = re.compile(
    r"(?<![\w'])(?:started|began|begun|kicked off|went (?:wrong|sideways|south|bad|down|dark|offline|pear-shaped)|"
    r"broke|failed|crashed|fell over|fell apart|blew up|died|froze|stopped working|locked up|spiked|"
    r"(?:was|were) (?:gone|lost|wiped)|vanished|disappeared|went missing|"
    r"(?P<now>appears?|starts?|begins?|spikes?|breaks?|fails?))"
    r"(?: (?:[\w'-]+ ){0,4}?)??\s*,?\s*"
    r"(?:the (?:moment|minute|second|instant)|as soon as|right after|just after|shortly after|soon after|"
    r"(?:minutes|seconds|moments) after|after|when|once|(?P<with>with))\s+"
)
# A timeline in the present: "the first errors appear the minute Aditi pushes her config change"
_NOW_ACT = re.compile(
    r"(?:\w+ly )?(?:push|deploy|merg|run|restart|reboot|chang|edit|appl|flip|toggl|drop|delet|rotat|scal|drain|kill|"
    r"disabl|enabl|roll|ship|releas|truncat|flush|purg)\w*s\b"
)
# Acts that only saw, reported or answered a failure: not its start
_SAW = re.compile(
    r"(?:\w+ly )?(?:saw|noticed|spotted|found|detected|discovered|reported|raised|declared|opened|joined|"
    r"acked|acknowledged|escalated|got|received|looked|checked|called|asked|logged in|woke|arrived|came|"
    r"started (?:the |an )?(?:incident|call|bridge|investigat\w*|doc)|tried|attempted|began (?:to )?investigat\w*)\b"
)
# What a host or an agent did to itself ("when the agent ran out of disk"): a state, not a person's act
_SYSTEM_STATE = re.compile(
    r"(?:ran out|run out|timed out|crashed|hung|froze|died|rebooted itself|restarted itself)\b"
)
# A mistake and its author
_MISTAKE_BY = re.compile(
    r"(?<![\w'-])(?:mistakes?|errors?|typos?|slips?|slip-?ups?|blunders?|fat[- ]?fingers?|fat-?fingering|goofs?|"
    r"screw-?ups?|cock-?ups?|mess-?ups?|oversights?|lapses?|missteps?|fumbles?|gaffes?|bungles?|"
    r"miscalculations?|misjudge?ments?|brain-?farts?)"
    r"(?: (?:made|committed|introduced))? (?:by|from|on the part of|on) "
)
_DENIED = re.compile(
    r"(?<![\w'])(?:not|no|never|nobody|wasn't|isn't|weren't|n't|rather than|instead of)(?![\w'])"
)


def _people(clauses: list[Clause]) -> list[Clause]:
    return [
        c
        for c in clauses
        if c.subject.kind in ("person", "team") and not c.subject.possessed and not c.inverted
    ]


def _set_off(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """A person's act, then what it did: "..., which wiped the routes"."""
    if _EXPECTED.search(low) or _SURPRISE.search(low):
        return []
    for c in _people(clauses):
        act = _acted(low, c.verb_start)
        if act is None:
            continue
        for then in _THEN.finditer(low, act.end()):
            if _FIXED.match(low, then.end()) or GOOD.search(low, then.end(), then.end() + 40):
                break  # "..., which cleared the stuck connections": what the act fixed
            said = then.group(0).strip(" ,")
            if said in ("which",) and _OF_A_THING.search(low, 0, then.start()):
                break  # "ran the cleanup script, which deleted ...": the script did it, told as such
            if said.startswith(_NEEDS_OBJECT):
                bad = WENT_WRONG.search(low, then.end(), then.end() + 40)  # "causing the spike"
            else:
                bad = _FAILED.match(low, then.end())
                if bad is not None and bad.group(0).split()[-1] in _VAGUE:
                    bad = WENT_WRONG.search(low, then.end(), then.end() + 60)  # "which sent checkout dark"
            if bad is not None:
                spans = [(c.subject.start, act.end()), (then.start() + 1, bad.end())]
                return [_hit(spans, text, c.subject.text)]
        after = _failed_next(low, clauses, c, act.end()) if act.group(0) not in _EXPECTING else None
        if after is not None:
            return [_hit([(c.subject.start, act.end()), after], text, c.subject.text)]
    return []


# The next clause, a system failing: "... ran the reindex on prod at lunch and search died", "...; the weekend
# pages followed"; not when a later clause says what in the system made it fail ("and it failed when the
# lock timeout was hit")
_AND_FAILED = re.compile(
    r"(?:\w+ly )?(?:died|went (?:down|dark|offline|read-only|sideways)|broke|failed|crashed|fell over|fell apart|"
    r"stalled|froze|locked up|stopped (?:working|responding|serving)|started (?:failing|erroring|timing out|"
    r"returning \w+|throwing)|followed|timed out|blew up|melted down|ground to a halt|crash-?loop\w*|"
    r"(?:has|have) (?:\w+ )?(?:failed|broken|been (?:failing|down|broken|erroring))|(?:was|were) (?:down|broken|gone))\b"
)


def _failed_next(low: str, clauses: list[Clause], c: Clause, at: int) -> tuple[int, int] | None:
    later = [d for d in clauses if d.start >= at]
    if re.search(
        r"(?<![\w'])(?:saw|noticed|spotted|found|realised|realized|reported|confirmed)(?![\w'])",
        low[at : c.end],
    ):
        return None  # "The person who ran the command saw ... that the directory was empty and the site was down"
    for k, d in enumerate(later[:1]):
        if d.opener in ("and", "so") and d.subject.kind == "self" and _WE_LOST.match(low, d.verb_start):
            return d.subject.start, d.end  # "... by hand and we lost the audit trail"
        if (
            d.opener not in ("and", "", "so")
            or d.subject.kind not in ("system", "product")
            or d.subject.inherited
        ):
            continue
        failed = _AND_FAILED.match(low, d.verb_start)
        explained = any(e.opener in _WHY for e in later[k + 1 :])
        if failed is not None and not explained and not GOOD.search(low, failed.end(), d.end):
            return d.subject.start, failed.end()
    return None


# Verbs of expecting or telling: "The team trusted Olu to renew the certificate, and the renewal job failed"
_EXPECTING = frozenset(
    {"trusted", "expected", "assumed", "asked", "told", "believed", "thought", "hoped", "wanted", "planned"}
    | {"scheduled", "said", "knew", "warned", "reminded", "assigned", "relied", "counted", "paged", "called"}
)
_WE_LOST = re.compile(
    r"(?:\w+ly )?lost (?:the |all |our |some |every |a )?(?:[\w-]+ )?(?:data|audit|logs?|orders|records|messages|trail|"
    r"history|backups?|events|rows|writes|emails|payments|uploads)\b"
)
_WHY = frozenset({"when", "because", "as", "since", "after", "once", "until"})


# A thing a person or team made or put out, and the failure it did: "The mobile devs shipped a build that
# crashed on launch", "the DBA merged a migration that locked the orders table" (not "that fixed the crash")
_MADE = re.compile(
    r"(?:\w+ly )?(?:shipped|pushed|deployed|merged|released|wrote|committed|rolled out|published|introduced|"
    r"landed|authored|submitted|approved|put out|sent out) (?:(?:a|an|the|their|his|her|some|another|this|that) )?"
    r"(?:[\w-]+ ){0,3}?(?:that|which) (?:\w+ly |then |promptly |immediately )?(?:crashed|broke|wiped|deleted|"
    r"dropped|corrupted|leaked|locked|overloaded|deadlocked|froze|killed|(?:took|knocked|brought) (?:[\w-]+ ){0,3}?"
    r"(?:down|out|offline))(?![\w'])"
)


def _made_failing(text: str, low: str, clauses: list[Clause]) -> list[Hit]:
    """A thing a person made, and what it broke: "shipped a build that crashed on launch"."""
    for c in _people(clauses):
        m = _MADE.match(low, c.verb_start)
        if m is not None and not _EXPECTED.search(low) and not _SURPRISE.search(low):
            return [_hit([(c.subject.start, m.end())], text, c.subject.text)]
    return []


def _onset(text: str, low: str, tokens: list[Token], names: Names) -> list[Hit]:
    """A failure, then the moment a person acted: "The outage started the moment Tariq restarted ..."."""
    for m in _ONSET.finditer(low):
        before = low[: m.start()]
        if GOOD.search(before) or (
            m.group(0).startswith(("started", "began", "begun", "kicked", "start", "begin", "appear"))
            and not WENT_WRONG.search(before)
        ):
            continue  # "Things improved when ...", "The call started when ...": no failure begins
        found = _person(tokens, m.end(), names)
        if found is None or found[0].possessed:
            continue
        after = found[1][-1].end + 1
        if _SAW.match(low, after) or _SYSTEM_STATE.match(low, after):
            continue  # "The incident began when the on-call saw the alert": the failure seen, not started
        act = _acted(low, after) or (_NOW_ACT.match(low, after) if m.group("now") else None)
        if m.group("with"):  # "The incident started with Olga restarting the wrong pod"
            onset = m.group(0).startswith(("started", "began", "begun", "kicked"))
            act = _GERUND.match(low, after) if onset else None
        if act is not None:
            return [_hit([(m.start(), act.end())], text, found[0].text)]
    return []


def _team_word(tokens: list[Token], at: int) -> tuple[Subject, list[Token]] | None:
    """A team named by one lower-case word ("from ops", "by qa")."""
    t = next((t for t in tokens if t.start == at), None)
    if t is None or t.low not in lx.TEAM_NAMES:
        return None
    return Subject("team", t.start, t.end, t.text), [t]


def _mistake_by(text: str, low: str, tokens: list[Token], names: Names) -> list[Hit]:
    """A mistake and its author: "a typo by Gianni", "a fat finger from the network engineer"."""
    for m in _MISTAKE_BY.finditer(low):
        found = _person(tokens, m.end(), names) or _team_word(tokens, m.end())
        part = found is not None and (
            found[0].possessed == "part" or re.match(r"\s+part\b", low[found[1][-1].end :]) is not None
        )
        if found is None or (found[0].possessed and not part) or (m.group(0).endswith(" on ") and not part):
            continue
        clause_start = max(low.rfind(p, 0, m.start()) for p in (",", ";", ":", "."))
        if _DENIED.search(low, clause_start + 1, m.start()):
            continue  # "It was not a mistake by the on-call", "rather than an error by Sam"
        return [_hit([(m.start(), found[1][-1].end)], text, found[0].text)]
    return []


# A sentence that opens with the person's act: "Because the SRE drained the node, the payment pods died"
_FRONTED = re.compile(
    r"\W*(?:(?:only|just|all|right|minutes|seconds|moments|shortly|soon) )?(?:because|since|'cause|cause|bc|after|once|"
    r"when|as soon as|the (?:moment|minute|second|instant)|within (?:seconds|minutes|moments|an hour) of)\s+"
)
_ONSET_AFTER = re.compile(
    r"(?:(?:no|nothing|nobody|none) (?:[\w-]+ ){0,2}?(?:could|would|can) (?:connect|log in|reach|load|resolve|authenticate)|"
    r"(?:\w+ ){0,4}?(?:started|began|went (?:wrong|sideways|south|down|dark|offline)|broke|failed|crashed|died|lost|"
    r"fell over|fell apart|blew up|froze|locked up|spiked|stopped working))\b"
)


def _fronted(text: str, low: str, clauses: list[Clause], tokens: list[Token], names: Names) -> list[Hit]:
    m = _FRONTED.match(low)
    good = GOOD.search(low) if m is not None else None
    if m is None or (good is not None and not WENT_WRONG.match(low, good.end() + 1)):
        return []  # "Because Luis rolled back quickly, the errors stopped"; not "came back empty"
    found = _person(tokens, m.end(), names)
    if found is None or found[0].possessed:
        return []
    act = _acted(low, found[1][-1].end + 1)
    if act is None and m.group(0).rstrip().endswith(" of"):
        act = _GERUND.match(low, found[1][-1].end + 1)  # "Within seconds of Jonas applying the policy, ..."
    comma = low.find(",", act.end() if act else 0)
    if act is None or comma < 0 or _SAW.match(low, act.start()) or _SYSTEM_STATE.match(low, act.start()):
        return []
    causal = (
        not m.group(0)
        .strip()
        .endswith(("after", "once", "when", "soon as", "moment", "minute", "second", "instant"))
    )
    main = low[comma + 1 :].lstrip()
    at = comma + 1 + len(low[comma + 1 :]) - len(main)
    bad = (WENT_WRONG.search(low, at) if causal else None) or _ONSET_AFTER.match(low, at)
    if bad is None:
        return []
    return [_hit([(m.start(), act.end()), bad.span()], text, found[0].text)]


def _result_act(text: str, low: str, tokens: list[Token], names: Names) -> list[Hit]:
    """A failure "due to", "thanks to", "triggered by" a person doing something ("thanks to whoever drained
    every node at once", "triggered by Sipho running the cleanup script")."""
    if not WENT_WRONG.search(low) or GOOD.search(low):
        return []
    for m in _RESULT.finditer(low):
        found = _person(tokens, m.end(), names)
        if found is None or found[0].possessed:
            continue
        after = found[1][-1].end + 1
        act = _acted(low, after) or _GERUND.match(low, after)
        if act is None or RESCUE_ACTS.match(low, act.start()) or _SAW.match(low, act.start()):
            continue
        return [_hit([(m.start(), act.end())], text, found[0].text)]
    return []


_GERUND = re.compile(r"(?:\w+ly )?(?!being|having|getting)[a-z]+ing\b")


def _hit(spans: list[tuple[int, int]], text: str, who: str) -> Hit:
    a, b = min(s for s, _ in spans), max(e for _, e in spans)
    return Hit("fault", spans, who=who, words=text[a:b], extra={"kind": "caused"})


def find(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """The hits of these frames in one sentence (offsets as in `low`)."""
    if not clauses:
        return []
    tokens = [t for c in clauses for t in c.tokens]
    out = (
        _set_off(text, low, clauses, names)
        or _made_failing(text, low, clauses)
        or _fronted(text, low, clauses, tokens, names)
    )
    if not out and WENT_WRONG.search(low):
        out = _onset(text, low, tokens, names) or _result_act(text, low, tokens, names)
    if not out and (" by " in low or " from " in low or "part of" in low):
        out = _mistake_by(text, low, tokens, names)
    return out


EXPLAINED = {
    "caused": (
        "ties the failure to what a person did and stops there. The act was ordinary; the review asks what "
        "else had to be true for it to have this effect",
        '"What made this step look safe at the time, and what would have caught its effect?"',
    ),
}
