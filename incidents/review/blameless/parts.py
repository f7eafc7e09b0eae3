"""The parts of blaming language, each found on its own and combined per clause.

A `Hit` is one reason a sentence reads as blame: its rule, the words to highlight (spans) and what the
explanation and the rewording need (who, the predicate, the words after it). The parts:

- person as the cause (`person_subject`): a person mention as the subject of a failure predicate in the same
  clause ("Bob failed to follow", "The DBA forgot", "Sam's change broke"), or as the agent of a passive one
  ("was ignored by the on-call engineer"); an omission by a person ("did not escalate", "never tested");
- a passive that implies someone without naming them (`passive_blame`: "the runbook was not followed");
- fault pinned on someone (`fault`: "Sam's mistake", "to blame", "at fault");
- judgement of a person (`judgement`: "careless", "not paying attention");
- "human error" as a cause (`human_error`);
- hindsight (`hindsight`: "obviously", "it was clear that", "should have known");
- counterfactuals about people (`counterfactual`: "should have checked", "if the DBA had taken a backup",
  "any competent engineer would have");
- minimising words (`minimiser`: "just", "simply", "all he had to do");
- trust and competence remarks (`trust`), and sarcasm (`sarcasm`).

The neutral side is what these leave alone: systems and products as subjects, people doing ordinary things,
what people knew at the time, and questions about the system.
"""

from __future__ import annotations

import dataclasses
import functools
import re

from incidents.review.blameless import (
    across,
    caused,
    context,
    culprit,
    everyone,
    framed,
    judgedwork,
    mocked,
    named,
    neutral,
    passives,
    people,
    pinned,
    placed,
    possessive,
    praised,
    remarks,
    standing,
    supervised,
    taught,
    weaklink,
)
from incidents.review.blameless import lexicon as lx
from incidents.review.blameless.hits import Hit
from incidents.review.blameless.names import general_names
from incidents.review.blameless.neutral import (
    ABLE,
    COND_HAD,
    COULD_NOT_KNOW,
    DURING,
    PERMISSION,
    SAME,
)
from incidents.review.blameless.parse import (
    NOT_LOWER_NAMES,
    PERSONISH,
    Clause,
    Names,
    Subject,
    analyse,
    normalise,
    sentences,
)
from incidents.review.blameless.passives import first as _first


def _alt(patterns: tuple[str, ...] | str) -> re.Pattern[str]:
    body = patterns if isinstance(patterns, str) else "|".join(f"(?:{p})" for p in patterns)
    return re.compile(rf"(?<![\w'-])(?:{body})(?![\w']|-[a-z])")  # not "break-glass", "drop-down"


PERSON_ONLY = _alt(lx.FAILURE_PERSON_ONLY)
GENERAL = _alt(lx.FAILURE_GENERAL)
OMISSION = _alt(lx.OMISSION)
NEGATED_INTENT = _alt(lx.NEGATED_INTENT)
JUDGEMENT = _alt(lx.JUDGEMENT)
HUMAN_ERROR = _alt(lx.HUMAN_ERROR)
FAULT = _alt(lx.FAULT)
HINDSIGHT = _alt(lx.HINDSIGHT)
HINDSIGHT_FRAMES = _alt(lx.HINDSIGHT_FRAMES)
MODAL_PERFECT = _alt(lx.MODAL_PERFECT)
MINIMISERS = _alt(lx.MINIMISERS)
TRUST = _alt(lx.TRUST)
PRAISE = _alt(lx.IRONIC_PRAISE)
CHOICE_PRAISE = _alt(lx.CHOICE_PRAISE)
NEGATIVE = _alt(lx.NEGATIVE_OUTCOME)
SARCASM = _alt(lx.SARCASTIC_TURNS)
IF_ONLY = _alt(lx.IF_ONLY)
ACTION_FAILS = _alt(lx.ACTION_FAILS)
PERSON_PREDICATES = _alt(lx.PERSON_PREDICATES)
SANCTION = _alt(lx.SANCTION)
_WORD = re.compile(r"[\w'-]+")
_KNOWING = r"(?!know|knew|have|had|be\b|been|realis|realiz|expect|see|saw|need|want|think|believe|receive|get|hear|seem)"
_WOULD_HAVE = re.compile(
    r"(?<![\w'])(?:would|wouldn't|could|couldn't|might)(?: not| never)? have(?![\w'])|would've"
)
_PLAIN_PAST = re.compile(
    rf"(?:\w+ly )?{_KNOWING}(?:[a-z]+ed|read|ran|took|did|made|wrote|kept|caught|paid)(?![\w'])"
)
_INVERTED_NEGATED = re.compile(rf"not {_KNOWING}[a-z]+")
_INVERTED_VERB = re.compile(rf"{_KNOWING}[a-z]+")
_ANYWHERE = (
    ("judgement", JUDGEMENT),
    ("human_error", HUMAN_ERROR),
    ("fault", FAULT),
    ("hindsight", HINDSIGHT),
    ("minimiser", MINIMISERS),
    ("trust", TRUST),
    ("sarcasm", SARCASM),
    ("sarcasm", CHOICE_PRAISE),
    ("counterfactual", IF_ONLY),
    ("sanction", SANCTION),
)
# Praise with its reason: "for" or "on" and what the person did ("..., on getting the rollback out")
_SINCERE = re.compile(
    r"(?<![\w'])(?:for|on) (?:\w+ly )?(?:[a-z]+ing|the (?:quick|fast|calm|clear|careful))\b"
)
_SINCERE_THING = re.compile(
    r"(?<![\w'])(?:for|on) (?:the|that|this|your|their|his|her) [\w-]+"
)  # on the procedure
_VOCATIVE = re.compile(r",\s*([A-Z][\w'-]+)\s*[,.!?]")
_REASON_AFTER = re.compile(r"[:\u2014]| - ")  # praise, then what it is for
_FAIR_CALLS = re.compile(
    r"(?<![\w'])(?:reasonable|sensible|right|good|correct|understandable|defensible) (?:calls?|decisions?|choices?|judge?ments?)"
)
# People on the receiving end of what the system did ("new engineers received production credentials by default")
_RECEIVED = re.compile(
    r"(?:\w+ly )?(?:received|receive|got|get|were given|was given|are given|were granted|inherited|had)\b"
)
# Hindsight named as such, or what is clear now (not what was clear then): learning about a system, unless a
# person is judged in the same sentence.
_NOW_FRAMED = re.compile(
    r"(?<![\w'])(?:(?:with|in) hindsight|in retrospect|looking back|after the fact|(?:is|are) now|"
    r"now (?:clear|obvious|visible|evident|apparent))(?![\w'])"
)


def find(text: str, names: Names) -> list[Hit]:
    """Every hit in `text`, in order of position.

    Sentences are checked one by one and the answers kept (the last 4,096 sentences per set of user
    names): the live preview re-checks a whole section on every pause, and most of its sentences have
    not changed since the last time.
    """
    hits: list[Hit] = []
    previous = ""
    for start, end in sentences(text):
        sentence = text[start:end]
        denied = (
            placed.claim_denied(previous, sentence, names)
            or placed.cleared_then_person(previous, sentence, names)
            if previous
            else None
        )
        previous = sentence
        if denied is not None:  # "Bruno swore the plan had been rehearsed. It hadn't.": across two sentences
            denied.spans = [(a + start, b + start) for a, b in denied.spans]
            denied.sentence = (start, end)
            hits.append(denied)
        for h in _sentence_hits(sentence, names.users):
            hits.append(
                dataclasses.replace(
                    h,
                    spans=[(a + start, b + start) for a, b in h.spans],
                    sentence=(h.sentence[0] + start, h.sentence[1] + start),
                    extra=dict(h.extra),
                )
            )
    hits.sort(key=lambda h: (h.start, h.end, h.rule))
    return hits


@functools.lru_cache(maxsize=4096)
def _sentence_hits(sentence: str, users: frozenset[str]) -> tuple[Hit, ...]:
    """The hits of one sentence, offsets relative to it (the cached objects are never changed)."""
    names = Names(users, general_names())
    low = normalise(sentence)
    matches = [(rule, m) for rule, pattern in _ANYWHERE for m in pattern.finditer(low)]
    return tuple(_sentence(sentence, low, 0, len(sentence), names, matches))


def _rest(text: str, clause: Clause, at: int) -> str:
    return text[at : clause.end].strip(" ,.;:!?")


def _sentence(
    text: str, low: str, start: int, end: int, names: Names, matches: list[tuple[str, re.Match[str]]]
) -> list[Hit]:
    clauses = analyse(text, low, start, end, names)
    hits: list[Hit] = []
    for clause in clauses:
        hits.extend(_clause(text, low, clause))
    hits.extend(_anywhere(text, low, start, end, clauses, names, matches))
    hits = [h for h in hits if not neutral.excused(h, clauses, low)]
    quoted = mocked.reported_quotes(text[start:end]) if "'" in low or '"' in low or "\u201c" in low else []
    if quoted:  # "'Great job, whoever broke it' was posted and ...": blame quoted and discussed, not made
        hits = [h for h in hits if not any(a <= h.start - start and h.end - start <= b for a, b in quoted)]
    if any(c.opener == "if" and c.subject.kind not in PERSONISH for c in clauses):
        # "Had the alert included the hostname, the responder could have acted in minutes": what a better
        # system would have let people do, not what they should have done
        hits = [h for h in hits if h.rule != "counterfactual" or not h.predicate.lower().startswith(ABLE)]
    for h in hits:
        h.sentence = (start, end)
    return hits


def _clause(text: str, low: str, c: Clause) -> list[Hit]:
    s = c.subject
    out: list[Hit] = []
    vs, ce = c.verb_start, c.end
    subj_span = [(s.start, s.end)] if s.end > s.start and not s.inherited else []
    conditional = c.opener == "if" or (c.inverted and c.opener == "if")
    if s.kind in PERSONISH and not s.possessed:
        m = _first(PERSON_ONLY, low, vs, ce) or _first(GENERAL, low, vs, ce) or _omission(low, c)
        if m is None and c.inverted and c.opener != "if":
            # "Why didn't Tom check ...", "How did the DBA not notice ...": the negation sits around the subject.
            m = _INVERTED_NEGATED.match(low, vs) if not c.negated_aux else _INVERTED_VERB.match(low, vs)
        if (
            m is not None
            and m.group(0).startswith(("without", "w/o"))
            and PERMISSION.search(low, c.start, m.start())
        ):
            m = None  # "We trust the on-call to decide without waiting for approval": a permission
        if m is not None and not conditional:
            out.append(_hit("person_subject", c, s, m, text, subj_span))
        mj = _first(PERSON_PREDICATES, low, vs, ce)
        if mj is not None and not conditional and s.kind != "universal":
            out.append(_hit("judgement", c, s, mj, text, subj_span))
        mp = _first(MODAL_PERFECT, low, vs, ce)
        if mp is not None and COULD_NOT_KNOW.match(low, mp.start()):
            mp = None  # "could not have known": what the person could see then, the opposite of hindsight
        if mp is not None and s.kind == "universal" and SAME.search(low, mp.end()):
            mp = None  # "Anyone following the runbook would have run the same command": the substitution test
        if mp is not None and (not mp.group(0).startswith(("would", "wouldn")) or s.kind == "universal"):
            out.append(_hit("counterfactual", c, s, mp, text, subj_span))
        elif conditional and re.search(r"(?:(?<![\w'])(?:had|hadn't)|(?<=\w)'d)(?![\w'])", low[vs:ce]):
            # "If the DBA had taken a backup", "If she'd listened"; not what someone knew ("had known")
            mh = COND_HAD.search(low, vs, ce)
            if mh is not None:
                out.append(_hit("counterfactual", c, s, mh, text, subj_span))
        elif (
            conditional
            and not c.inverted
            and s.kind != "self"
            and _WOULD_HAVE.search(low)
            and (past := _PLAIN_PAST.match(low, vs)) is not None
        ):
            # "The incident would have been caught in minutes if he read the alerts channel": a plain past
            out.append(_hit("counterfactual", c, s, past, text, subj_span))
        elif conditional and c.inverted:
            # "Had the on-call engineer been paying attention, ...": the auxiliary opened the clause.
            verb = _WORD.match(low, vs) or _WORD.search(low, c.start)
            if verb is not None:
                out.append(_hit("counterfactual", c, s, verb, text, subj_span))
    elif s.kind == "negative":
        m = _first(NEGATED_INTENT, low, vs, ce) or _first(PERSON_ONLY, low, vs, ce)
        if m is None and c.inverted and c.opener != "if" and low[c.start : c.start + 3] == "why":
            m = _INVERTED_VERB.match(
                low, vs
            )  # "Why did nobody on the infra team notice ...": "why didn't you"
        if m is not None and not m.group(0).endswith("ly"):  # "Nobody acted recklessly" denies a judgement
            out.append(_hit("person_subject", c, s, m, text, subj_span))
    elif s.kind == "via_object":
        m = _first(GENERAL, low, vs, ce)
        if m is not None:
            out.append(_hit("person_subject", c, s, m, text, [(s.start, s.end)]))
    elif s.kind == "product":
        m = _first(PERSON_ONLY, low, vs, ce)
        if m is not None:
            out.append(_hit("person_subject", c, s, m, text, subj_span))
    elif s.kind == "system" and _unknown_name(s) and not s.inherited:
        # "Priyesh was more concerned with ... than ...": a capitalised word missing from the names list, with a
        # predicate only people take, is a person
        m = _first(PERSON_ONLY, low, vs, ce) or _first(NEGATED_INTENT, low, vs, ce)
        if m is not None:
            out.append(_hit("person_subject", c, s, m, text, subj_span))
        mj = _first(PERSON_PREDICATES, low, vs, ce)
        if mj is not None:
            out.append(_hit("judgement", c, s, mj, text, subj_span))
    elif s.possessed and (s.kind in PERSONISH):
        m = _first(ACTION_FAILS, low, vs, ce) or _first(GENERAL, low, vs, ce)
        if m is not None and s.possessed in lx.ACTION_NOUNS | lx.FAULT_NOUNS:
            out.append(_hit("person_subject", c, s, m, text, subj_span))
    # Passives: with a person as agent, any failure; without one, a predicate only people fill.
    return [*out, *passives.find(text, low, c)]


def _unknown_name(s: Subject) -> bool:
    words = s.text.split()
    return (
        len(words) == 1
        and words[0][:1].isupper()
        and not words[0].isupper()
        and words[0].isalpha()
        and words[0].lower() not in lx.PRODUCTS
        and words[0].lower() not in NOT_LOWER_NAMES
    )


def _omission(low: str, c: Clause) -> re.Match[str] | None:
    m = OMISSION.search(low, c.verb_start, c.end)
    if m is not None and m.group(0).startswith(_NOT_YET) and _BEFORE_END.match(low, c.end):
        return (
            None  # "The new DBA had not run a failover on this cluster before": experience, not an omission
        )
    return m


_NOT_YET = (
    "had not",
    "hadn't",
    "had never",
    "has not",
    "hasn't",
    "has never",
    "have not",
    "haven't",
    "have never",
)
_BEFORE_END = re.compile(r"\s*(?:before|previously|until then|until now|yet)\s*(?:[,.;:!?]|$)")


def _hit(
    rule: str, c: Clause, s: Subject, m: re.Match[str], text: str, subj_span: list[tuple[int, int]]
) -> Hit:
    spans = [*subj_span, (m.start(), m.end())]
    first = min(a for a, _ in spans)
    return Hit(
        rule,
        spans,
        who=s.text,
        predicate=text[m.start() : m.end()],
        rest=_rest(text, c, m.end()),
        words=text[first : m.end()],
        extra={"possessed": s.possessed, "kind": s.kind},
    )


def _mentions(clauses: list[Clause]) -> list[Subject]:
    return [c.subject for c in clauses if c.subject.kind in PERSONISH or c.subject.kind == "negative"]


def _span_hit(rule: str, m: re.Match[str], text: str, **extra: str) -> Hit:
    return Hit(rule, [(m.start(), m.end())], words=text[m.start() : m.end()], extra=dict(extra))


def _anywhere(
    text: str,
    low: str,
    start: int,
    end: int,
    clauses: list[Clause],
    names: Names,
    matches: list[tuple[str, re.Match[str]]],
) -> list[Hit]:
    out: list[Hit] = []
    person: bool | None = None
    for rule, m in matches:
        if neutral.denied(rule, m, low, start, clauses):
            continue
        if rule == "hindsight" and _NOW_FRAMED.search(low, start, end):
            if person is None:
                person = across.mentions_person(clauses, names)
            if not person:
                continue  # "With hindsight, the signs are visible", "It is now clear that": learning, said as such
        if rule == "sarcasm" and CHOICE_PRAISE.fullmatch(low, m.start(), m.end()):
            if person is None:
                person = across.mentions_person(clauses, names)
            if not person and re.match(r"\s+(?:by|from)\s", low[m.end() :]):
                continue  # "Genius move by the retry library": irony about a system
        out.append(_span_hit(rule, m, text))
    out.extend(across.cause_is_person(text, low, clauses, names))
    out.extend(across.person_failing(text, low, clauses, names))
    out.extend(across.contrast(text, clauses))
    out.extend(across.sarcasm(text, low, clauses, names))
    out.extend(people.find(text, low, clauses, names))
    out.extend(context.find(text, low, clauses, names))
    out.extend(framed.find(text, low, clauses, names))
    out.extend(supervised.find(text, low, clauses, names))
    out.extend(mocked.find(text, low, clauses, names))
    out.extend(pinned.find(text, low, clauses, names))
    out.extend(taught.find(text, low, clauses, names))
    out.extend(caused.find(text, low, clauses, names))
    out.extend(named.find(text, low, clauses, names))
    out.extend(remarks.find(text, low, clauses, names))
    out.extend(standing.find(text, low, clauses, names))
    out.extend(weaklink.find(text, low, clauses, names))
    out.extend(  # a remedy for the culprit, unless another part already explains the same sanction
        h
        for h in culprit.find(text, low, clauses, names)
        if not any(o.rule == "sanction" and o.start < h.end and h.start < o.end for o in out)
    )
    out.extend(praised.find(text, low, clauses, names))
    out.extend(judgedwork.find(text, low, clauses, names))
    out.extend(everyone.find(text, low, clauses, names))
    mentions = _mentions(clauses)
    frame = HINDSIGHT_FRAMES.search(low, start, end)
    actors = [c for c in clauses if c.subject.kind in PERSONISH and not _RECEIVED.match(low, c.verb_start)]
    fair = neutral.LOCAL_RATIONALITY.search(low) or _FAIR_CALLS.search(
        low
    )  # "made reasonable calls with the data"
    if (
        frame is not None
        and mentions
        and not fair
        and (actors or any(c.subject.kind == "negative" for c in clauses))
    ):
        out.append(_span_hit("hindsight", frame, text))
    praise = PRAISE.search(low, start, end)
    if praise is not None and not mocked.aimed_at_system(low, praise, clauses, names):
        vocative = any(names.is_name(v.group(1)) for v in _VOCATIVE.finditer(text, start, end))
        negative = [n for n in NEGATIVE.finditer(low, start, end) if not DURING.search(low, start, n.start())]
        negative = [n for n in negative if mocked.real_damage(low, n)]  # not "... through the outage"
        sincere = _SINCERE.search(low, praise.end(), end) or _SINCERE_THING.search(low, praise.end(), end)
        if sincere and (not negative or framed.GOOD_OUTCOME.search(low, sincere.end(), end)):
            # "Great job, Kyle, on getting the rollback out in five minutes", "..., for keeping the bridge
            # calm at 3am": praise with its reason and a good outcome, whatever the hour
            vocative, negative = False, []
        reason = _REASON_AFTER.search(low, praise.end(), end)
        if reason is not None and framed.GOOD_OUTCOME.search(low, reason.end(), end):
            vocative, negative = False, []  # "Great job, ops: the failover finished with no data loss"
        if vocative or negative:
            out.append(_span_hit("sarcasm", praise, text))
    out.extend(possessive.find(text, low, start, end, clauses, names))
    return out
