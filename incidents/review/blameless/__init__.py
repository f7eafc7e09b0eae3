"""The blameless-language check: rules over sentence structure, with a word model as a second opinion
(`model.py`: it can veto a rule's finding or add one the rules miss), no network.

A sentence blames when it makes a person the cause of the failure, or judges a person's attention,
competence or choice with hindsight. The check finds the parts that say so (`parts.py` per clause and
`across.py` across a sentence, less what `neutral.py` shows is not blame: person mentions in `tokens.py`,
`parse.py`, `nounphrase.py` and `names.py`, failure predicates tied to that person in the same clause,
passives, a person named as the cause, judgement, hindsight, counterfactuals, "human error", trust and
competence, sarcasm, remedies aimed at a person, and in `people.py` behaviour asked of people ("be more
careful"), readiness and reliance, a system cleared so a person is left as the cause, knowing and going on
anyway, scare quotes; and in `context.py` blame carried by what surrounds an ordinary act: stepping away
beside a duty, a duty shown broken, competence deficits, a disposition made the problem, a person as the
hazard, a conversation as the remedy; in `placed.py` blame put on a person's shoulders or own call, a
claim denied in the next sentence, irony aimed at a person; in `framed.py` an ordinary act framed as THE
cause ("is the reason", "the root cause is that <person> ..."); in `supervised.py` trust, access
and supervision of ONE person (rights taken away, someone set to watch over them, no confidence left, a
demotion as a consequence), where the same change for everyone or for a role is policy; in `mocked.py`
praise or thanks whose object is damage (and quoted sarcasm reported, which no part flags); in `pinned.py` a
system failure pinned on a person's act ("... because the on-call went to bed", "a direct result of Amara's
decision", "is responsible for this outage", "the reason DNS failed was ..."); in `taught.py` learning
asked of one person as the remedy ("needs more training", "send Piotr back through onboarding"); in `caused.py`
what a person's act set off ("..., which wiped the routes", "went wrong when Kasia changed the TTL") and a
mistake with its author ("a typo by Gianni"); in `named.py` clefts and other frames that name a person or
their act or work as the cause ("It was Hector's restart that set it off", "The error was Greta's"); in `remarks.py`
remarks about a person with no failure verb (a person's record, reliance and rights, regret of trust,
disbelief, feelings as the reason, sarcasm at a person, lines as punishment); in `standing.py` a person's
or a team's state judged ("asleep at the wheel", "their overreaction") and their credibility ("has no
credibility left", "nobody believes the security team"); in `weaklink.py` the person as the weak link or the
failure mode; in `culprit.py` a remedy for the one responsible ("the engineer responsible will complete
training"); in `praised.py` praise with nothing to praise aimed at a team ("Top-notch planning from the
release crew there"); in `judgedwork.py` work judged ("did a lousy job", "a poor call by"); in `everyone.py`
what everyone is said to know or think of a person ("any seasoned engineer knows never to"); in `passives.py` the passives that blame; the vocabulary in `data/`, loaded by
`lexicon.py`) and turns each into a `Finding` that teaches (`explain.py`): the words, why they read as blame, and a rewording toward
the system built from the sentence.

Measured on `tests/incidents/review/blameless_sentences.json` (tuning and validation halves): run
`pytest tests/incidents/review/test_blameless.py -s` or `make bench`; and on a corpus written independently of
the rules (eight writers' tuning halves), `pytest tests/incidents/review/test_blameless_independent.py -s`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from incidents.review.blameless import explain, model, parts
from incidents.review.blameless.names import NOT_NAMES, general_names, names_from_users, system_names
from incidents.review.blameless.parse import Names

__all__ = ["NOT_NAMES", "Finding", "check_sections", "check_text", "names_from_users", "system_names"]


@dataclass(frozen=True)
class Finding:
    """One flagged passage. `start`/`end` index into the checked text (Python slice, end exclusive).

    `rule` is a stable key (used to remember dismissals); people see `label`, `reason` and `suggestion`.
    `spans` are the words to highlight (the person and the predicate, say), inside start..end.
    """

    start: int
    end: int
    rule: str
    text: str
    reason: str
    suggestion: str
    section: str = ""
    dismissed: bool = field(default=False, compare=False)
    label: str = ""
    spans: tuple[tuple[int, int], ...] = ()
    context: tuple[tuple[str, bool], ...] = ()  # the sentence, cut into (words, highlighted) pieces

    def as_dict(self) -> dict[str, object]:
        return {
            "start": self.start,
            "end": self.end,
            "rule": self.rule,
            "label": self.label,
            "text": self.text,
            "reason": self.reason,
            "suggestion": self.suggestion,
            "section": self.section,
            "dismissed": self.dismissed,
            "spans": [list(s) for s in self.spans],
            "context": [{"text": t, "highlight": h} for t, h in self.context],
        }


def _names(names: Iterable[str]) -> Names:
    users: set[str] = set()
    for n in names:
        n = (n or "").strip()
        if len(n) >= 2 and n[0].isupper():
            users.update(w.strip("(),.") for w in n.split() if w[:1].isupper() and w not in NOT_NAMES)
    return Names(frozenset(users), general_names())


def _context(
    text: str, sentence: tuple[int, int], spans: list[tuple[int, int]]
) -> tuple[tuple[str, bool], ...]:
    """The sentence around a finding as (words, highlighted) pieces, the flagged words highlighted."""
    start, end = sentence
    pieces: list[tuple[str, bool]] = []
    at = start
    for a, b in sorted(spans):
        a, b = max(a, at), min(b, end)
        if a >= b:
            continue
        if a > at:
            pieces.append((text[at:a], False))
        pieces.append((text[a:b], True))
        at = b
    if at < end:
        pieces.append((text[at:end], False))
    return tuple(pieces)


def check_text(text: str, *, names: Iterable[str] = (), section: str = "") -> list[Finding]:
    """Check `text` (Markdown) and return findings ordered by position.

    `names` are the installation's users (display names); names in general are known already. One finding
    per rule and passage: a rule matching overlapping words twice is reported once; different rules on the
    same words are all kept, so the writer sees each reason. Deterministic.
    """
    if not text:
        return []
    found = _names(names)
    hits = model.combine(text, parts.find(text, found), found)
    out: list[Finding] = []
    last_end: dict[str, int] = {}
    for hit in hits:
        if hit.start < last_end.get(hit.rule, -1):
            continue
        last_end[hit.rule] = hit.end
        out.append(
            Finding(
                start=hit.start,
                end=hit.end,
                rule=hit.rule,
                text=text[hit.start : hit.end],
                reason=model.reason(hit) if hit.rule == "model" else explain.reason(hit),
                suggestion=model.suggestion(hit) if hit.rule == "model" else explain.suggestion(hit),
                section=section,
                label=explain.LABELS[hit.rule],
                spans=tuple(sorted(set(hit.spans))),
                context=_context(text, hit.sentence, hit.spans),
            )
        )
    return out


def check_sections(
    sections: dict[str, str], *, names: Iterable[str] = (), dismissed: Iterable[tuple[str, str, str]] = ()
) -> list[Finding]:
    """Check every section. `dismissed` holds (section, rule, text lowercased) triples already dismissed."""
    gone = {(s, r, t.lower()) for s, r, t in dismissed}
    names = list(names)
    out: list[Finding] = []
    for key, body in sections.items():
        for f in check_text(body or "", names=names, section=key):
            if (key, f.rule, f.text.lower()) in gone:
                f = Finding(**{**f.__dict__, "dismissed": True})
            out.append(f)
    return out
