"""Mock praise: thanks or praise whose object is damage, and what is NOT mock praise.

Etsy's Debriefing Facilitation Guide counts sarcasm among the ways a debrief puts blame where it cannot be
answered: "Thanks so much for deleting the table" names no failure word, but the praise is for the damage.
So the part (`sarcasm`) needs praise or thanks in general English and damage beside it, in any of these
shapes: the damage as what is praised ("thanks, Marek, for nuking staging"), praise aimed at a person with
damage in the sentence ("really appreciate the platform team taking down checkout"), or praise with an
ironic measure of the damage ("such thorough testing, only two regions dark").

The neutral side, which matters as much:

- real thanks, with its reason: a rescue (spotting, rolling back, restoring, staying on the bridge, the
  write-up) or "who restored ...";
- damage the sentence says was small ("only four minutes of downtime") or not there ("zero data loss"), or
  that is only the setting ("kept customers informed through the outage");
- irony about a system ("the retry library did a wonderful job of turning a blip into an outage");
- sarcasm reported, not made: a quoted remark that the sentence says was posted or discusses ("'Great job,
  whoever broke it' was posted and the facilitator asked us to keep sarcasm out"). `reported_quotes` gives
  those spans, so no part flags words inside them.
"""

from __future__ import annotations

import re

from incidents.review.blameless import lexicon as lx
from incidents.review.blameless.across import addressed, mentions_person
from incidents.review.blameless.hits import Hit
from incidents.review.blameless.parse import Clause, Names
from incidents.review.blameless.people import person_np

GOOD_OUTCOME = re.compile(rf"(?<![\w'-])(?:{lx.alternation('good_outcome')})(?![\w'])")


def _alt(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w'-])(?:{lx.alternation(name)})(?![\w']|-[a-z])")  # not "break-glass"


PRAISE = _alt("praise")
DAMAGE = _alt("damage")
# What real thanks are for: a rescue, or the work of the response
RESCUE = re.compile(
    r"(?<![\w'])(?:(?:for|on|with) (?:the |your |their |his |her |all |that |this )?(?:\w+ly )?"
    r"(?:quick |fast |calm |clear |careful |thorough |great |patient |detailed |late-night )?)?"
    r"(?:spotting|catching|rolling|fixing|restoring|staying|keeping|finding|noticing|flagging|reporting|jumping|"
    r"handling|recovering|writing|investigating|debugging|coordinating|communicating|leading|paging|escalating|"
    r"documenting|helping|getting (?:\w+ )?back|bringing (?:\w+ )?back|saving|write-?up|rollback|fix|catch|"
    r"heads-?up|help|patience|support|thinking|coordination|communication|postmortem|analysis|investigation|"
    r"summary|timeline|notes|updates?|explanation|recovery|restore)(?![\w'])|"
    r"(?<![\w'])who (?:\w+ly )?(?:restored|fixed|kept|caught|spotted|rolled|found|noticed|flagged|stayed|jumped|"
    r"handled|recovered|saved|helped|brought(?! (?:[\w-]+ ){0,3}?(?:to (?:its|their) knees|down|offline))|got|wrote|led|"
    r"coordinated)(?![\w'])"
)
# "for nuking", "for the surprise wipe": what the praise is for, right after it (past a name in commas)
_FOR = re.compile(r"(?:[\s,]+(?:[\w@'-]+,? ){0,3}?)?[\s,:-]*(?:for|on) (?:the |your |our )?")
_NEGATED = re.compile(
    r"(?<![\w'])(?:no|zero|without|never|not|didn'?t|avoid\w*|prevent\w*|nothing)(?: \w+)?\s*$"
)
# "only four minutes of downtime": damage measured as small, which is praise with a reason
_SMALL = re.compile(
    r"(?:only|just|under|less than|barely|mere|a few|a couple of|\d+|one|two|three|four|five|ten)"
    r"(?: \w+)? (?:seconds?|secs?|minutes?|mins?|s|m) of\s*$"
)
# An ironic measure of the damage: "only two regions dark", "another corrupted export", "a full day of ..."
_IRONIC = re.compile(
    r"(?<![\w'])(?:only|just|merely|a mere|another|yet another|again|a full|a whole|the whole|three|four|five|six|"
    r"(?:our |the |a |their )?(?:second|third|fourth|fifth|sixth|umpteenth|nth)|"
    r"\d+)(?: [\w-]+){0,3}\s*$"
)
# The setting of the work, not its product: "informed customers through the outage"
_SETTING = re.compile(
    r"(?<![\w'])(?:during|through|throughout|after|before|despite|amid|in|over)(?: the| a| an| this| that| our)?\s*$"
)
# A quoted remark, and words that say the sentence reports or discusses it
QUOTED = re.compile(
    r"(?:(?<=^)|(?<=[\s(\[:]))(?:'([^']{3,}?)'|\"([^\"]{3,}?)\"|\u201c([^\u201d]{3,}?)\u201d)(?=[\s,.;:!?)\]]|$)"
)
_REPORTING = re.compile(
    r"(?<![\w'])(?:posted|said|says|wrote|written|typed|commented|replied|joked|tweeted|messaged|remarked|"
    r"shouted|called it|calling it|sarcas\w+|snark\w*|tone|blameless|hurt\w*|facilitator|apologi[sz]\w+|"
    r"called out|example|phrases?|comments?|remarks?|messages?|like)(?![\w'])"
)


def reported_quotes(text: str) -> list[tuple[int, int]]:
    """Spans of quoted remarks that the sentence reports or discusses ("'Great job, whoever broke it' was
    posted and ..."): the writer quotes the blame, and does not make it. Offsets into `text`."""
    out: list[tuple[int, int]] = []
    low = text.lower().replace("\u2019", "'")
    for q in QUOTED.finditer(low):
        outside = low[: q.start()] + " " + low[q.end() :]
        if _REPORTING.search(outside):
            out.append(q.span())
    return out


def aimed_at_system(low: str, praise: re.Match[str], clauses: list[Clause], names: Names) -> bool:
    """Whether the praise is about a system: "Stellar work by the cache layer", "The retry library did a
    wonderful job of ...", "Thanks to the new index"."""
    tokens = [t for c in clauses for t in c.tokens]
    after = re.match(r"\s*(?:by|from|to|of) ", low[praise.end() :])
    if after is not None:
        at = praise.end() + after.end()
        if person_np(tokens, at, names) is None and not low.startswith(("whoever", "everyone", "you"), at):
            return True
    how = re.match(r"\s*how (?:\w+ly |fast |well |much |smoothly )?", low[praise.end() :])
    if how is not None:  # "Impressive how quickly the traffic manager moved load": what a system did
        at = praise.end() + how.end()
        if any(c.start <= at <= c.end and c.subject.kind in ("system", "product") for c in clauses):
            return person_np(tokens, at, names) is None
    for c in clauses:
        s = c.subject
        if c.start <= praise.start() <= c.end and s.kind in ("system", "product") and s.end <= praise.start():
            words = set(s.text.lower().split())
            if not words & {"thanks", "kudos", "bravo", "such", "what", "another"} and not s.inherited:
                return True
    return False


# Thanks or praise aimed at a person for a failing act: "thanks to the platform team for shipping a release
# that never started", "hats off to Jonas for his bold reinterpretation of the freeze". The praise opens, a
# person is named before "for" or "on", and what follows is a failure, damage or an ironic quality.
_OPENER = re.compile(
    rf"(?<![\w'-])(?:(?:special|huge|big|massive|warm|heartfelt) thanks|a (?:big |huge )?(?:hand|round of applause)|"
    rf"props|hats off|shout-?outs?|{lx.alternation('praise')})(?![\w']|-[a-z])"
)
_FOR_OBJECT = re.compile(r"[^.;:!?]{0,60}?(?<![\w'])(?:for|on) ")
_OBJECT_FAILS = re.compile(
    rf"(?<![\w'-])(?:{lx.alternation('failure_general')}|{lx.alternation('failure_person_only')}|"
    r"fail(?:s|ed|ing)?\b|(?:never|didn't|did not|wouldn't|won't|couldn't) (?:\w+ )?(?:start|started|compile|compiled|"
    r"work|worked|boot|booted|build|built|pass|passed|run|ran|load|loaded)\b)"
)
_IRONIC_QUALITY = re.compile(
    r"(?<![\w'])(?:creative|bold|innovative|novel|interesting|unique|imaginative|liberal|flexible|"
    r"unconventional|original|relaxed|casual|daring|brave|artistic|free-?form) (?:re-?)?(?:interpretation|reading|"
    r"take|approach|attitude|spin|understanding|use|application|handling|idea)s? (?:of|on|to|towards?)\b"
)
_RECORD_TIME = re.compile(r"(?<![\w'])(?:in )?record time\b")
# Thanks for standing against the failure: "for pushing back on skipping staging", "for refusing to merge it"
_OPPOSED = re.compile(
    r"(?:\w+ly )?(?:push(?:ing)? back|stopping|blocking|preventing|refusing|questioning|objecting|challenging|"
    r"arguing|vetoing|calling out|insisting|speaking up|warning|pausing|halting|reverting|undoing)\b"
)


def thanked_for_failure(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """Thanks or praise aimed at a person or a team, for a failure (offsets as in `low`). Not thanks for a
    rescue or with a good outcome ("Thanks, Priya, for restoring the config within minutes")."""
    tokens = [t for c in clauses for t in c.tokens]
    for opener in _OPENER.finditer(low):
        fo = _FOR_OBJECT.match(low, opener.end())
        if fo is None:
            continue
        between = [t for t in tokens if opener.end() <= t.start < fo.end() - 4]
        person = next(
            (
                p
                for t in between
                if (p := person_np(tokens, t.start, names)) is not None and p[1][0].low not in ("we", "us")
            ),
            None,
        )
        if person is None:
            continue
        end = len(low)
        obj = low[fo.end() : end]
        if RESCUE.match(low, fo.end()) or _OPPOSED.match(low, fo.end()):
            continue
        failing = _OBJECT_FAILS.search(obj) or _IRONIC_QUALITY.search(obj)
        damage = next((d for d in DAMAGE.finditer(low, fo.end()) if real_damage(low, d)), None)
        if damage is None and failing is not None and GOOD_OUTCOME.search(low, fo.end() + failing.end()):
            continue  # "..., for pushing the fix; that check caught the second bug": thanks with an outcome
        record = _RECORD_TIME.search(obj)
        if failing is None and damage is None:
            continue
        if failing is None and damage is not None and not (record or damage.start() - fo.end() < 40):
            continue
        return [
            Hit(
                "sarcasm",
                [opener.span(), (fo.end(), (failing.end() + fo.end()) if failing else damage.end())],  # type: ignore[union-attr]
                who=person[0].text,
                words=text[opener.start() : opener.end()],
                extra={"kind": "mock_praise"},
            )
        ]
    return []


def find(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """Mock praise in one sentence (offsets as in `low`)."""
    thanked = thanked_for_failure(text, low, clauses, names)
    if thanked:
        return thanked
    for praise in PRAISE.finditer(low):
        damage = [d for d in DAMAGE.finditer(low) if real_damage(low, d) and not _inside(d.start(), praise)]
        if not damage:
            continue
        target = _FOR.match(low, praise.end())
        praised_damage = next((d for d in damage if target is not None and d.start() == target.end()), None)
        if praised_damage is None and (
            RESCUE.search(low, praise.start()) or aimed_at_system(low, praise, clauses, names)
        ):
            continue  # "Thanks to Lotte for spotting the bad flag ...": thanks with its reason
        if praised_damage is None and not (
            mentions_person(clauses, names)
            or addressed(text)
            or any(_IRONIC.search(low, 0, d.start()) for d in damage)
        ):
            continue  # "Amazing how the one config file without validation is the one that broke": a system
        d = praised_damage or damage[0]
        spans = [praise.span(), d.span()]
        return [
            Hit("sarcasm", spans, words=text[praise.start() : praise.end()], extra={"kind": "mock_praise"})
        ]
    return []


def _inside(at: int, m: re.Match[str]) -> bool:
    return m.start() <= at < m.end()


def real_damage(low: str, d: re.Match[str]) -> bool:
    """Whether damage matched at `d` is real: not denied ("zero downtime"), not measured as small ("only four
    minutes of downtime"), not only the setting of the work ("through the outage")."""
    before = low[max(0, d.start() - 30) : d.start()]
    if d.group(0) in ("without", "w/o") and _NONE_OF.match(low, d.end()):
        return False  # "it handled the rollover without a single page": none of the damage happened
    return not (_NEGATED.search(before) or _SMALL.search(before) or _SETTING.search(before))


_NONE_OF = re.compile(
    r"\s+(?:a single|any|one|a|an) (?:\w+ )?(?:pages?|alerts?|errors?|incidents?|drops?|blips?|hiccups?|issues?|"
    r"problems?|complaints?|downtime|outages?|loss|failures?|rollbacks?|interruptions?|customer impact|impact)\b"
)


EXPLAINED = {
    "mock_praise": (
        "praises the damage, which is blame said sideways: it cannot be answered, and it tells everyone what "
        "happens to the next person who reports a mistake",
        "Say plainly what happened and what made it possible.",
    ),
}
