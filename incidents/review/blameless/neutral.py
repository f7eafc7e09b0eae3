"""The neutral side of the blameless check: what looks like blame but is not.

- a judgement denied, reported or discussed rather than made ("avoid calling anyone careless", "Nobody
  acted recklessly", "Human error was our first guess"), a word mentioned in quotes ("the word 'obviously'");
- hindsight words about a design goal or what a better signal would show ("would have been obvious");
- "just" as "a moment ago", minimisers about a thing ("the checklist simply did not cover this");
- a person's ordinary verb carrying out a plan ("as planned", "during the maintenance window"), or explained
  by the system in the clause after it ("missed the page because the carrier dropped SMS");
- what a person could do if the system had helped ("could have acted in minutes, but the tool ...").
"""

from __future__ import annotations

import re

from incidents.review.blameless import lexicon as lx
from incidents.review.blameless.hits import Hit
from incidents.review.blameless.names import general_names
from incidents.review.blameless.parse import PERSONISH, Clause, Token


def _alt(patterns: tuple[str, ...] | str) -> re.Pattern[str]:
    body = patterns if isinstance(patterns, str) else "|".join(f"(?:{p})" for p in patterns)
    return re.compile(rf"(?<![\w'-])(?:{body})(?![\w'])")


PERSON_ONLY = _alt(lx.FAILURE_PERSON_ONLY)
GENERAL = _alt(lx.FAILURE_GENERAL)
PLANNED = _alt(lx.PLANNED)
_OMITS = _alt(lx.OMISSION)  # "The on-call didn't look because the alert went to the wrong channel"
_CHECKED_FIRST = re.compile(
    r"(?<![\w'])(?:after|once|having) (?:first )?(?:confirm|check|verif|validat|test|double-check|mak)\w* "
    r"(?:that |with |the |sure )"
)
_ALLOWED = re.compile(r"(?:\w+ly )?(?:allow|permit|let|enable)\w*\b")
_AFFORDANCE = re.compile(r"(?:easy|easier|hard|harder|likely|possible|simple|trivial|natural|tempting) to $")
ACTION_FAILS = _alt(lx.ACTION_FAILS)  # "Ruben's migration locked the orders table because the tool ..."
LOCAL_RATIONALITY = _alt(lx.patterns("local_rationality"))
__all__ = ["LOCAL_RATIONALITY", "PLANNED", "denied", "excused"]
_CONCEDING = re.compile(
    r"(?<![\w'])(?:even though|even if|although|though|despite|in spite of|regardless)(?![\w'])"
)
_EXPLAINING = frozenset({"because", "since", "as", "so"})
# Words before a judgement that report or deny it rather than make it ("avoid calling anyone careless",
# "Nobody acted recklessly", "What looked like a careless edit was ...").
DISTANCING = _alt(
    r"(?:call|calls|calling|called|label\w*|describ\w+) (?:it|this|that|him|her|them|anyone|someone|people|the \w+)|"
    r"avoid\w*|not|never|nobody|no one|none|\w+n't|rather than|the (?:term|phrase|word|words|label)|"
    r"instead of|look(?:s|ed|ing)? like|seem(?:s|ed|ing)?|appear(?:s|ed)?|tempting|resist\w*|accus\w+|"
    r"blam\w+|(?:easy|tempting|unfair|wrong|misleading|lazy|simplistic) to (?:say|call|write|conclude|blame)"
)
# Words before "without ..." that grant a permission rather than report an omission ("We trust the on-call to
# make judgement calls without waiting for approval").
PERMISSION = _alt(
    r"trust(?:s|ed)? (?:[\w'-]+ ){1,3}?to|allow(?:s|ed)? to|allowed|empower\w*|free to|encourag\w+|can|may|"
    r"expected to|able to|permitted"
)
COND_HAD = re.compile(
    r"(?:(?<![\w'])(?<!had )(?:had|hadn't)|(?<=\w)'d)(?: not)?(?: been)?+ "
    r"(?!(?:known|told|aware|realised|realized|understood|seen|had|given|shown|warned|informed)\b)"
    r"(?!(?<=been )[a-z]+(?:ed|en|wn)\b)[a-z-]+"
)
_WOULD_BE = re.compile(r"(?:would|will|could)(?: have|'ve)? be(?:en)? (?:\w+ )?$")
PERCEIVED = re.compile(
    r"seen|received|known|shown|told|informed|notified|paged|reached|given|asked|consulted|heard|read|sent|"
    r"alerted|warned|aware|expected|needed|required|allowed|authori[sz]ed|trained"
)
COMPOUND_HEADS = frozenset(
    {"report", "reports", "correction", "check", "checks", "detection", "budget", "rate", "rates", "message"}
    | {"messages", "log", "logs", "page", "count", "handler", "tracking", "tracker", "spike", "threshold"}
)
COULD_NOT_KNOW = re.compile(
    r"(?:could not|couldn't|could never|would not|wouldn't|would never) (?:have|'ve) (?:known|seen|predicted|foreseen|"
    r"anticipated|expected|realised|realized|guessed|noticed|spotted|told)\b"
)
DURING = re.compile(r"(?:during|throughout|after|through|in) (?:the|this|that|an?) $")  # "during the outage"
_PAST = re.compile(r" (?:[a-z]+ed|" + "|".join(sorted(lx.IRREGULAR_PAST)) + r")\b")
NEGATED_BEFORE = re.compile(r"(?:without|w/o|avoid|avoided|avoiding|no|never once|prevent\w*) $")
SAME = re.compile(r"\b(?:the same|the very same|likewise|too|as well)\b")
ABLE = ("could", "would", "might", "couldn't", "wouldn't", "could've", "would've")
_TO_ANYONE = re.compile(r" to (?:anyone|anybody|everyone|any |every )")


_DENIABLE = frozenset({"judgement", "minimiser", "human_error", "hindsight", "sanction", "fault"})
# After "human error": words that discuss the label instead of using it ("Human error was our first guess").
_DISCUSSED = re.compile(
    r"\s+(?:is|was|isn't|wasn't)\s+(?:never |not |only |just )?(?:our |the |a |an )?(?:first|initial|early|easy)?\s*"
    r"(?:guess|assumption|instinct|theory|reaction|label|symptom|starting point|where|not an?|never an?)"
    r"|\s+(?:isn't|wasn't|is not|was not|is never|was never|can't be|cannot be|is no)\s+(?:an? |the |our )?(?:root )?"
    r"(?:cause|explanation|answer|finding|conclusion|reason|diagnosis)"
)
_QUOTES = frozenset({"'", '"', "\u2018", "\u2019", "\u201c", "\u201d", "`"})
_AFTERWARDS = re.compile(r"\s+(?:only )?(?:afterwards|after the fact|in hindsight|in retrospect|later|now)\b")


def _clause_of(clauses: list[Clause], at: int) -> Clause:
    """The clause holding character `at` (the first if none does)."""
    held = [c for c in clauses if c.start <= at]
    return held[-1] if held else clauses[0] if clauses else Clause(0, 0, [])


def _clause_start(clauses: list[Clause], at: int) -> int:
    """Where the clause holding character `at` starts (the sentence start if none does)."""
    held = [k for k, c in enumerate(clauses) if c.start <= at]
    if not held:
        return 0
    k = held[-1]
    if clauses[k].opener == "that" and k > 0:
        k -= 1  # "It would be easy to say the engineer was sloppy": the frame is in the clause before
    return clauses[k].start


_MAKE_OBVIOUS = re.compile(r"(?:make|makes|made|making|more|less|become|becomes)(?: [\w'-]+){0,4} $")
# After "obvious": what a system must do or what we want, a design need ("It's obvious the tool should reject
# a wildcard", "Obviously we want to catch this earlier"), not what a person should have done
_NEED = re.compile(
    r"(?:should|must|needs? to|wants? to|has to|have to|ought to|shouldn't|can't|cannot)\b(?! have\b)"
)


_PLANNED_AUX = re.compile(
    r"(?:will|'ll|shall|is going to|are going to|am going to|plan(?:s)? to|intend(?:s)? to)\b(?! (?:to|more|worse))"
)
_WE_ARE_DOING = re.compile(r"(?:are|'re|am) (?:now |also )?[a-z]+ing\b")


_A_TERM = re.compile(r"""(?:['"\u2018\u201c`]|the (?:term|word|words|phrase|label|expression)\b)""")


def excused(hit: Hit, clauses: list[Clause], low: str) -> bool:
    """Whether a person's ordinary-verb "failure" is the plan being carried out ("as planned", "during the
    maintenance window"), or is explained by the system in a clause after it ("missed the page because the
    carrier dropped SMS"). Person-only failures ("forgot") are never excused, and "the wrong ..." only by
    the system ("ran on the wrong host because both hosts had the same prompt")."""
    pred = hit.predicate.lower()
    able = hit.rule == "counterfactual" and pred.startswith(ABLE)
    if able or (hit.rule == "minimiser" and "would have" in hit.words.lower()):
        # "The engineer could have used a safer command, but the tool offered no dry run": the system answers
        later = [c for c in clauses if c.start >= hit.end and c.opener in ("but", "yet", "because", "since")]
        return any(c.subject.kind in ("system", "product") for c in later)
    if hit.rule == "passive_blame" and not hit.who:
        # "The rollout was rushed because the release calendar left one day": the system says why
        later = [c for c in clauses if c.start >= hit.end and c.opener in _EXPLAINING]
        return any(c.subject.kind in ("system", "product") and not c.subject.inherited for c in later)
    if hit.rule != "person_subject" or not hit.predicate:
        return False
    if _A_TERM.match(hit.rest.lower()):
        return True  # "the SRE team does not use 'human error' as a category": a word not used, not a step
    own = _clause_of(clauses, hit.start)
    planned = _PLANNED_AUX.match(low, own.verb_start) or (
        own.subject.kind == "self" and _WE_ARE_DOING.match(low, own.verb_start)
    )
    if planned and not PERSON_ONLY.fullmatch(pred):
        return True  # "we are deleting twelve of them", "Dave will drop the old index": a plan, not a failure
    if _CHECKED_FIRST.search(low, hit.end):
        return True  # "Marek deleted the old bucket after confirming the backups had moved": checked first
    if _AFFORDANCE.search(low, max(0, hit.spans[-1][0] - 14), hit.spans[-1][0]):
        return True  # "what made the command easy to mistype": what the system made easy, not an act
    excusable = GENERAL.fullmatch(pred) or ACTION_FAILS.fullmatch(pred) or _OMITS.fullmatch(pred)
    if PERSON_ONLY.fullmatch(pred) or not excusable:
        return False
    reason = LOCAL_RATIONALITY.search(low, hit.end)
    if reason is not None and not _CONCEDING.search(low, hit.end, reason.start()):
        return True  # "I made the wrong call, and the information I had at the time pointed that way"
    wrong = "wrong" in f"{pred} {hit.rest.lower()}"
    planned_at = PLANNED.search(low)
    if not wrong and planned_at is not None:
        where = _clause_of(clauses, planned_at.start()).subject
        if (
            where.kind not in PERSONISH
            or where.text == hit.who
            or _clause_of(clauses, planned_at.start()) is own
        ):
            return True  # "as planned", "during the maintenance window": not "We gave Pavel one task for the migration"
    omitted = _OMITS.fullmatch(pred) and not GENERAL.fullmatch(pred)
    why = _EXPLAINING - {"so"} if omitted else _EXPLAINING  # "never picked up, so the primary was left alone"
    later = [c for c in clauses if c.start >= hit.end and c.opener in why]
    allowed = any(
        c.start >= hit.end
        and c.subject.kind in ("system", "product")
        and not c.subject.inherited
        and _ALLOWED.match(low, c.verb_start)
        for c in clauses
    )  # "approved her own change, which the repository settings allowed for hotfixes"
    return allowed or any(
        c.subject.kind in ("system", "product")
        or (
            not wrong
            and c.subject.kind in PERSONISH
            and re.match(r"(?:was|were|had been|is|are)\b(?! not| too)", low[c.verb_start :])
        )
        and not PERSON_ONLY.search(low, c.verb_start, c.end)
        and not GENERAL.search(low, c.verb_start, c.end)
        for c in later
    )


# What a system showed, after the outcome: "obvious from the dashboard", "clear in the logs afterwards"
_SHOWN_BY = re.compile(
    r"\s+(?:(?:only |afterwards |later |now )?(?:from|in|on|by) (?:the |our |its |their |these |those )?(?:[\w-]+ ){0,2}?"
    r"(?:dashboards?|graphs?|logs?|metrics|charts?|panels?|traces?|data|timelines?|alerts?|traffic|numbers|"
    r"readings?|samples?|profiles?|heatmaps?|histograms?|events|output|diff|replay|recordings?))(?![\w'])"
)


def _person_after(m: re.Match[str], clauses: list[Clause]) -> bool:
    """Whether a clause after the match has a person as its subject ("... that the DBA had ignored it")."""
    return any(c.start > m.end() and c.subject.kind in PERSONISH and not c.subject.inherited for c in clauses)


def _answered_by_system(m: re.Match[str], clauses: list[Clause]) -> bool:
    """A clause after the match, opened by "but", whose subject is a system: the sentence says what hid it."""
    own = [c for c in clauses if c.start <= m.start()]
    if own and own[-1].subject.kind in PERSONISH:
        return False
    return any(
        c.start > m.end() and c.opener in ("but", "yet") and c.subject.kind in ("system", "product")
        for c in clauses
    )


_PERSON_WORDS = (
    lx.ROLE_NOUNS | lx.TEAM_NOUNS | lx.PERSON_PRONOUNS | lx.OBJECT_PRONOUNS | lx.SELF_PRONOUNS
) | {"whoever", "someone", "somebody", "anyone", "anybody", "everyone", "nobody", "his", "her", "their", "my"}
_PERSON_WORDS |= {"shift", "shifts"}  # "the day shift": the people on it
# Between a judgement adjective and its noun: more adjectives ("a sloppy, untested pin"), grading words
_BEFORE_HEAD = frozenset({"and", "or", ",", "very", "really", "quite", "so", "too", "utterly", "totally"})


def _person_word(t: Token) -> bool:
    w = t.low[:-2] if t.low.endswith("'s") else t.low
    if w in _PERSON_WORDS or t.mention:
        return True
    name = t.text[:-2] if t.low.endswith("'s") else t.text
    return t.cap and w not in lx.PRODUCTS and name in general_names()


_LABEL_AFTER = re.compile(
    r"(?:\s+as\s+an?\s+(?:root\s+|possible\s+|valid\s+)?(?:cause|causes|answer|finding))?"
    r"[\s-]+(?:category|categories|label|labels|tag|tags|bucket|buckets|classification|taxonomy|box|field|"
    r"code|codes|checkbox|option|column|heading|reports?|counts?|rates?|tickets?|stat(?:istic)?s|metrics?|jokes?|"
    r"memes?|pages?|messages?|screens?|dialogs?|banners?|framing|narrative|language|wording|talk|dashboards?|panels?|"
    r"graphs?|charts?|widgets?|filters?|quer(?:y|ies))\b"
)


_ABLE_THING = re.compile(
    r"(?:can't|cannot|can not|couldn't|could not|unable to|isn't able|wasn't able|not able)\b"
)
_THINGS = ("system", "product")


def _names_someone(c: Clause) -> bool:
    """Whether a clause's subject has a person's word in it ("They've proven they"), whatever its kind."""
    return any(_person_word(t) for t in c.tokens if c.subject.start <= t.start < c.subject.end)


_THEIR_WORK = frozenset(
    {"word", "work", "reviews", "estimates", "numbers", "calls", "skills", "testing", "promises"}
)


def _trusts_a_thing(m: re.Match[str], clauses: list[Clause]) -> bool:
    """Whether "can't trust" is about a thing: its object ("can't trust the replica lag metric") or, passive,
    its subject ("The lag metric can't be trusted") is a thing, with no person named in the clause."""
    if m.group(0).endswith(" with") and m.group(0).startswith("trust"):
        last = m.group(0).split()[-2]  # "We trusted the vendor's API with retries": a thing trusted with work
        person = last in _PERSON_WORDS or last in lx.TEAM_NAMES or last.title() in general_names()
        return not person and not last.endswith("'s")
    if not m.group(0).endswith(("trust", "trusted")):
        return False
    own = _clause_of(clauses, m.start())
    head = own.subject.text.lower().split()[-1:] or [""]
    owned = own.subject.possessed
    if m.group(0).endswith("trusted") and owned and head[0] not in _PERSON_WORDS:
        # "The vendor's API can't be trusted": a thing of theirs; not "Ana's judgement", "his estimates"
        return owned not in lx.ACTION_NOUNS | lx.FAULT_NOUNS | _THEIR_WORK
    if any(_person_word(t) for t in own.tokens if t.start < m.start() and t.low not in ("we", "i", "you")):
        return False
    if m.group(0).endswith("trusted"):
        s = own.subject
        return (
            s.kind in ("system", "product")
            and not s.possessed
            and s.text.lower() not in ("it", "this", "that")
        )
    run: list[Token] = []
    for t in own.tokens:
        if t.start < m.end():
            continue
        if t.low in lx.PREPOSITIONS or t.low in lx.AUXILIARIES or t.low in lx.COORDINATORS:
            break
        if t.low in lx.RELATIVES or t.low in lx.SUBORDINATORS:
            break
        run.append(t)
    words = [t for t in run if t.low not in lx.DETERMINERS or t.low in ("his", "her", "their", "my")]
    return bool(words) and not any(_person_word(t) or t.low.endswith("'s") for t in words)


_COPULA_A = re.compile(r"\s+(?:is|was|are|were|seems|seemed)(?: \w+ly)? (?:a|an|the)\s+")


def _judges_a_thing(m: re.Match[str], low: str, clauses: list[Clause]) -> bool:
    """Whether a judgement adjective ("lazy", "sloppy", "reckless") is aimed at a thing, not a person.

    Judgement words apply to people only when what they describe is a person or a person's act: the noun
    they modify ("an inattentive reviewer", "careless handling" stay blame; "a reckless default", "a sloppy
    dependency pin" do not), or, used after a verb, the subject of the clause ("that contractor is
    incompetent" stays; "The health check is lazy" does not). A person named anywhere before the word in its
    clause keeps it blame ("the way Greg handled the rollback was careless"), and so does a noun that names an
    act ("the rollback was sloppy").
    """
    if m.group(0) not in lx.JUDGING_ADJECTIVES:
        return False  # "carelessly", "sloppiness", "asleep at the wheel": about how someone acted
    own = _clause_of(clauses, m.start())
    s = own.subject
    of = [t for t in own.tokens if t.start > m.end()][:4]
    if of and of[0].low == "of" and any(_person_word(t) for t in of[1:]):
        return False  # "Irresponsible of the team to ship on a Friday": the person is named after the word
    # a person before the word, outside the subject's modifiers ("the vendor SDK" is a thing)
    before = [
        t
        for t in own.tokens
        if t.start < m.start()
        and (
            not (s.start <= t.start and t.end < s.end)
            or t.low.endswith("'s")
            or t.low in lx.POSSESSIVE_PRONOUNS
        )
    ]
    if any(_person_word(t) for t in before):
        return False
    after = [t for t in own.tokens if t.start >= m.end()]
    k = 0
    while k < len(after) and (after[k].low in _BEFORE_HEAD or after[k].low in lx.JUDGING_ADJECTIVES):
        k += 1
    run: list[Token] = []
    for t in after[k:]:
        if (
            not t.is_word
            or t.low in lx.PREPOSITIONS
            or t.low in lx.AUXILIARIES
            or t.low in lx.DETERMINERS
            or t.low in lx.COORDINATORS
            or t.low in lx.RELATIVES
            or t.low in lx.SUBORDINATORS
        ):
            break
        run.append(t)
    if run and m.end() < run[0].start <= m.end() + 12:
        head = run[-1]  # attributive: "a reckless default", "an inattentive reviewer"
        rest = [t for t in after if t.start > head.end][:3]
        if rest and rest[0].low in ("for", "of", "by", "from") and any(_person_word(t) for t in rest[1:]):
            return False  # "That was a careless thing for Ruben to do": the person named after the noun
        thing = s.kind in ("system", "product") and not s.possessed and s.end <= m.start()
        thing = thing and not s.text.split()[0].lower().endswith("ing")  # not "Skipping the canary was a ..."
        thing = thing and s.text.lower().split()[-1] not in ("it", "this", "that", "which", "what")
        thing = thing and not any(_person_word(t) for t in after)  # not "... a reckless decision by the DBA"
        if head.low in lx.JUDGED_ACTS and thing and _COPULA_A.fullmatch(low, s.end, m.start()):
            return True  # "The default timeout was a reckless choice": a thing said to be the act
        if _person_word(head) or head.low in lx.JUDGED_ACTS:
            return False
        return not any(_person_word(t) for t in run)
    # after a verb: "The health check is lazy", "that contractor is incompetent"
    ours = s.text.lower().startswith(
        ("our ", "my ")
    )  # "our staging data": a thing of ours, not a person's act
    if s.kind not in ("system", "product") and not ours or s.inherited or s.possessed and not ours:
        return False
    words = s.text.lower().split()
    if not words or words[-1] in ("it", "this", "that", "which", "what"):
        return False  # "It was negligent of the ops lead to ...": the judged act is said after the word
    return words[-1] not in lx.JUDGED_ACTS


def denied(rule: str, m: re.Match[str], low: str, start: int, clauses: list[Clause]) -> bool:
    """Whether a word-level match (judgement, hindsight, human error, a minimiser ...) is denied, reported,
    mentioned or about a system rather than used against a person, so it is no finding."""
    if rule == "human_error" and low[max(start, m.start() - 4) : m.start()].strip() in ("not", "no"):
        return True
    if rule == "hindsight" and _answered_by_system(m, clauses):
        return True  # "It should have been obvious from the dashboard, but the panel was collapsed"
    if rule == "hindsight" and _SHOWN_BY.match(low, m.end()) and not _person_after(m, clauses):
        return (
            True  # "It was obvious from the graphs afterwards that the replica lagged": what a system showed
        )
    if rule == "human_error" and _DISCUSSED.match(low, m.end()):
        return True  # "Human error was our first guess, but the logs showed ...": the label discussed
    if rule == "hindsight" and m.group(0).startswith("obvious"):
        if _MAKE_OBVIOUS.search(low, start, m.start()) or "hindsight bias" in low:
            return True  # "make the host obvious": a design goal, not hindsight; hindsight bias named
        need = next((c for c in clauses if c.end > m.end() and c.verb_start >= m.end()), None)
        if (
            need is not None
            and need.subject.kind in ("system", "product", "self")
            and _NEED.match(low, need.verb_start)
        ):
            return True  # "It's obvious the tool should reject a wildcard": a design need, not hindsight
        if _WOULD_BE.search(low, start, m.start()) and not _TO_ANYONE.match(low, m.end()):
            return True  # "the hot shard would have been obvious": what a better signal would show
    if rule == "minimiser" and low[max(start, m.start() - 4) : m.start()] == "not ":
        return True  # "not just the database": "not only"
    if rule in _DENIABLE - {"minimiser"} and DISTANCING.search(
        low, _clause_start(clauses, m.start()), m.start()
    ):
        return True  # "avoid calling anyone careless", "Nobody acted recklessly": the judgement is denied
    if low[m.start() - 1 : m.start()] in _QUOTES and low[m.end() : m.end() + 1] in _QUOTES:
        return True  # "the word 'obviously' came up": a word mentioned, not used
    if (
        rule == "minimiser"
        and m.group(0) == "just"
        and _PAST.match(low, m.end())
        and _clause_of(clauses, m.start()).subject.kind == "self"
    ):
        return True  # "We just rolled back": "just" as "a moment ago"
    if (
        rule == "minimiser"
        and m.group(0) in ("just", "simply")
        and _clause_of(clauses, m.start()).subject.kind in ("system", "product")
    ):
        return True  # "the checklist simply did not cover this case": about a thing, not a person
    if rule == "trust" and _trusts_a_thing(m, clauses):
        return True  # "We can't trust the replica lag metric during failover": a signal, not a person
    if (
        rule == "trust"
        and _ABLE_THING.match(m.group(0))
        and _clause_of(clauses, m.start()).subject.kind in _THINGS
        and not _names_someone(_clause_of(clauses, m.start()))
    ):
        return True  # "The parser can't handle a trailing comma": what a thing cannot do
    if rule == "human_error" and _LABEL_AFTER.match(low, m.end()):
        return True  # "an operator-error category", "the human error label": the label discussed
    if (
        rule == "human_error"
        and low[m.start() - 1 : m.start()] in _QUOTES
        and low[m.end() : m.end() + 2].lstrip(",.;:!?")[:1] in _QUOTES
    ):
        return True  # 'past reports said "operator error,"': the words quoted, not used
    if rule == "judgement" and _judges_a_thing(m, low, clauses):
        return True  # "The health check is lazy", "a sloppy dependency pin": the words describe a thing
    if rule == "hindsight" and low[m.end() : m.end() + 1] == "-":
        return True  # "obviously-named metrics": a compound adjective about a design
    # "only obvious afterwards": naming hindsight, not using it
    return rule == "hindsight" and _AFTERWARDS.match(low, m.end()) is not None
