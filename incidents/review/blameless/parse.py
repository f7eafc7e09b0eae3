"""Sentence structure for the blameless check: sentences, clauses, and who each clause is about.

No parser model: a clause is cut at punctuation, conjunctions, subordinators and relative pronouns, and its
subject is the noun phrase before its first verb group. That is enough to tell "Chen rolled back" (a person
doing an ordinary thing) from "Chen forgot" (a person as the cause), "The health check failed to" (a system)
from "The on-call engineer failed to" (a person), and "Grant the group access" (a verb) from "Grant skipped
the canary" (a name), which is what the check needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from incidents.review.blameless import lexicon as lx
from incidents.review.blameless.nounphrase import (
    PERSONISH,
    Subject,
    agent_of,
    classify_np,
    pronoun_kind,
    trailing_np,
)
from incidents.review.blameless.tokens import (
    CONTRACTIONS,
    NOT_LOWER_NAMES,
    Names,
    Token,
    normalise,
    sentences,
    tokenize,
)

__all__ = ["NOT_LOWER_NAMES", "PERSONISH", "Clause", "Names", "Subject", "Token", "analyse", "classify_np"]
__all__ += ["normalise", "sentences"]

# Words in -ly that are nouns or adjectives inside a noun phrase, not adverbs opening a verb group.
_LY_NOUNS = frozenset(
    {"supply", "reply", "apply", "family", "assembly", "rally", "ally", "anomaly", "monopoly"}
)
_LY_NOUNS |= {"italy", "july"}
# Personal pronouns: a noun phrase of their own, so the next word starts the verb group ("We trust ...").
_BARE_PRONOUNS = frozenset({"he", "she", "they", "we", "i", "you"})
_CAUSE_ADJECTIVES = frozenset({"root", "main", "primary", "real", "underlying", "contributing", "proximate"})
_CAUSE_ADJECTIVES |= {"probable", "likely", "first"}
_OBJECTS = lx.OBJECT_PRONOUNS | {"it"}
# Linking verbs that open a verb group like a copula: "The retention settings look sensible".
_LINKING = frozenset(
    {"look", "looks", "seem", "seems", "appear", "appears", "sound", "sounds", "remain", "remains"}
)
_GRADING = frozenset({"more", "most", "less", "least", "very", "too", "so", "well", "poorly", "badly", "un"})
# Hedges that open a chat sentence before its subject: "pretty sure bogdan broke it".
_HEDGES = (
    ("pretty", "sure"),
    ("fairly", "sure"),
    ("quite", "sure"),
    ("im", "pretty", "sure"),
    ("i'm", "pretty", "sure"),
    ("im", "sure"),
    ("i'm", "sure"),
    ("i", "bet"),
    ("i", "reckon"),
    ("i", "guess"),
    ("100%", "sure"),
    ("at", "the", "end", "of", "the", "day"),
)
_INTENSIFIERS = (
    ("tf",),
    ("wtf",),
    ("the", "hell"),
    ("the", "heck"),
    ("on", "earth"),
    ("in", "the", "world"),
    ("in", "god's", "name"),
)
_TIMEZONES = frozenset({"utc", "gmt", "pst", "pdt", "est", "edt", "cet", "cest", "bst", "ist", "jst", "aest"})
_PREDICATE_START = re.compile(
    "|".join(f"(?:{p})" for p in (*lx.FAILURE_PERSON_ONLY, *lx.FAILURE_GENERAL, lx.NEGATED_INTENT, *lx.TRUST))
)


@dataclass
class Clause:
    start: int
    end: int
    tokens: list[Token]
    opener: str = ""
    subject: Subject = field(default_factory=lambda: Subject("none"))
    verb_start: int = 0  # character offset where the verb group begins (predicates are looked for from here)
    inverted: bool = False  # "Why didn't Tom check ...", "Had the engineer checked ..."
    negated_aux: bool = False  # the inverted auxiliary was negative ("didn't")
    agent: Subject | None = None  # "... by the new hire"
    dangling: Subject | None = None  # a noun phrase with no verb ("Rajesh," before "once again, didn't ...")


def _is_verbish(tokens: list[Token], j: int, np_start: int, low: str, names: Names) -> bool:
    t = tokens[j]
    if t.low == "=" and j > np_start:
        return True  # "root cause = ...": chat shorthand for "is"
    if not t.is_word:
        return False
    w = t.low
    if (
        j == np_start
        and t.cap
        and j + 1 < len(tokens)
        and w in lx.AUXILIARIES
        and names.is_name(t.text)
        and _verb_like(tokens[j + 1], low)
    ):
        return False  # "Will forgot", "May deployed": a name that is also an auxiliary, followed by a verb
    if w in lx.AUXILIARIES or w in ("not", "never", "'s", "'re") or w in CONTRACTIONS:
        return True
    if j == np_start:
        return False
    nxt = tokens[j + 1].low if j + 1 < len(tokens) else ""
    if (
        ((w.endswith("s") and not w.endswith("ss")) or (nxt.endswith("ing") and not w.endswith("ing")))
        and _is_person_head(tokens[j - 1], names)
        and (
            nxt in ("to", "more", "better", "closer", "extra")
            or nxt.endswith("ing")
            or nxt in lx.DETERMINERS
            or nxt in lx.OBJECT_PRONOUNS
            or (nxt in _PARTICLES and w.endswith("s"))
        )
    ):
        return (
            True  # "the on-call needs to ...", "Ana owns the", "the QA lead signs off": a verb after a person
        )
    if (
        w.endswith("s")
        and not w.endswith("ss")
        and j >= 2
        and tokens[j - 2].low in lx.DETERMINERS
        and nxt in _DET
    ):
        return True  # "because the tool takes an exclusive lock": a present verb after "the <noun>"
    if (
        w in _SAME_FORM_PAST
        and _is_person_head(tokens[j - 1], names)
        and (tokens[j + 1].low if j + 1 < len(tokens) else "") in lx.DETERMINERS | lx.OBJECT_PRONOUNS
    ):
        return True  # "The release engineer cut the release", "the DBA set the limit": a past verb
    prev = tokens[j - 1].low
    no_one = prev == "one" and j >= 2 and tokens[j - 2].low == "no"
    if (prev in lx.DETERMINERS and not no_one) or prev.endswith("'s") or prev in lx.POSSESSIVE_PRONOUNS:
        return False
    if prev in _GRADING and len(w) > 3 and w.endswith("ed"):
        return False  # "a more experienced engineer": a participle as an adjective, graded
    if w.startswith("cause") and prev in _CAUSE_ADJECTIVES:
        return False  # "root cause", "the main causes": the noun, not the verb
    if w in lx.IRREGULAR_PAST or w == "to" or (w in _LINKING and not t.cap):
        return True
    if (w in lx.VERB_ADVERBS or (len(w) > 4 and w.endswith("ly") and w not in _LY_NOUNS)) and not t.cap:
        return True  # "They clearly rushed ...", "The DBA then dropped ...": an adverb opens the verb group
    if len(w) > 3 and w.endswith("ed") and not t.cap:
        return True
    return bool(_PREDICATE_START.match(low, t.start))


_DET = lx.DETERMINERS - {"this", "that", "these", "those", "no", "all", "each", "every", "any", "some"}
_PARTICLES = frozenset({"off", "up", "out", "down", "over", "back", "without"})
_SAME_FORM_PAST = frozenset({"cut", "set", "put", "hit", "let", "shut", "quit", "reset", "spread", "upset"})


def _is_person_head(t: Token, names: Names) -> bool:
    w = t.low
    return (
        w in lx.PERSON_PRONOUNS
        or w in lx.ROLE_NOUNS
        or w in lx.TEAM_NOUNS
        or (w in lx.TEAM_NAMES and t.cap)
        or (t.cap and names.is_name(t.text))
    )


def _may_be_verb(t: Token) -> bool:
    w = t.low
    return (
        t.is_word
        and not t.cap
        and w not in lx.PREPOSITIONS
        and w not in lx.DETERMINERS
        and not w.endswith("'s")
    )


def _verb_like(t: Token, low: str) -> bool:
    w = t.low
    return (
        w in lx.AUXILIARIES
        or w in ("not", "never")
        or w in lx.IRREGULAR_PAST
        or (len(w) > 3 and w.endswith("ed") and not t.cap)
        or bool(_PREDICATE_START.match(low, t.start))
    )


def split_clauses(tokens: list[Token]) -> list[tuple[str, list[Token]]]:
    """Cut a sentence's tokens into (opener, tokens) clauses."""
    out: list[tuple[str, list[Token]]] = []
    current: list[Token] = []
    opener = ""

    def flush(next_opener: str) -> None:
        nonlocal current, opener
        if current or opener:
            out.append((opener, current))
        current, opener = [], next_opener

    for i, t in enumerate(tokens):
        w = t.low
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if not t.is_word and w in ';:()[]\u2014\u2013,"':
            flush("")
        elif w == "that" and not current and opener == "that":
            continue  # "it became clear that the operator ...": the reporting split already opened the clause
        elif w in lx.COORDINATORS and not current and not opener and out:
            opener = w  # ", but only after ...": a conjunction after a comma opens the next clause
        elif w in _EMBEDDED_WH and current and current[-1].low in _ASKING:
            flush(w)  # "Priya asked why the alert had not fired": the question is its own clause
        elif w in {"who", "which", "whom"} and not current and not opener and out:
            opener = w  # "the diff, which did not show ...": a relative after a comma
        elif (
            w in lx.COORDINATORS
            and (w != "then" or not current)
            and current
            or w in lx.SUBORDINATORS - {"as", "once"}
            or (
                w == "once"
                and nxt is not None
                and nxt.low != "again"
                and (i == 0 or tokens[i - 1].low != "at")
            )
        ):
            flush(w)
        elif w in {"who", "which", "whom", "whoever"} and current:
            flush(w if w != "whoever" else "")
            if w == "whoever":
                current.append(t)
        elif w == "that" and current and nxt is not None and _starts_clause_after_that(nxt):
            flush("that")
        elif (
            w == "out"
            and current
            and current[-1].low in ("turned", "turns")
            and nxt
            and (nxt.low in _AFTER_OUT or nxt.cap)
        ):
            current.append(t)  # "turned out the config loader ignored the new key": what was found
            flush("that")
        elif (
            w in _REPORTING
            and (current or opener)
            and nxt is not None
            and (nxt.low in lx.DETERMINERS or nxt.low in lx.PERSON_PRONOUNS or nxt.low == "it")
            and (i + 2 >= len(tokens) or tokens[i + 2].low not in ("through", "over", "twice", "up", "out"))
            and not (w in _INSTRUCTING and any(u.low == "to" for u in tokens[i + 2 : i + 6]))
        ):
            current.append(t)
            flush("that")
        else:
            current.append(t)
    flush("")
    return out


def _starts_clause_after_that(nxt: Token) -> bool:
    w = nxt.low
    return (
        w in lx.DETERMINERS
        or w in lx.PERSON_PRONOUNS
        or w in ("it", "nothing", "none", "there")
        or w in lx.AUXILIARIES
        or w in ("not", "never")
        or w in lx.IRREGULAR_PAST
        or (w.endswith("ed") and len(w) > 3)
        or nxt.cap
    )


_REPORTING = lx.words("reporting")
_EMBEDDED_WH = frozenset({"why", "whether", "how", "what", "when", "where", "if"})
_ASKING = frozenset(
    {"asked", "ask", "asks", "asking", "wondered", "wonder", "queried", "questioned", "checked", "explained"}
    | {
        "investigated",
        "understand",
        "understood",
        "know",
        "knew",
        "see",
        "saw",
        "showed",
        "examined",
        "traced",
    }
)
# "told the CDN to cache everything": an instruction with an object and "to", not a report
_INSTRUCTING = frozenset({"told", "tell", "tells", "asked", "ask", "asks", "warned", "reminded", "expected"})

_LEADING_ADVERBS = lx.words("leading_adverbs")
_AFTER_OUT = lx.DETERMINERS | lx.PERSON_PRONOUNS | {"it", "that"}


def analyse(text: str, low: str, start: int, end: int, names: Names) -> list[Clause]:
    """Clauses of the sentence text[start:end] with their subjects."""
    clauses: list[Clause] = []
    for opener, toks in split_clauses(tokenize(text, start, end, low, names)):
        words = [t for t in toks if t.is_word or t.low in ("'", "=")]
        if not words:
            continue
        clause = Clause(start=words[0].start, end=words[-1].end, tokens=words, opener=opener)
        _find_subject(clause, low, names, clauses)
        clause.agent = agent_of(clause.tokens, clause.verb_start, names)
        if clauses and clause.tokens[0].low == "whoever" and clauses[-1].tokens[-1].low == "by":
            clauses[-1].agent = Subject(
                "person", words[0].start, words[0].end, "whoever"
            )  # "by whoever was on"
        clauses.append(clause)
    return clauses


def _next_low(toks: list[Token], i: int) -> str:
    return toks[i + 1].low if i + 1 < len(toks) else ""


def _find_subject(clause: Clause, low: str, names: Names, before: list[Clause]) -> None:
    toks = clause.tokens
    i = 0
    while i < len(toks) and (
        toks[i].low[:1].isdigit()  # a timestamp or a number before the sentence proper ("14:05 The DBA ...")
        or (any(ch.isdigit() for ch in toks[i].low) and i + 1 < len(toks))  # a ticket id ("INC-88 ...")
        or toks[i].low in _TIMEZONES
        or (toks[i].low in _LEADING_ADVERBS and not (toks[i].low == "no" and _next_low(toks, i) == "one"))
        or (toks[i].low.endswith("ly") and not names.is_name(toks[i].text) and len(toks[i].low) > 4)
    ):
        i += 1
    if i + 1 < len(toks) and toks[i].low == "of" and toks[i + 1].low == "course":
        i += 2
    for hedge in _HEDGES:
        if [t.low for t in toks[i : i + len(hedge)]] == list(hedge) and i + len(hedge) < len(toks):
            i += len(hedge)
            break
    if i + 1 < len(toks) and toks[i].low in lx.WH_WORDS:
        for idiom in _INTENSIFIERS:  # "why tf did kev push ...", "why on earth did ..."
            if [t.low for t in toks[i + 1 : i + 1 + len(idiom)]] == list(idiom) and i + 1 + len(idiom) < len(
                toks
            ):
                del toks[i + 1 : i + 1 + len(idiom)]
                break
    if i + 1 < len(toks) and toks[i].low in lx.WH_WORDS and toks[i + 1].low in lx.AUXILIARIES:
        clause.inverted = True
        clause.negated_aux = toks[i + 1].low.endswith("n't") or toks[i + 1].low == "cannot"
        i += 2
    elif i + 1 < len(toks) and i == 0 and toks[i].low in ("had", "should", "were") and not clause.opener:
        clause.inverted = True
        clause.opener = "if"
        i += 1
    elif i < len(toks) and toks[i].low in ("who", "whoever") and not clause.opener:
        clause.subject = Subject("person", toks[i].start, toks[i].end, toks[i].text)
        clause.verb_start = toks[i + 1].start if i + 1 < len(toks) else toks[i].end
        return
    if (
        i + 1 < len(toks)
        and toks[i].low in ("what", "all")
        and (toks[i + 1].low in _BARE_PRONOUNS or _is_person_head(toks[i + 1], names))
    ):
        i += 1  # "What he should have done was ...": a free relative whose subject is the person
    j = i
    if (
        i + 1 < len(toks)
        and toks[i].low in _BARE_PRONOUNS
        and toks[i + 1].low not in lx.PREPOSITIONS | {"all", "both"}
    ):
        kind = pronoun_kind(toks[i].low)
        if toks[i].low == "they" and _things_before(before):
            kind = "system"  # "the warning signs are visible, but they were buried": "they" are the signs
        clause.subject = Subject(kind, toks[i].start, toks[i].end, toks[i].text)
        clause.verb_start = toks[i + 1].start
        return
    elided = (
        not clause.opener
        and before
        and _last_subject(before).kind in PERSONISH
        and i < len(toks)
        and toks[i].low not in lx.AUXILIARIES
        and toks[i].low not in ("not", "never")
        and not toks[i].cap
        and (toks[i].low in lx.IRREGULAR_PAST or (len(toks[i].low) > 3 and toks[i].low.endswith("ed")))
    )  # "The release manager started the rollout, logged off and ...": the subject carries over the comma
    named = (
        i + 1 < len(toks) and toks[i].cap and names.is_name(toks[i].text) and _verb_like(toks[i + 1], low)
    )  # "... because Rose forgot to renew it": a name that is also a verb, followed by a verb
    if (clause.opener or elided) and i < len(toks) and _verb_like(toks[i], low) and not named:
        j = (
            len(toks) + 1
        )  # "..., and forgot to ...", "... a command that took down ...": the subject is elided
    while j < len(toks) and j - i < 9 and not _is_verbish(toks, j, i, low, names):
        if clause.inverted and j > i and _is_person_head(toks[j - 1], names) and _may_be_verb(toks[j]):
            break  # "Why didn't Tom check ...": after an inverted auxiliary the verb is a bare form
        j += 1
    if j == len(toks) + 1:
        clause.verb_start = toks[i].start
        clause.subject = _implicit_subject(clause, before, names, low)
        return
    if j >= len(toks) or j - i >= 9:
        clause.subject = Subject("none")
        clause.verb_start = clause.end
        if j - i < 5 and i < len(toks):
            clause.dangling = classify_np(toks[i:j], names)
        return
    if toks[j].low in CONTRACTIONS and j == i:
        pron = toks[j].low.split("'")[0]
        kind = pronoun_kind(pron)
        clause.subject = Subject(kind or "system", toks[j].start, toks[j].start + len(pron), pron)
        clause.verb_start = toks[j].start
        return
    clause.verb_start = toks[j].start
    np = toks[i:j]
    if not np:
        clause.subject = _implicit_subject(clause, before, names, low)
        return
    clause.subject = classify_np(np, names)


_MODAL_START = re.compile(r"(?:could|would|might|should|will|can|was going to|were going to|'d)\b")


def _last_subject(before: list[Clause]) -> Subject:
    """The subject of the nearest earlier clause that has one, skipping verbless pieces ("saw the alert,")."""
    for c in reversed(before):
        if c.subject.kind != "none" or c.verb_start < c.end:
            return c.subject
    return Subject("none")


def _things_before(before: list[Clause]) -> bool:
    """Whether "they" refers back to things: the nearest earlier subject is a plural system noun ("the
    skipped steps") and no earlier clause is about people."""
    if any(c.subject.kind in PERSONISH for c in before):
        return False
    prev = next((c.subject for c in reversed(before) if c.subject.kind != "none"), None)
    if prev is None or prev.kind not in ("system", "product") or prev.inherited:
        return False
    words = [w.lower() for w in prev.text.split() if w.lower() not in lx.DETERMINERS]
    return any(
        w.endswith("s") and not w.endswith(("ss", "'s", "us", "is")) and w not in lx.TEAM_NAMES for w in words
    )


def _implicit_subject(clause: Clause, before: list[Clause], names: Names, low: str) -> Subject:
    if not before:
        return Subject("none")
    prev = before[-1]
    if (
        clause.opener in lx.COORDINATORS
        and prev.opener == "that"
        and len(before) >= 2
        and before[-2].subject.kind in PERSONISH
        and _MODAL_START.match(low, prev.verb_start)
    ):
        # "The on-call decided the page could wait and turned over": the reported thought has a modal; the
        # act after "and" is the thinker's
        s = before[-2].subject
        return Subject(s.kind, s.start, s.end, s.text, s.possessed, s.possessed_words, inherited=True)
    if clause.opener in lx.COORDINATORS or clause.opener == "":
        s = (
            prev.subject
            if prev.subject.kind != "none" or prev.verb_start < prev.end
            else _last_subject(before)
        )
        if s.kind == "none" and clause.opener == "":
            # "Rajesh, once again, didn't run the tests": the subject is the phrase left before the commas
            s = next((b.dangling for b in reversed(before) if b.dangling is not None), s)
        return Subject(s.kind, s.start, s.end, s.text, s.possessed, s.possessed_words, inherited=True)
    if clause.opener in ("who", "whom"):
        return Subject("person", prev.start, prev.end, prev.tokens[-1].text if prev.tokens else "")
    if clause.opener in lx.SUBORDINATORS and clause.tokens and clause.tokens[0].low.endswith("ing"):
        # "..., but only after wasting forty minutes": a gerund's subject is the main clause's
        s = next((b.subject for b in reversed(before) if b.subject.kind != "none"), Subject("none"))
        return Subject(s.kind, s.start, s.end, s.text, s.possessed, s.possessed_words, inherited=True)
    if clause.opener in ("that", "which"):
        tail = trailing_np(prev.tokens)
        s = classify_np(tail, names) if tail else Subject("system")
        if s.kind in PERSONISH:
            return Subject(s.kind, s.start, s.end, s.text, inherited=True)
        if (
            clause.opener == "that"
            and prev.subject.kind in PERSONISH
            and "," not in low[prev.end : clause.start]
        ):
            # "The engineer issued a command that took down the backbone": a restrictive relative on the
            # object of a person's action; its commission (not an omission) is the person's.
            p = prev.subject
            return Subject("via_object", p.start, p.end, p.text, inherited=True)
        return Subject("system", s.start, s.end, s.text, inherited=True)
    return Subject("none")
