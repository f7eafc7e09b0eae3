"""Mock praise of a team or a person with no failure word (`sarcasm`): Etsy's Debriefing Facilitation Guide
counts sarcasm among the ways blame is put where it cannot be answered, and in a review of a failure,
praise with nothing to praise is irony. Three shapes, each aimed at a person or a team found in the sentence:

- bare praise of their work, the whole sentence, with an irony marker or nothing after it: "Top-notch
  planning from the release crew there", "Another spotless handover from our friends in infra", "Outstanding
  vigilance from the night shift, as always" (`data/patterns/bare_praise.txt`);
- praise addressed to a team with a marker of irony ("Well, ...", "as ever"), or with the act it praises
  when that act is no rescue: "Superb job as ever, networking.", "Way to go, security, locking everyone out";
- irony with no praise word: "at least <person> is consistent" beside the damage ("Well, at least the release
  team is consistent: fourth rollback this week"), and gladness that a person was there, for nothing ("So
  glad the on-call was around to notice absolutely nothing");
- an epithet that honours them too much (`data/patterns/mock_epithets.txt`: "our esteemed DBAs", "our fearless
  leaders", "our friends in mobile"), and "Nothing says X like <a person's act>".

The neutral side: praise with its reason or outcome ("Top-notch planning from the release crew meant the
rollback took two minutes", "Great job, ops: the failover finished in four minutes"), praise of a system
("What a textbook failover the database did"), and "nothing says" about a system.
"""

from __future__ import annotations

import re

from incidents.review.blameless import lexicon as lx
from incidents.review.blameless.hits import Hit
from incidents.review.blameless.mocked import DAMAGE, GOOD_OUTCOME, RESCUE
from incidents.review.blameless.parse import Clause, Names, Subject
from incidents.review.blameless.people import person_np
from incidents.review.blameless.tokens import Token

_PRAISE = lx.alternation("bare_praise")
_OPEN = (
    r"^(?:(?:well|wow|oh|ah|yep|yeah|honestly|seriously|truly|really|ok|okay|hey|man|boy|gosh|golly),?\s+)*"
    r"(?:what an? |another |yet another |an? |such an? |more |some |real |the usual |that was an? |that's an? |"
    r"truly |really |absolutely |just |simply |genuinely |once again,? )*"
)
# "Top-notch planning from the release crew", "Another spotless handover from ..."
_BARE = re.compile(
    rf"{_OPEN}(?:{_PRAISE})(?: [\w-]+){{0,2}}? (?:from|by|courtesy of) (?:(?:our|the|my|your) )?(?:friends? (?:in|at|on|over in|from) )?"
)
_MARKERS = (
    r"(?:\s+(?:there|again|once again|today|tonight|this time|folks|everyone|guys|all round|all around))*"
)
_ENDS = re.compile(rf"{_MARKERS}(?:,?\s*as (?:always|usual|ever|expected))?{_MARKERS}\s*[.!]*\s*$")
_IRONY = re.compile(
    r"^(?:well|wow|oh|ah|yeah|sure|right),|(?<![\w'])(?:as (?:ever|always|usual)|once again|yet again|again)(?![\w'])"
)
# "Superb job as ever, networking.", "Way to go, security, locking everyone out"
_ADDRESSED = re.compile(
    rf"{_OPEN}(?:(?:{_PRAISE}) (?:job|work|effort|stuff|going|one|show|result|performance)|way to go|well done|bravo|"
    r"nice one|good going|kudos|hats off|top marks|gold star)(?: as (?:ever|always|usual))?(?: there)?,\s*"
)
_AFTER_ADDRESSED = re.compile(r"\s*(?:[.!]+\s*$|,\s*(?P<act>[a-z]+ing\b))")
_EPITHET = re.compile(rf"(?<![\w'-])(?:our|the|my|your|those|these) (?:{lx.alternation('mock_epithets')}) ")
_FRIENDS = re.compile(r"(?<![\w'-])our (?:\w+ )?friends (?:in|on|over in|from|down in|up in) ")
_NOTHING_SAYS = re.compile(r"(?<![\w'])nothing (?:says|screams|shouts|spells) (?:[\w' -]+?) like ")
_AT_LEAST = re.compile(r"(?<![\w'])at least ")
_VIRTUE = re.compile(
    r"\s*(?:is|'s|are|'re|was|were|has been|have been)(?: \w+ly| always| still)? (?:consistent|reliable|predictable|"
    r"dependable|punctual|thorough|regular|on schedule|creative|committed|productive|busy|efficient|fast|quick)(?![\w'])"
)
_VIRTUE_WORD = re.compile(
    r"(?: \w+ly| always| still)? (?:consistent|reliable|predictable|dependable|punctual|thorough|regular|on schedule|"
    r"creative|committed|productive|busy|efficient|fast|quick)(?![\w'])"
)
_COUNT = re.compile(
    r"(?<![\w'])(?:second|third|fourth|fifth|sixth|umpteenth|nth|\d+(?:st|nd|rd|th)) (?:[\w-]+ )?(?:outage|rollback|"
    r"incident|page|failure|revert|hotfix|breakage|sev\w*|deploy|mistake)s?(?![\w'])"
)
_GLAD = re.compile(
    r"(?<![\w'])(?:so |really |very |just |sure )?(?:glad|grateful|thankful|relieved|lucky|good thing|thank god|"
    r"thank goodness|thankfully|nice that|great that)(?: that)? "
)
_THERE = re.compile(
    r"\s*(?:was|were|is|are)(?: \w+ly| all| both)? (?:there|around|here|on call|on it|on shift|online|awake|watching|"
    r"paying attention|keeping watch|on the case|monitoring)(?![\w'])"
)
_NULL = re.compile(
    r"(?<![\w'])(?:(?:absolutely|precisely|exactly|almost|next to|a grand total of) )?(?:nothing|none of it|not a thing|"
    r"nada|zilch|not one|zero)(?![\w'])"
)
_REASON = re.compile(r"(?<![\w'])(?:for|on|meant|means|so|because|with|thanks to)(?![\w'])|[:;\u2014]| - ")


def find(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """The hits of these shapes in one sentence (offsets as in `low`)."""
    if not clauses:
        return []
    tokens = [t for c in clauses for t in c.tokens]
    m = _BARE.match(low)
    if m is not None:
        found = _person(tokens, m.end(), names)
        if found is not None and _ENDS.match(low, found[1][-1].end):
            return [_hit([(m.start(), found[1][-1].end)], text, found[0].text, "bare_praise")]
    m = _ADDRESSED.match(low)
    if m is not None:
        found = _person(tokens, m.end(), names) or _team_word(tokens, m.end())
        if found is not None:
            after = _AFTER_ADDRESSED.match(low, found[1][-1].end)
            ironic = _IRONY.search(low) is not None
            act = after.start("act") if after is not None and after.group("act") else -1
            rescue = act >= 0 and bool(RESCUE.search(low, act) or GOOD_OUTCOME.search(low, act))
            if after is not None and ((act < 0 and ironic) or (act >= 0 and not rescue)):
                return [_hit([(m.start(), found[1][-1].end)], text, found[0].text, "bare_praise")]
    for e in (*_EPITHET.finditer(low), *_FRIENDS.finditer(low)):
        found = _person(tokens, e.end(), names) or _team_word(tokens, e.end())
        if found is None and e.re is _EPITHET:
            continue
        if found is not None and not _REASON.search(low, found[1][-1].end):
            end = found[1][-1].end
            return [_hit([(e.start(), end)], text, found[0].text, "epithet")]
    for a in _AT_LEAST.finditer(low):
        found = _person(tokens, a.end(), names) or _team_word(tokens, a.end())
        v = None
        if found is not None:  # "at least Jenna's consistent": the verb in the name's contraction
            owner = next((t.end for t in found[1] if t.low.endswith("'s")), -1)
            v = _VIRTUE.match(low, found[1][-1].end)
            v = v or (_VIRTUE_WORD.match(low, owner) if owner >= 0 else None)
        if (
            found is not None
            and v is not None
            and (DAMAGE.search(low, v.end()) or _COUNT.search(low, v.end()))
        ):
            return [_hit([(a.start(), v.end())], text, found[0].text, "bare_praise")]
    for g in _GLAD.finditer(low):
        found = _person(tokens, g.end(), names) or _team_word(tokens, g.end())
        there = _THERE.match(low, found[1][-1].end) if found is not None else None
        null = _NULL.search(low, there.end()) if there is not None else None
        if found is not None and there is not None and null is not None:
            return [_hit([(g.start(), there.end()), null.span()], text, found[0].text, "bare_praise")]
    n = _NOTHING_SAYS.search(low)
    if n is not None:
        found = _person(tokens, n.end(), names) or _team_word(tokens, n.end())
        if found is not None:
            return [_hit([(n.start(), found[1][-1].end)], text, found[0].text, "bare_praise")]
    return []


def _person(tokens: list[Token], at: int, names: Names) -> tuple[Subject, list[Token]] | None:
    found = person_np(tokens, at, names)
    if found is None or found[0].kind not in ("person", "team") or not 0 <= found[1][0].start - at <= 1:
        return None
    return found


def _team_word(tokens: list[Token], at: int) -> tuple[Subject, list[Token]] | None:
    """A team named by one lower-case word ("networking", "security", "mobile")."""
    t = next((t for t in tokens if 0 <= t.start - at <= 1), None)
    if t is None or t.low not in lx.TEAM_NAMES | _PRODUCT_TEAMS:
        return None
    return Subject("team", t.start, t.end, t.text), [t]


# Teams named after what they build, as people call them ("our friends in mobile", "Way to go, frontend")
_PRODUCT_TEAMS = frozenset(
    {"mobile", "frontend", "backend", "platform", "data", "payments", "billing", "web", "product", "design"}
    | {
        "infra",
        "dba",
        "sre",
        "dev",
        "devs",
        "eng",
        "ios",
        "android",
        "growth",
        "search",
        "identity",
        "storage",
    }
)


def _hit(spans: list[tuple[int, int]], text: str, who: str, kind: str) -> Hit:
    a, b = min(s for s, _ in spans), max(e for _, e in spans)
    return Hit("sarcasm", spans, who=who, words=text[a:b], extra={"kind": kind})


EXPLAINED = {
    "bare_praise": (
        "praises a person or a team with nothing to praise, in a review of a failure, which reads as sarcasm. "
        "Sarcasm blames where it cannot be answered; say plainly what happened",
        '"What did the team see and do at that point, and what made the work hard?"',
    ),
    "epithet": (
        "honours a person or a team so much that it mocks them. Sarcasm blames where it cannot be answered; "
        "name the people plainly and say what happened",
        '"What did they see at that point, and what would have helped them?"',
    ),
}
