"""Parts of blaming language that span a sentence rather than one clause's subject and verb.

- a person as the cause named after a copula ("The root cause is the on-call engineer", "it was Zoe",
  "this is on her") or after a causal connective ("comes down to Anastasia", "because of Bob");
- a person followed by a failure in -ing form, wherever it sits ("... down to Anastasia skipping the canary");
- sarcasm aimed at a person: praise so large it mocks ("Another masterpiece from the backend team"), frames
  such as "Love how ..." or "Nice of ... to", and a name alone with "again" ("Carlos again.");
- who is mentioned at all, which the sarcasm parts need: irony about a system is not blame.

Each returns `Hit`s like `parts.py` does, with the words to highlight.
"""

from __future__ import annotations

import re

from incidents.review.blameless import lexicon as lx
from incidents.review.blameless.hits import Hit
from incidents.review.blameless.nounphrase import _SOFTWARE_ROLES, _TECH
from incidents.review.blameless.parse import PERSONISH, Clause, Names, Subject, Token, classify_np


def _alt(patterns: tuple[str, ...]) -> re.Pattern[str]:
    body = "|".join(f"(?:{p})" for p in patterns)
    return re.compile(rf"(?<![\w'-])(?:{body})(?![\w'])")


FAILURE = re.compile("|".join(f"(?:{p})" for p in (*lx.FAILURE_PERSON_ONLY, *lx.FAILURE_GENERAL)))
MOCK_PRAISE = _alt(lx.MOCK_PRAISE)
SARCASTIC_FRAMES = _alt(lx.SARCASTIC_FRAMES)
PERSON_AS_CAUSE = _alt(lx.PERSON_AS_CAUSE)
PERSON_REMEDIES = _alt(lx.PERSON_REMEDIES)
PERSON_JABS = _alt(lx.PERSON_JABS)
NEGATIVE = _alt(lx.NEGATIVE_OUTCOME_PATTERNS)
CLEARED = _alt((*lx.EXCUSE_STRONG, *lx.EXCUSE_WEAK))  # "The Jenkins job is fine; it's Farid who ..."
_DENIED = re.compile(r"(?<![\w'])(?:no|not|never|without|\w+n'?t|avoid\w*|nobody)(?![\w'])")
# After "it was <person> who": finding or fixing, what a person does in a cleft that credits them.
_DISCOVERED = re.compile(
    r"[\s,]*(?:who|that)\s+(?:\w+ly\s+|first\s+|then\s+|quickly\s+)*(?:noticed|spotted|saw|found|caught|reported|raised|"
    r"flagged|fixed|escalated|paged|diagnosed|discovered|identified|traced|rolled back|mitigated|asked)\b"
)
_THANKS = re.compile(r"(?<![\w'])thanks to ")
_SINGLED = re.compile(
    r"(?<![\w'])(?:everyone|everybody|all of us|the rest of us|we all|any of us|anyone|anybody|any one of us)(?![\w']).*?(?<![\w'])(?:except|but not|other than|apart from) "
)
# After a cause noun or "it"/"this": a copula, and the words that may sit between it and the person named.
COPULA = re.compile(
    r"(?:(?:it|that|this|what)'s|'s|'re|is|was|are|were|=|has been|had been|will be|would be)"
    r"((?:\s+(?:all|entirely|100%|totally|clearly|honestly|obviously|really|just|squarely|definitely|simply|"
    r"always|again|usually|invariably|"
    r"probably|basically|on|down to))*)[\s,]+"
)
_DEMONSTRATIVES = frozenset({"it", "this", "that", "this one", "that one", "which"})
_OBJECT = frozenset({"him", "her", "them", "me", "us", "you"})
_NP_END = frozenset({"again", "here", "now", "not", "never", "to", "actually", "really"}) | lx.VERB_ADVERBS
_STOP = lx.PREPOSITIONS | lx.AUXILIARIES | lx.RELATIVES | lx.COORDINATORS | lx.SUBORDINATORS


def _np_at(tokens: list[Token], at: int, names: Names) -> tuple[Subject, list[Token]] | None:
    """The noun phrase starting at character offset `at`, classified; None if none starts there."""
    np: list[Token] = []
    for t in tokens:
        if t.start < at:
            continue
        if np and (
            t.low in _STOP
            or t.low.endswith(("ing", "ly"))
            or t.low in _NP_END
            or t.start > np[-1].end + 1  # punctuation between: "Thanks to Hakan, we lost ..."
        ):
            break
        if not np and (t.low in _OBJECT or t.low == "whoever"):
            return Subject("person", t.start, t.end, t.text), [t]  # "him", "whoever pushed that zone file"
        np.append(t)
        if len(np) >= 5:
            break
    if not np:
        return None
    return classify_np(np, names), np


def _is_subject(tokens: list[Token], start: int, end: int) -> bool:
    """Whether the phrase text[start:end] opens its clause and a verb follows it."""
    before = [t for t in tokens if t.end <= start]
    if before and before[-1].end >= start - 2 and before[-1].low not in (":", "-"):
        return False
    after = [t for t in tokens if t.start >= end][:2]
    if not after:
        return False
    first = after[0].low
    second = after[1].low if len(after) > 1 else ""
    return (
        first in lx.AUXILIARIES
        or first in ("now", "also", "already", "still")
        or (first.endswith("s") and not first.endswith("ss") and (second in lx.DETERMINERS or not second))
    )


def cause_is_person(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """ "The root cause is the on-call engineer", "it's Gustavo.", "this is on sarah", "down to Bob"."""
    out: list[Hit] = []
    for c in clauses:
        subj = c.subject.text.lower()
        m = COPULA.match(low, c.verb_start)
        if m is None or c.subject.kind in PERSONISH:
            continue
        head = subj.replace("-", " ").split()[-1:] or [""]
        cause = head[0] in lx.CAUSE_NOUNS
        on_only = head[0] in lx.INCIDENT_NOUNS and " on" in f" {m.group(1)}"
        pointing = subj in _DEMONSTRATIVES or (not subj and c.tokens and c.tokens[0].low.endswith("'s"))
        pointing = pointing or on_only
        if not (cause or pointing):
            continue
        if low.startswith(("not ", "never ", "no ", "hardly "), m.end()):
            continue  # "The problem was not the engineer but the missing guard": a person cleared
        if low.startswith("that ", m.end()) and any(
            d.opener == "that" and d.start > c.start for d in clauses
        ):
            continue  # "The root cause is that the on-call had no way to see ...": a clause, read in framed.py
        found = _np_at(c.tokens, m.end(), names)
        if found is None:
            # "The culprit was, unsurprisingly, Ivo.": the complement is past clauses of adverbs only
            later = [d for d in clauses if d.start > c.end]
            while later and all(t.low.endswith("ly") or t.low in _NP_END for t in later[0].tokens):
                later = later[1:]
            found = _np_at(later[0].tokens, later[0].start, names) if later and cause else None
        if found is None:
            continue
        who, np = found
        on = " on" in f" {m.group(1)}" or low[m.end() - 3 : m.end()].strip() == "on"
        ends = np[-1].end >= c.end or low[np[-1].end : c.end].strip(" .!'\"") in ("", "again", "here")
        cleared = any(
            d.end < c.start
            and (
                re.match(r"(?:wasn't|isn't|was not|is not|weren't|wasnt|isnt)\b", low[d.verb_start :])
                or (
                    d.subject.kind in ("system", "product")
                    and CLEARED.search(low, d.verb_start, d.end)
                    and not _DISCOVERED.match(low[np[-1].end :])
                )
            )
            for d in clauses
        )  # "It wasn't Kubernetes, it was the person who wrote the manifest": a system cleared first
        if ends and not cause and not cleared and re.match(r"[\s,]*(?:who|that)\b", low[np[-1].end :]):
            continue  # "It was Mateo who first noticed ...": a cleft; the clause after it says what they did
        habitual = re.search(r"\b(?:always|again|usually|invariably)\b", m.group(0)) is not None
        if (
            who.kind in ("person", "team")
            and (
                not who.possessed or habitual or (cause and who.possessed in lx.ACTION_NOUNS | lx.FAULT_NOUNS)
            )
            and (cause or on or ends or habitual or cleared)
        ):
            out.append(
                Hit(
                    "fault",
                    [(m.start(), np[-1].end)],
                    who=who.text,
                    words=text[m.start() : np[-1].end],
                )
            )
    tokens = [t for c in clauses for t in c.tokens]
    starts = {c.start for c in clauses}
    for rule, pattern in (("sanction", PERSON_REMEDIES), ("fault", _SINGLED)):
        for m in pattern.finditer(low):
            if rule == "fault" and m.start() not in starts:
                continue  # "Everyone saw it except Wendell"; not "asked everyone except the DBAs to leave"
            found = _np_at(tokens, m.end() if rule == "fault" else m.end() + 1, names)
            if found is not None and found[0].kind in ("person", "team"):
                np = found[1]
                if rule == "sanction" and _is_subject(tokens, m.start(), np[-1].end):
                    continue  # "Training for new on-call engineers now includes a game day": a subject
                out.append(
                    Hit(
                        rule, [(m.start(), np[-1].end)], who=found[0].text, words=text[m.start() : np[-1].end]
                    )
                )
    for m in PERSON_JABS.finditer(low):
        found = _np_at(tokens, m.end() + 1, names)
        if found is not None and found[0].kind in ("person", "team") and not found[0].possessed:
            np = found[1]
            out.append(
                Hit(
                    "sarcasm",
                    [(m.start(), np[-1].end)],
                    who=found[0].text,
                    words=text[m.start() : np[-1].end],
                )
            )
    for m in _THANKS.finditer(low):
        found = _np_at(tokens, m.end(), names)
        if found is not None and re.match(r"\s+for\b", low[found[1][-1].end :]):
            continue  # "Thanks to Kwame for staying on the bridge": gratitude, with its reason
        if found is not None and re.match(r"[\s,]+who\b", low[found[1][-1].end :]):
            who_end = next(
                (c.end for c in clauses if c.opener == "who" and c.start >= found[1][-1].end), len(low)
            )
            if FAILURE.search(low, found[1][-1].end, who_end) is None:
                continue  # "Thanks to the contractor who joined at 2am to explain ...": gratitude for what they did
        if (
            found is not None
            and found[0].kind in ("person", "team")
            and NEGATIVE.search(low, found[1][-1].end)
        ):
            np = found[1]
            out.append(
                Hit(
                    "sarcasm",
                    [(m.start(), np[-1].end)],
                    who=found[0].text,
                    words=text[m.start() : np[-1].end],
                )
            )
    for m in PERSON_AS_CAUSE.finditer(low):
        if _DENIED.search(re.split(r"[,;:.!?]", low[max(0, m.start() - 30) : m.start()])[-1]):
            continue  # "We don't blame individuals", "not about pointing the finger at Sam"
        if _KEPT_UP.search(low, 0, m.start()):
            continue  # "The cluster stayed up because of Beatriz": credit
        tokens = [t for c in clauses for t in c.tokens]
        found = _np_at(tokens, m.end(), names)
        if found is None:
            continue
        who, np = found
        if who.kind in ("person", "team") and not who.possessed:
            out.append(
                Hit("fault", [(m.start(), np[-1].end)], who=who.text, words=text[m.start() : np[-1].end])
            )
    return out


_KEPT_UP = re.compile(
    r"(?<![\w'])(?:stay(?:ed|s)? (?:up|online|healthy|available)|recovered|survived|kept (?:\w+ )?(?:up|running|serving|"
    r"working|going)|was saved|were saved|came back)(?![\w'])"
)
_ELLIPSIS = frozenset(
    {"did", "was", "were", "does", "is", "had", "has", "didn't", "wasn't", "weren't", "hadn't"}
)


def contrast(text: str, clauses: list[Clause]) -> list[Hit]:
    """ "Terraform didn't destroy anything; Kim did.", "The script was fine, the person running it wasn't.":
    a system cleared and a person named in an elliptical clause, as the one who did it."""
    out: list[Hit] = []
    systems = [c for c in clauses if c.subject.kind in ("system", "product") and not c.subject.inherited]
    for c in clauses:
        rest = [t for t in c.tokens if t.start >= c.verb_start]
        if (
            c.subject.kind in ("person", "team")
            and not c.subject.inherited
            and c.opener != "that"  # "the runbook assumed she had": a reported complement, not a contrast
            and len(rest) == 1
            and rest[0].low in _ELLIPSIS
            and any(s.start < c.start for s in systems)
        ):
            out.append(
                Hit(
                    "fault", [(c.subject.start, rest[0].end)], who=c.subject.text, words=text[c.start : c.end]
                )
            )
    return out


def person_failing(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """A person mention followed by a failure in -ing form: "... down to Anastasia skipping the canary"."""
    out: list[Hit] = []
    tokens = [t for c in clauses for t in c.tokens]
    for k in range(len(tokens) - 1):
        t, nxt = tokens[k], tokens[k + 1]
        if not nxt.low.endswith("ing") or FAILURE.match(low, nxt.start) is None:
            continue
        person = t.low in _OBJECT or t.low in lx.ROLE_NOUNS or (t.cap and names.is_name(t.text) and k > 0)
        if person and t.low not in lx.PRODUCTS:
            m = FAILURE.match(low, nxt.start)
            assert m is not None
            out.append(
                Hit(
                    "person_subject",
                    [(t.start, t.end), (m.start(), m.end())],
                    who=t.text,
                    predicate=text[m.start() : m.end()],
                    rest=text[m.end() : clauses[-1].end].strip(" ,.;:!?"),
                    words=text[t.start : m.end()],
                )
            )
    return out


def mentions_person(clauses: list[Clause], names: Names) -> bool:
    """Whether the sentence names or points at a person anywhere (subject, agent, object, "whoever")."""
    for c in clauses:
        if c.subject.kind in PERSONISH or c.subject.kind == "negative" or c.agent is not None:
            return True
        for k, t in enumerate(c.tokens):
            w = t.low
            software = (
                k > 0 and w in _SOFTWARE_ROLES and c.tokens[k - 1].low in _TECH
            )  # "the traffic manager"
            if (
                (w in lx.ROLE_NOUNS and not software)
                or w in _OBJECT
                or w in ("whoever", "he", "she", "they", "someone", "somebody")
            ) and not (w == "they" and c.subject.kind == "system" and c.subject.start == t.start):
                return True
            if w in lx.TEAM_NAMES and (
                t.cap or (k > 0 and c.tokens[k - 1].low in ("in", "from", "on", "to"))
            ):
                return True
            if w in lx.TEAM_NOUNS and k > 0:
                return True
            if t.cap and names.is_name(t.text) and w not in lx.PRODUCTS and k > 0:
                return True
            if t.mention:
                return True
    return False


_VOCATIVE = re.compile(r",\s*([A-Z][\w'-]+)\s*[.!?]")


def addressed(text: str) -> bool:
    """Whether the sentence ends by addressing someone by name ("..., Vikram.")."""
    return any(v.group(1).lower() not in lx.PRODUCTS for v in _VOCATIVE.finditer(text))


# Praise with its reason and what went well: "to the platform team for the upgrade automation; it handled the
# rollover without a single page"
_SINCERE = re.compile(r"\s+(?:to|for) (?:[\w'-]+ ){1,4}?for (?:the|their|his|her|a|an|all|this) [\w-]+")
_WENT_WELL = re.compile(
    r"(?<![\w'])(?:without (?:a single|any|one) (?:page|alert|error|incident|blip|hiccup|complaint|drop)|"
    r"(?:no|zero) (?:downtime|pages|errors|customer impact|data loss)|handled|saved|kept|caught)(?![\w'])"
)


# After "kind of <person> to": an act of help, unless lateness or a favour nobody wanted says otherwise ("Nice
# of the on-call to join us eventually", "to test in production for us")
_HELPED = re.compile(
    r"\s*(?:stay|post|share|write|document|help|cover|step|take over|bring|check in|warn|flag|explain|offer|"
    r"volunteer|send|walk|pair|jump|hop|lend)\w*\b"
)
_LATE = re.compile(r"(?<![\w'])(?:eventually|finally|only|after|for us|in prod\w*|bother\w*)(?![\w'])")


def sarcasm(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """Mocking praise, sarcastic frames and "<name> again." when a person is in the sentence."""
    out: list[Hit] = []
    person = None
    for pattern in (MOCK_PRAISE, SARCASTIC_FRAMES):
        for m in pattern.finditer(low):
            if pattern is MOCK_PRAISE and _SINCERE.match(low, m.end()) and _WENT_WELL.search(low, m.end()):
                continue  # "Bravo to the platform team for the upgrade automation; it handled ... without a page"
            if m.group(0).endswith(" to") and _HELPED.match(low, m.end()) and not _LATE.search(low, m.end()):
                continue  # "It was thoughtful of the DBA to post the plan before starting": thanks for help
            if person is None:
                person = mentions_person(clauses, names) or addressed(text)
            if person:
                out.append(Hit("sarcasm", [(m.start(), m.end())], words=text[m.start() : m.end()]))
    words = [t for c in clauses for t in c.tokens]
    if 2 <= len(words) <= 4 and words[-1].low == "again":
        who = classify_np(words[:-1], names)
        if who.kind == "person":
            out.append(
                Hit("sarcasm", [(words[0].start, words[-1].end)], words=text[words[0].start : words[-1].end])
            )
    return out
