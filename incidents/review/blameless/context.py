"""Blame carried by what surrounds an act rather than by its words: who did what, and what came after.

Each part reads a sentence's clauses (`parse.py`) for a person doing something ordinary, and then for what
the sentence sets beside it:

- stepping away beside a duty (`sequence`): a person leaving, sleeping, logging off, muting the channel or
  going back to their own work in a sentence that also holds a page, an alert, a deploy or a migration, with
  nothing saying the duty was done ("acked the alert and went back to watching the game", "deployed, then
  boarded a flight"); "logged off after handing over" is an ordinary act;
- a duty shown broken (`trust`): a person trusted, relied on, expected or told to do something, then "and he
  didn't", "they let us down", "that wasn't happening"; a bare "She didn't." after a claim; and a passive
  duty elided and denied ("instructions were given and simply not followed");
- competence deficits (`trust`): "had no idea how connection pooling works", "lacked basic knowledge",
  "doesn't take production seriously", "an amateur mistake"; what someone did not know about the system's
  state at the time is not one;
- a person's disposition made the problem (`judgement`): "Tyler's attitude toward testing is the real
  problem", "Linh's habit of ... finally caught up with us", "the quality of Amara's work has been slipping";
- a person as the hazard (`fault`): "protected us from an engineer determined to ...", "people like Tom
  don't ...";
- remedies aimed at a person without a remedy word (`sanction`): "spoke to the engineer involved and made it
  clear it won't happen again", "Takeaway for Ana: always test your changes";
- a person's act pointed at as the cause (`fault`): "..., and this is the result", "and here we are";
- in `choices.py`, a choice set against what the person was told or what went on: going ahead despite
  warnings, "rather than escalating", closing an incident while customers still saw errors;
- and, in `placed.py`, where a sentence puts the blame: on a person's shoulders or watch, a person's own
  call, a claim denied in the next sentence, irony aimed at a person.

Each keeps the person's words and the context's words as spans, so the writer sees both.
"""

from __future__ import annotations

import re

from incidents.review.blameless import choices, placed
from incidents.review.blameless import lexicon as lx
from incidents.review.blameless.choices import explained_by_system as _explained_by_system
from incidents.review.blameless.choices import subject_span as _subject_span
from incidents.review.blameless.hits import Hit
from incidents.review.blameless.neutral import PLANNED
from incidents.review.blameless.parse import PERSONISH, Clause, Names, Token
from incidents.review.blameless.people import person_np


def _alt(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w'-])(?:{lx.alternation(name)})(?![\w'])")


DISENGAGE = _alt("disengage")
DUTY = _alt("duty_cues")
RELEASED = _alt("released")
EXPECTATION = _alt("expectation")
DUTY_FRAMES = _alt("duty_frames")
BROKEN_DUTY = _alt("broken_duty")
COMPETENCE = _alt("competence")
COMPETENCE_PHRASES = _alt("competence_phrases")
DISPOSITION = re.compile(
    r"(?<![\w'-])(?:([\w-]+)(?:'s|s')|(his|her|their)) (?:own )?(?:[\w-]+ ){0,2}?"
    rf"({lx.alternation('disposition')})(?![\w'])"
)
QUALITY_OF = re.compile(
    r"(?<![\w'-])(?:quality|standard|state|level|rigou?r) of (?:the |our |that )?(?:[\w-]+ )?([\w-]+(?:'s|s')|his|her|their) "
    r"(?:\w+ )?(?:work|code|reviews|testing|changes|tests|runbooks|documentation)\b"
)
DISPOSITION_OUTCOME = _alt("disposition_outcome")
_HAS_DISPOSITION = re.compile(
    rf"(?:\w+ly )?(?:has|have|had|'s got|has got|'ve got)(?: \w+ly)? (?:a |an |this |that |the )?(?:real |long |bad |known )?"
    rf"(?:{lx.alternation('disposition')})(?![\w'])"
)
HAZARD = _alt("hazard")
TALKED_TO = _alt("talked_to")
PREVENTION = _alt("prevention")
TAKEAWAY = _alt("takeaway")
TAKEAWAY_BEHAVIOUR = re.compile(
    rf"[\s:,-]*(?:is |was |=)?[\s:,-]*(?:(?:simply|just|really|clearly) )?(?:to )?(?:(?:{lx.BEHAVIOUR_REMEDIES})|(?:{lx.alternation('takeaway_behaviour')}))"
)
RESULT_POINTER = _alt("result_pointer")
BEHAVIOUR = re.compile(rf"(?:{lx.BEHAVIOUR_REMEDIES})")
_DOUBTING = re.compile(
    r"(?<![\w'])(?:(?:don'?t|do not|doesn'?t|does not|didn'?t|did not) (?:think|believe|feel)|doubt|not sure|"
    r"not convinced|wonder if|wonder whether)(?![\w'])"
)
_ATTITUDE = re.compile(
    r"(?:takes?|took) (?:\w+ ){0,3}?seriously\b|cares? (?:about|enough)\b|knows? (?:how|what (?:he|she|they)(?:'s| is| are|'re) doing)\b|"
    r"understands? (?:how|what|the)\b|(?:reads?|tests?|checks?) (?:anything|things|their|his|her)\b"
)
_NEGATED = re.compile(r"(?<![\w'])(?:not|never|no|nobody|no one|without|\w+n'?t|hardly|rather than)(?![\w'])")
_FAILURE = re.compile(
    rf"(?<![\w'-])(?:{'|'.join(f'(?:{p})' for p in (*lx.FAILURE_PERSON_ONLY, *lx.FAILURE_GENERAL))}|"
    r"don't|doesn't|didn't|can't|won't|never|keep|keeps|stop|stops|quit)(?![\w'])"
)
_DENIED_BEFORE = re.compile(r"(?:not|never|no|n't|nt)(?: (?:an?|the|just|really))? $")
# "The only thing that failed here was Arjun's judgement": the failure named before the disposition
_FAILED_BEFORE = re.compile(
    r"(?<![\w'])(?:that|which|what) (?:really |actually )?(?:failed|broke|went wrong|was missing|was lacking)\b"
)
# "They just assumed it would be fine": a person's reasoning made to sound careless
_JUST_ASSUMED = re.compile(
    r"(?:just|simply|blindly|naively|lazily) (?:assumed|figured|hoped|guessed|presumed|took it for granted)\b"
)
_EXPLAINING = frozenset({"because", "since", "as"})
_PEOPLE = frozenset({"person", "team"})
# Plural nouns that name people outside the team: a guard against them is the system's job, not blame.
_OUTSIDERS = frozenset(
    {"users", "customers", "clients", "callers", "attackers", "bots", "visitors", "tenants"}
)


def find(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """The hits of these parts in one sentence (offsets as in `low`)."""
    if not clauses:
        return []
    tokens = [t for c in clauses for t in c.tokens]
    out: list[Hit] = []
    out.extend(_stepped_away(text, low, clauses))
    out.extend(choices.find(text, low, clauses, tokens, names))
    out.extend(_duty_broken(text, low, clauses, tokens, names))
    out.extend(_competence(text, low, clauses, tokens, names))
    out.extend(_disposition(text, low, clauses, names))
    out.extend(_hazard(text, low, tokens, names))
    out.extend(_talked_to(text, low, clauses, tokens, names))
    out.extend(_result(text, low, clauses))
    out.extend(placed.find(text, low, clauses, tokens, names))
    return out


def _stepped_away(text: str, low: str, clauses: list[Clause]) -> list[Hit]:
    """A person stepping away in a sentence that also puts them on duty, with nothing saying it was done."""
    start, end = clauses[0].start, clauses[-1].end
    if RELEASED.search(low, start, end) or PLANNED.search(low, start, end):
        return []  # "logged off after handing the pager over", "went back to sleep once the alert cleared"
    for c in clauses:
        if c.subject.kind not in _PEOPLE or c.opener == "if":
            continue
        m = DISENGAGE.search(low, c.verb_start, c.end)
        if m is None or _NEGATED.search(low, c.verb_start, m.start()):
            continue  # "never left the bridge": denied
        duty = next(
            (
                d
                for d in DUTY.finditer(low, start, end)
                if not _denied_in_clause(low, clauses, d.start()) and _tied_to(c, clauses, d.start())
            ),
            None,
        )
        if duty is None or _explained_by_system(c, clauses):
            continue
        spans = [*_subject_span(c), (m.start(), m.end()), duty.span()]
        return [
            Hit(
                "sequence",
                spans,
                who=c.subject.text,
                predicate=text[m.start() : m.end()],
                words=text[m.start() : m.end()],
                extra={"kind": "stepped_away", "duty": text[duty.start() : duty.end()]},
            )
        ]
    return []


_TIME_OPENERS = frozenset({"after", "before", "when", "once", "while", "during", "as", "until", "since"})


def _tied_to(c: Clause, clauses: list[Clause], at: int) -> bool:
    """Whether the duty at `at` is the person's: in their own clauses, in a time clause beside them, or in the
    clause their act explains ("The migration ran unsupervised because Tobias went home"); not in another
    subject's independent clause ("..., and the deploy was started the next morning by the pipeline")."""
    own = [d for d in clauses if d.start <= at]
    where = own[-1] if own else clauses[0]
    if (
        where is c
        or where.subject.kind in PERSONISH
        or where.opener in _TIME_OPENERS
        or where.subject.kind == "none"
    ):
        return True
    return c.opener in ("because", "since", "as", "so") and where.start < c.start


def _denied_in_clause(low: str, clauses: list[Clause], at: int) -> bool:
    """Whether the words before `at` in its clause deny it ("nothing was deployed that evening")."""
    own = [c for c in clauses if c.start <= at]
    begin = own[-1].start if own else 0
    return _NEGATED.search(low, begin, at) is not None or low[begin:at].startswith("nothing")


def _person_after(tokens: list[Token], at: int, names: Names) -> tuple[str, int, int] | None:
    """The person phrase starting exactly at `at`: (its words, start, end), or None."""
    found = person_np(tokens, at, names)
    if found is None or found[1][0].start != at:
        return None
    who, np = found
    if who.possessed or np[-1].low in _OUTSIDERS:
        return None
    return who.text, np[0].start, np[-1].end


def _duty_broken(text: str, low: str, clauses: list[Clause], tokens: list[Token], names: Names) -> list[Hit]:
    """ "We trusted Sam to double-check and he didn't", "was supposed to renew it and never did"."""
    out: list[Hit] = []
    end = clauses[-1].end
    frames: list[tuple[int, int, str]] = []  # (frame start, where the duty's words end, who)
    for m in EXPECTATION.finditer(low):
        found = _person_after(tokens, m.end() + 1, names)
        if found is not None:
            frames.append((m.start(), found[2], found[0]))
    for c in clauses:
        if c.subject.kind in _PEOPLE:
            d = DUTY_FRAMES.match(low, c.verb_start) or DUTY_FRAMES.match(
                low, _skip_adverbs(low, c.verb_start)
            )
            if d is not None:
                frames.append(
                    (c.subject.start if not c.subject.inherited else d.start(), d.end(), c.subject.text)
                )
    for m in _OWNED_DUTY.finditer(low):
        raw = text[m.start(1) : m.end(1)]
        if m.group(1) in ("his", "her", "their") or _is_person_word(re.sub(r"(?:'s|s')$", "", raw), names):
            frames.append((m.start(), m.end(), raw))  # "The cert renewal was Luca's job"
    for m in _DELIVERED_TO.finditer(low):
        found = _person_after(tokens, m.end() + 1, names)
        if found is None:
            continue
        left = _LEFT_UNANSWERED.search(low, found[2])
        if left is not None:  # "The page was sent to the right person and just sat there for an hour"
            spans = [(m.start(), found[2]), left.span()]
            out.append(
                Hit(
                    "passive_blame",
                    spans,
                    who=found[0],
                    predicate=left.group(0),
                    words=text[m.start() : left.end()],
                )
            )
            return out
    for f_start, f_end, who in frames:
        later = [c for c in clauses if c.start >= f_end]
        for c in later:
            b = BROKEN_DUTY.search(low, c.start, c.end + 1)
            if b is None and c.opener in ("and", "but", "yet", ""):
                b = _BARE_NEG.match(low, c.start)  # "... and simply didn't."
            if b is not None:
                out.append(
                    Hit(
                        "trust",
                        [(f_start, f_end), b.span()],
                        who=who,
                        words=text[f_start:f_end] + " ... " + text[b.start() : b.end()],
                        extra={"kind": "let_down"},
                    )
                )
                return out
    # A bare "She didn't." or "He never did.": a person's claim denied in the sentence after it
    words = [t for t in tokens if t.is_word]
    if 2 <= len(words) <= 5 and len(clauses) == 1 and clauses[0].subject.kind == "person":
        b = BROKEN_DUTY.match(low, words[0].start)
        if b is not None and _BARE_TAIL.fullmatch(low, b.end(), end):
            out.append(
                Hit(
                    "trust",
                    [b.span()],
                    who=words[0].text,
                    words=text[b.start() : b.end()],
                    extra={"kind": "let_down"},
                )
            )
            return out
    # "Instructions were given and simply not followed": a passive duty elided and denied
    for k, c in enumerate(clauses[1:], 1):
        prev = clauses[k - 1]
        if c.opener not in ("and", "but", "yet") or c.subject.kind in PERSONISH:
            continue
        e = _ELIDED_DENIAL.match(low, c.start)
        if e is not None and _PASSIVE_GIVEN.search(low, prev.verb_start, prev.end):
            out.append(
                Hit(
                    "passive_blame",
                    [e.span()],
                    predicate=text[e.start(e.lastindex or 0) : e.end(e.lastindex or 0)],
                    rest=text[prev.start : prev.verb_start].strip(),
                    words=text[e.start() : e.end()],
                )
            )
    return out


_OWNED_DUTY = re.compile(
    r"(?<![\w'])(?:was|is|'s|were|are) (?:\w+ly )?(?:the )?(?:[\w-]+ )?((?:[\w-]+)(?:'s|s')|his|her|their) (?:own )?"
    r"(?:job|responsibility|task|ticket|action item|area|duty|one job)(?![\w'])"
)
_DELIVERED_TO = re.compile(
    r"(?<![\w'])(?:sent|routed|assigned|escalated|handed|given|delivered|forwarded|went|paged through) (?:\w+ )?(?:straight |directly )?to"
)
_LEFT_UNANSWERED = re.compile(
    r"(?<![\w'])(?:(?:just|simply|then) )?(?:sat|sits|sitting) (?:there|untouched|unanswered|unread|idle|unacknowledged|for)\b|"
    r"went (?:unanswered|unacknowledged|unread|ignored|nowhere)\b|(?:was|were) (?:never|not) (?:answered|acknowledged|read|opened|picked up)\b|"
    r"nobody (?:answered|picked up|responded|looked)\b"
)
_BARE_NEG = re.compile(
    r"(?:(?:simply|just|then|still|clearly|obviously|never) )?(?:didn't|didnt|did not|never did|never)(?= *(?:[,.;:!?]|$|again|this time|either))"
)
_BARE_TAIL = re.compile(r"[\s,]*(?:again|either|at all|of course|this time)?[\s.!?]*")
_ELIDED_DENIAL = re.compile(
    r"(?:(?:then|simply|just|still|promptly|completely|largely|mostly|quietly|conveniently) )*(?:(?:not|never|n't) (?:even )?"
    r"(followed|read|heeded|actioned|acted on|done|checked|tested|applied|used|opened|looked at|acknowledged|answered)|"
    r"(ignored|disregarded|overlooked|skipped|dismissed|brushed aside|forgotten|neglected|waved away|shrugged off|left unread))\b"
)
_PASSIVE_GIVEN = re.compile(
    r"(?:was|were|had been|has been|have been) (?:\w+ly )?(?:given|written|issued|sent|provided|shared|raised|"
    r"flagged|filed|documented|posted|explained|assigned|requested|agreed|handed over|spelled out|spelt out|laid out|"
    r"set out|written down|made clear|repeated|reported|escalated|announced|communicated|emailed|routed|delivered|"
    r"acknowledged|acked|received|seen|noticed|read|opened|picked up|triaged|claimed)\b"
)


def _skip_adverbs(low: str, at: int) -> int:
    m = re.match(r"(?:\w+ly |also |then |still |even )+", low[at:])
    return at + (m.end() if m else 0)


def _competence(text: str, low: str, clauses: list[Clause], tokens: list[Token], names: Names) -> list[Hit]:
    """ "clearly had no idea how connection pooling works", "I don't think Irina takes production seriously"."""
    out: list[Hit] = []
    for k, c in enumerate(clauses):
        if c.subject.kind not in _PEOPLE:
            continue
        end = c.end  # "Noah is great at writing code and terrible at reading alerts": over the elided clauses
        for d in clauses[k + 1 :]:
            if d.subject.kind != "none" and not d.subject.inherited:
                break
            end = d.end
        m = COMPETENCE.search(low, c.verb_start, end) or _JUST_ASSUMED.match(low, c.verb_start)
        if m is not None:
            spans = [*_subject_span(c), m.span()]
            out.append(
                Hit(
                    "trust",
                    spans,
                    who=c.subject.text,
                    words=text[m.start() : m.end()],
                    extra={"kind": "competence"},
                )
            )
            break
    for dm in _DOUBTING.finditer(low):
        at = re.match(r"\s*(?:that\s+)?", low[dm.end() :])
        found = person_np(tokens, dm.end() + (at.end() if at else 0), names)
        if found is None:
            continue
        a = _ATTITUDE.match(low, _skip_adverbs(low, found[1][-1].end + 1))
        if a is not None:
            out.append(
                Hit(
                    "trust",
                    [dm.span(), (found[1][0].start, found[1][-1].end), a.span()],
                    who=found[0].text,
                    words=text[dm.start() : a.end()],
                    extra={"kind": "competence"},
                )
            )
    for m in COMPETENCE_PHRASES.finditer(low):
        if not _DENIED_BEFORE.search(low, max(0, m.start() - 20), m.start()):
            out.append(
                Hit("judgement", [m.span()], words=text[m.start() : m.end()], extra={"kind": "competence"})
            )
    return out


def _is_person_word(word: str, names: Names) -> bool:
    w = word.lower()
    return (
        w in lx.ROLE_NOUNS
        or w in lx.TEAM_NOUNS
        or (word[:1].isupper() and names.is_name(word) and w not in lx.PRODUCTS)
    )


def _disposition(text: str, low: str, clauses: list[Clause], names: Names) -> list[Hit]:
    """A person's habit, attitude or the quality of their work made the problem or said to get worse."""
    for c in clauses:  # "Zoe's team has a track record of shipping broken builds": the subject's own
        had = _HAS_DISPOSITION.match(low, c.verb_start) if c.subject.kind in _PEOPLE else None
        outcome = DISPOSITION_OUTCOME.search(low, had.end(), c.end) if had is not None else None
        if had is not None and outcome is not None:
            spans = [*_subject_span(c), (had.start(), outcome.end())]
            words = text[had.start() : outcome.end()]
            return [Hit("judgement", spans, who=c.subject.text, words=words, extra={"kind": "disposition"})]
    for m in (*DISPOSITION.finditer(low), *QUALITY_OF.finditer(low)):
        owner = m.group(1) or (m.group(2) if m.re is DISPOSITION else "")
        raw = text[m.start(1) : m.start(1) + len(owner)] if m.group(1) else owner
        raw = re.sub(r"(?:'s|s')$", "", raw)
        if not (owner in ("his", "her", "their") or _is_person_word(raw, names)):
            continue
        outcome = DISPOSITION_OUTCOME.search(low, m.end()) or _FAILED_BEFORE.search(low, 0, m.start())
        if outcome is None or _NEGATED.search(low, m.end(), outcome.start()):
            continue
        return [
            Hit(
                "judgement",
                [m.span(), outcome.span()],
                who=raw,
                words=text[m.start() : outcome.end()],
                extra={"kind": "disposition"},
            )
        ]
    return []


def _hazard(text: str, low: str, tokens: list[Token], names: Names) -> list[Hit]:
    """ "protected us from an engineer determined to skip every check", "so that people like Tom don't"."""
    for m in HAZARD.finditer(low):
        found = _person_after(tokens, m.end() + 1, names)
        if found is None:
            continue
        who, a, b = found
        if m.group(0).endswith("like") and not _FAILURE.search(low, b):
            continue  # "so that people like Maria can ship safely": a safeguard that helps
        return [Hit("fault", [(m.start(), b)], who=who, words=text[m.start() : b], extra={"kind": "hazard"})]
    return []


def _talked_to(text: str, low: str, clauses: list[Clause], tokens: list[Token], names: Names) -> list[Hit]:
    """A conversation with a person as the remedy, or a lesson addressed to them."""
    for m in TALKED_TO.finditer(low):
        found = _person_after(tokens, m.end() + 1, names)
        if found is None:
            continue
        p = PREVENTION.search(low, found[2])
        if p is not None and not low[found[2] : p.start()].lstrip().startswith(
            ("to understand", "to learn", "about what")
        ):
            return [
                Hit(
                    "sanction",
                    [(m.start(), found[2]), p.span()],
                    who=found[0],
                    words=text[m.start() : p.end()],
                )
            ]
    for m in TAKEAWAY.finditer(low):
        found = _person_after(tokens, m.end() + 1, names)
        if found is None:
            continue
        b = TAKEAWAY_BEHAVIOUR.match(low, found[2])
        if b is not None:
            return [Hit("sanction", [(m.start(), b.end())], who=found[0], words=text[m.start() : b.end()])]
    return []


def _result(text: str, low: str, clauses: list[Clause]) -> list[Hit]:
    """A person's act, then "and this is the result" ending the sentence: the act made the cause."""
    for k, c in enumerate(clauses[1:], 1):
        m = RESULT_POINTER.search(low, c.start, c.end)
        if m is None or low[m.end() : clauses[-1].end].strip(" .!?"):
            continue
        person = next((d for d in clauses[:k] if d.subject.kind in _PEOPLE and d.verb_start < d.end), None)
        if person is not None:
            spans = [*_subject_span(person), m.span()]
            return [
                Hit(
                    "fault",
                    spans,
                    who=person.subject.text,
                    words=text[m.start() : m.end()],
                    extra={"kind": "result"},
                )
            ]
    return []
