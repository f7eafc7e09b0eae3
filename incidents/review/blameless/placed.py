"""Where a sentence puts the blame, beyond its clauses' subjects and verbs (parts of `context.py`):

- the cause, the blame or the incident placed on a person (`fault`): "This outage is on Gareth's shoulders",
  "Responsibility for this sits squarely with the DBA", "it happened on his watch"; a duty assigned ("the
  rota lies with the SRE lead") and a cause in the system ("the problem lies with the resolver") are not;
- a failure or a bad choice made a person's own (`fault`): "Skipping the canary was Ines's call",
  "..., and a bad one"; "Rolling back was Ines's call, and the right one" is not;
- a person's claim denied in the next sentence (`trust`): "Bruno swore the plan had been rehearsed. It
  hadn't."; a question answered ("We checked whether it was verified. It hadn't been.") is not;
- trust in a person named as the error (`trust`): "Giving the intern admin rights was a mistake";
- irony aimed at a person (`sarcasm`): thanks for a cost ("Thanks, Leo, for the surprise weekend"), a choice
  of the worst moment, "only took him three tries", an eponymous method, mock rewards and timing, and an
  ironic opener with a person and a bad outcome ("Wow, Rachel, ... a whole region down").
"""

from __future__ import annotations

import re

from incidents.review.blameless import lexicon as lx
from incidents.review.blameless import mocked
from incidents.review.blameless.across import addressed, mentions_person
from incidents.review.blameless.hits import Hit
from incidents.review.blameless.parse import PERSONISH, Clause, Names, Token
from incidents.review.blameless.people import person_np


def _alt(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w'-])(?:{lx.alternation(name)})(?![\w'])")


def _is_person_word(word: str, names: Names) -> bool:
    w = word.lower()
    return (
        w in lx.ROLE_NOUNS
        or w in lx.TEAM_NOUNS
        or (word[:1].isupper() and names.is_name(word) and w not in lx.PRODUCTS)
    )


IRONY = _alt("irony")
PLACED_ON = re.compile(rf"(?:{lx.alternation('placed_on')}) ")
WATCH = re.compile(r"(?<![\w'-])(?:on|under|during) (?:([\w-]+)'s|his|her|their) (?:own )?watch(?![\w'])")
# What a cause is put on: the person, or their shoulders, head, plate ("on Gareth's shoulders").
_CARRIERS = frozenset({"shoulders", "shoulder", "head", "plate", "desk", "hands", "conscience", "doorstep"})
_BLAME_SUBJECTS = (
    lx.CAUSE_NOUNS | lx.INCIDENT_NOUNS | {"responsibility", "accountability", "onus", "this", "that", "it"}
)
IRONY_MARKERS = re.compile(lx.alternation("irony_markers"))
NEGATIVE = re.compile(rf"(?<![\w'-])(?:{lx.NEGATIVE_OUTCOME})(?![\w'])")
# An ironic measure of slowness: "six hours to notice a full disk"
_SLOW = re.compile(
    r"(?<![\w'])(?:hours|minutes|days|weeks) to (?:notice|spot|respond|react|ack|acknowledge|escalate|find|answer|reply)\b"
)
_VOCATIVE = re.compile(r",\s*([A-Z][\w'-]+)\s*[,.!?:;]")


def _addressed_by_name(text: str, names: Names) -> bool:
    """ "Great timing, Oskar: ...": a person's name set off by commas, as one speaks to them."""
    return any(
        names.is_name(v.group(1)) and v.group(1).lower() not in lx.PRODUCTS for v in _VOCATIVE.finditer(text)
    )


def _irony(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """Thanks or praise whose object is a cost, aimed at a person ("Thanks, Leo, for the surprise weekend",
    "only took him three tries"), and an ironic opener with a person and a bad outcome ("Wow, Rachel, ...
    a whole region down")."""
    person = mentions_person(clauses, names) or addressed(text) or _addressed_by_name(text, names)
    if not person:
        return []
    for m in IRONY.finditer(low):
        reason = re.search(r"(?<![\w'])for ", m.group(0))
        if reason is not None and mocked.RESCUE.match(low, m.start() + reason.start()):
            continue  # "Kudos to the platform team for keeping the status page current through the outage"
        named = m.group(1) if m.lastindex else None
        if named is not None:
            raw = text[m.start(1) : m.end(1)]
            if not (raw[:1].isupper() and names.is_name(raw) and named not in lx.PRODUCTS):
                continue  # "the famous Jepsen approach": a product, not a person
        return [Hit("sarcasm", [m.span()], words=text[m.start() : m.end()], extra={"kind": "irony"})]
    marker = IRONY_MARKERS.search(low)
    bad = NEGATIVE.search(low) or _SLOW.search(low)
    if marker is not None and bad is not None:
        vocative = any(names.is_name(v.group(1)) for v in _VOCATIVE.finditer(text))
        if vocative or marker.group(0).lstrip(" ,.").startswith(("well", "at least", "what")):
            return [
                Hit(
                    "sarcasm",
                    [marker.span()],
                    words=text[marker.start() : marker.end()],
                    extra={"kind": "irony"},
                )
            ]
    return []


def _placed_on(text: str, low: str, clauses: list[Clause], tokens: list[Token], names: Names) -> list[Hit]:
    """The cause, the blame or the incident put on a person: "This outage is on Gareth's shoulders",
    "Responsibility for this sits squarely with the DBA", "it happened on his watch"."""
    for m in WATCH.finditer(low):
        owner = m.group(1)
        raw = text[m.start(1) : m.end(1)] if owner else ""
        if owner is None or _is_person_word(raw, names):
            return [
                Hit("fault", [m.span()], who=raw or m.group(0).split()[1], words=text[m.start() : m.end()])
            ]
    for c in clauses:
        if c.subject.kind in PERSONISH:
            continue
        placed = PLACED_ON.search(low, c.start, c.end)
        if placed is None:
            continue
        # the subject is what stands before the frame (the parser may not see "sits" or "lies" as the verb)
        head, _, of = low[c.start : placed.start()].replace("-", " ").strip().partition(" for ")
        head_words = [w for w in head.split() if w != "one"]  # "This one sits with ...": "one" stands for it
        head_word = head_words[-1] if head_words else ""
        if head_word not in _BLAME_SUBJECTS:
            continue
        if (
            of
            and head_word != "blame"
            and not (set(of.split()) & (lx.INCIDENT_NOUNS | {"this", "that", "it", "data"}))
        ):
            continue  # "Responsibility for the rota lies with the SRE lead": a duty assigned, not blame
        found = person_np(tokens, placed.end(), names)
        if found is None or found[1][0].start != placed.end():
            continue
        who, np = found
        if who.possessed and who.possessed not in _CARRIERS and np[-1].low not in _CARRIERS:
            continue
        return [
            Hit(
                "fault", [(placed.start(), np[-1].end)], who=who.text, words=text[placed.start() : np[-1].end]
            )
        ]
    return []


# A person's claim that something was done ("Bruno swore the rollback plan had been rehearsed"), for the
# sentence after it to deny.
_CLAIM = re.compile(
    r"(?<![\w'])(?:said|says|swore|claimed|claims|assured (?:us|me|everyone|the team)|insisted|told (?:us|me|everyone|the team)|"
    r"promised|confirmed|reported|signed off saying)(?: that)?(?![\w'])"
)
_BARE_DENIAL = re.compile(
    r"\W*(?:(?:he|she|they|it|that|this|nobody|no one) )?(?:(?:clearly|obviously|simply|just|never|still|of course|spoiler:?|narrator:?) )*"
    r"(?:didn't|did not|hadn't|had not|wasn't|was not|weren't|were not|hasn't|has not|haven't|have not|never did|never had|isn't|is not)"
    r"(?: been| done| happened)?|\W*never again|\W*not true|\W*it was not|\W*(?:spoiler|narrator):? (?:it|he|she|they) (?:wasn't|didn't|hadn't)"
)


def claim_denied(previous: str, sentence: str, names: Names) -> Hit | None:
    """A short sentence that denies a person's claim in the sentence before it ("Priya said she tested it.
    She didn't.", "... when he said it was tested. Never again."): the claim shown broken. Offsets are
    relative to `sentence`."""
    low = sentence.lower().replace("\u2019", "'")
    if len(low.split()) > 5:
        return None
    m = _BARE_DENIAL.match(low)
    if m is None or low[m.end() :].strip(" .!?"):
        return None
    plow = previous.lower().replace("\u2019", "'")
    claim = _CLAIM.search(plow)
    if claim is None:
        return None
    before = previous[: claim.start()].split()
    person = any(
        w.strip(",.").lower() in lx.ROLE_NOUNS | lx.TEAM_NOUNS | {"he", "she", "they"}
        or (w[:1].isupper() and names.is_name(w.strip(",.")) and w.strip(",.").lower() not in lx.PRODUCTS)
        for w in before[-4:]
    )
    if not person:
        return None
    start = len(sentence) - len(sentence.lstrip())
    return Hit("trust", [(start, m.end())], words=sentence[start : m.end()], extra={"kind": "let_down"})


# "Leaving the rollout unattended was Magnus's call, and a bad one": a failure made a person's own choice.
_OWNED_CHOICE = re.compile(
    r"(?<![\w'])(?:was|is|'s|were) (?:all |entirely |solely )?(?:([\w-]+)(?:'s|s')|(his|her|their)) (?:own )?"
    r"(?:call|decision|idea|choice|doing|plan|bright idea)(?![\w'])"
)
_BAD_ONE = re.compile(
    r"[\s,]*(?:and|but)? ?(?:a|the|not a) (?:\w+ )?(?:bad|poor|terrible|wrong|questionable|reckless|stupid|awful|dumb|"
    r"lousy|foolish|careless) one\b"
)
_PERSON_ONLY = re.compile(
    rf"(?<![\w'-])(?:{'|'.join(f'(?:{p})' for p in lx.FAILURE_PERSON_ONLY)}|skipp\w+|ignor\w+)(?![\w'])"
)


def _owned_choice(text: str, low: str, names: Names) -> list[Hit]:
    """A failure or a bad choice made a person's own: "Skipping the canary was Ines's call, and a bad one"."""
    for m in _OWNED_CHOICE.finditer(low):
        raw = text[m.start(1) : m.end(1)] if m.group(1) else (m.group(2) or "")
        if m.group(1) and not _is_person_word(raw, names):
            continue
        bad = _BAD_ONE.match(low, m.end())
        failure = _PERSON_ONLY.search(low, 0, m.start())  # "Skipping the review": not "Deleting the replicas"
        if bad is not None or failure is not None:
            end = bad.end() if bad is not None else m.end()
            return [
                Hit(
                    "fault",
                    [(m.start(), end)],
                    who=raw,
                    words=text[m.start() : end],
                    extra={"kind": "choice"},
                )
            ]
    return []


# "Root cause: a developer who thinks ...": a cause named as a label, then a person after the colon
_CAUSE_LABEL = re.compile(
    r"\W*(?:the )?(?:real |actual |true |main )?(?:root cause|cause|rca|culprit|reason|problem|verdict|diagnosis|"
    r"explanation|trigger)s?\s*(?:[:=]|-+|\u2014)\s*"
)
# A system cleared in the sentence before a person's act ("The CDN did what it was told. Yusuf told it to ...")
_CLEARED = re.compile(rf"(?:{'|'.join(f'(?:{p})' for p in (*lx.EXCUSE_STRONG, *lx.EXCUSE_WEAK))})")
# What makes the person's act the cause after a system is cleared: telling it what to do, or a failure
_INSTRUCTED = re.compile(
    r"(?<![\w'])(?:told|configured|set|instructed|asked|pointed|wired) (?:it|them|the [\w-]+) (?:to|up to)\b"
)
_FAILED = re.compile(
    rf"(?<![\w'-])(?:{'|'.join(f'(?:{p})' for p in (*lx.FAILURE_PERSON_ONLY, *lx.FAILURE_GENERAL))})(?![\w'])"
)
_RESPONDER = re.compile(
    r"\s*(?:\w+ly |then |quickly |also )*(?:noticed|spotted|saw|found|caught|reported|raised|flagged|fixed|escalated|"
    r"paged|diagnosed|discovered|identified|traced|rolled|mitigated|restored|recovered|scaled|restarted|asked|confirmed)\b"
)


def _cause_label(text: str, low: str, tokens: list[Token], names: Names) -> list[Hit]:
    m = _CAUSE_LABEL.match(low)
    if m is None or m.end() >= len(low):
        return []
    found = person_np(tokens, m.end(), names)
    if found is None or found[1][0].start != m.end():
        return []
    who, np = found
    return [Hit("fault", [(m.start(), np[-1].end)], who=who.text, words=text[m.start() : np[-1].end].strip())]


def cleared_then_person(previous: str, sentence: str, names: Names) -> Hit | None:
    """A sentence opening with a person's act right after one that cleared a system ("The CDN did what it was
    told. Yusuf told it to cache everything for a year."): the person left as the cause. Offsets relative
    to `sentence`."""
    if not _CLEARED.search(previous.lower()):
        return None
    words = sentence.split()
    if len(words) < 2:
        return None
    first = words[0].strip(",.:")
    person = (first[:1].isupper() and names.is_name(first) and first.lower() not in lx.PRODUCTS) or (
        first.lower() in ("the", "our") and words[1].strip(",.").lower() in lx.ROLE_NOUNS | lx.TEAM_NOUNS
    )
    rest = sentence.lower()
    if not _INSTRUCTED.search(rest) and not _FAILED.search(rest):
        return None  # "Andrei changed its configuration the next day to add a retry": an ordinary change
    if not person or _RESPONDER.match(
        sentence.lower(), len(first) if first[:1].isupper() else len(words[0]) + len(words[1]) + 1
    ):
        return None
    end = len(first) if first[:1].isupper() else len(words[0]) + 1 + len(words[1].strip(",."))
    return Hit("fault", [(0, end)], who=sentence[:end], words=sentence[:end])


# "Giving Rolf admin rights was a mistake": trust in a person named as the error
_TRUSTED_PERSON = re.compile(
    r"(?<![\w'])(?:giving|letting|trusting|allowing|hiring|putting|leaving|handing) "
)
_WAS_MISTAKE = re.compile(
    r"(?:was|is|has been|proved|turned out to be) (?:\w+ly )?(?:a |the |our |an )?(?:big |huge |real |costly |serious )?"
    r"(?:mistake|error|bad idea|bad call|risk|gamble|liability)\b"
)


def _regretted_trust(text: str, low: str, tokens: list[Token], names: Names) -> list[Hit]:
    for m in _TRUSTED_PERSON.finditer(low):
        found = person_np(tokens, m.end(), names)
        if found is None or found[1][0].start != m.end() or found[0].possessed:
            continue
        end = found[1][-1].end
        bad = _WAS_MISTAKE.search(low, end, end + 60)
        if bad is not None:
            spans = [(m.start(), end), bad.span()]
            words = text[m.start() : bad.end()]
            return [Hit("trust", spans, who=found[0].text, words=words, extra={"kind": "let_down"})]
    return []


def find(text: str, low: str, clauses: list[Clause], tokens: list[Token], names: Names) -> list[Hit]:
    """The hits of these parts in one sentence (offsets as in `low`)."""
    return [
        *_cause_label(text, low, tokens, names),
        *_regretted_trust(text, low, tokens, names),
        *_irony(text, low, clauses, names),
        *_placed_on(text, low, clauses, tokens, names),
        *_owned_choice(text, low, names),
    ]
