"""The blameless-language check: deterministic rules over Markdown text, no network, no model.

`check_text(text, names=...)` returns `Finding`s: the character span in `text`, the rule that matched, a
one-line reason and a suggested reframing toward the system. The rules are the ones a blameless review
asks for (Etsy's and Google's postmortem guides, John Allspaw's "blameless postmortems"):

- `person_subject`: a person (a user's name from `names`, a pronoun, or a role word such as "the intern"
  or "the new engineer") as the subject of a failure verb ("forgot", "ignored", "broke", "deleted", ...);
- `fault`: fault words pinned on someone ("his mistake", "to blame", "the culprit");
- `human_error`: "human error", "operator error", "user error";
- `careless` and `negligent`: character judgements ("careless", "sloppy", "lazy", "negligent", "reckless");
- `should_have`: "should have", "should've", "ought to have", "could have easily";
- `failed_to`: "failed to" / "did not bother to" after a person. A system that "failed to start" is a
  fact about the system, so it is not flagged: that is a deliberate choice to keep false positives low;
- `obviously`, `simply`, `just`: minimising words that make an action sound trivial. "just" as time or
  amount ("just after 23:00", "just enough") is not flagged;
- `counterfactual`: "if only", inverted "had they ...", "if the engineer had ...";
- `hindsight`: "it was clear that", "it was obvious that", "should have known", "in hindsight",
  "warning signs were ignored".

The figures on the labelled corpus in `tests/incidents/test_blameless_corpus.py` are printed by
`pytest tests/incidents/test_blameless_corpus.py -s`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from accounts.models import User


@dataclass(frozen=True)
class Finding:
    """One flagged span. `start`/`end` index into the checked text (Python slice, end exclusive)."""

    start: int
    end: int
    rule: str
    text: str
    reason: str
    suggestion: str
    section: str = ""
    dismissed: bool = field(default=False, compare=False)

    def as_dict(self) -> dict[str, object]:
        return {
            "start": self.start,
            "end": self.end,
            "rule": self.rule,
            "text": self.text,
            "reason": self.reason,
            "suggestion": self.suggestion,
            "section": self.section,
            "dismissed": self.dismissed,
        }


@dataclass(frozen=True)
class Rule:
    id: str
    pattern: re.Pattern[str]
    reason: str
    suggestion: str
    group: str | int = 0


ROLE_WORDS = (
    r"(?:the|an?|our|that|this|any|one|every)\s+(?:[\w'-]+\s+){0,2}?"
    r"(?:intern|engineer|developer|dev|operator|admin|administrator|sysadmin|dba|sre|contractor|"
    r"new\s+hire|hire|junior|employee|team\s+member|person|reviewer|tester|analyst|on-?call|oncaller|"
    r"on-?call\s+engineer|release\s+manager|programmer|technician|staffer|guy|individual|user|author|"
    r"colleague|teammate|coworker|co-worker|manager|lead)"
)
PRONOUNS = r"(?:he|she|someone|somebody|nobody|no\s+one|they|you)"
# Verbs (and verb phrases) that make a person the subject of a failure.
FAILURE_VERBS = (
    r"(?:forgot|forgets|forgotten|ignored|ignores|neglected|neglects|overlooked|missed|misses|"
    r"mistyped|misread|misconfigured|misjudged|messed\s+up|screwed\s+up|botched|broke|breaks|"
    r"caused|causes|deleted|dropped|wiped|destroyed|took\s+down|brought\s+down|knocked\s+out|"
    r"(?:ran|typed|used|picked|chose|selected|edited|restarted|pushed|deployed|copied|changed)\b[^.;:]{0,40}?\bthe\s+wrong|"
    r"(?:didn't\s+|did\s+not\s+|never\s+)?bother(?:ed)?\s+to|"
    r"(?:issued|ran|typed|executed|pushed|deployed|wrote|made|merged|applied)\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:that|which)\s+(?:took\s+down|broke|caused|deleted|wiped|destroyed|brought\s+down|corrupted)|"
    r"pushed\s+(?:a|the)\s+(?:bad|broken|wrong|faulty)|deployed\s+(?:a|the)\s+(?:bad|broken|wrong|faulty)|"
    r"made\s+(?:a|an|the)\s+(?:\w+\s+)?(?:mistake|error|blunder|typo|slip)|"
    r"did\s+not\s+(?:check|test|verify|notice|read|follow|look|ask|confirm|review)|"
    r"didn't\s+(?:check|test|verify|notice|read|follow|look|ask|confirm|review)|"
    r"never\s+(?:checked|tested|verified|read|noticed|followed|looked|asked|confirmed|reviewed)|"
    r"skipped|accidentally|mistakenly|carelessly|wrongly|blindly|recklessly|"
    r"was\s+to\s+blame|is\s+to\s+blame|"
    r"is\s+responsible\s+for\s+the\s+(?:outage|incident|failure)|"
    r"was\s+responsible\s+for\s+the\s+(?:outage|incident|failure)|"
    r"fat-?fingered|clobbered|bypassed|circumvented|disregarded)"
)
# Words allowed between the person and the verb ("he then forgot", "the intern accidentally ran").
FILLER = r"(?:\s+(?:then|also|still|again|simply|just|apparently|clearly|had|has|have|already|never|\w+ly))*"

_I = re.IGNORECASE


def _person(names: tuple[str, ...]) -> str:
    """The person alternatives: role words and pronouns (any case), then user names (capitalised, exact)."""
    alts = [ROLE_WORDS, PRONOUNS]
    if names:
        alts.append("(?-i:" + "|".join(re.escape(n) for n in names) + ")")
    return "(?:" + "|".join(alts) + ")"


@lru_cache(maxsize=32)
def _rules(names: tuple[str, ...]) -> tuple[Rule, ...]:
    person = _person(names)
    return (
        Rule(
            "person_subject",
            re.compile(rf"\b(?P<who>{person})(?:'s)?{FILLER}\s+(?P<verb>{FAILURE_VERBS})\b", _I),
            "A person is the subject of the failure; the review looks for what in the system made it possible.",
            'Name the system condition instead: "the deploy tool allowed ... without a second check".',
        ),
        Rule(
            "failed_to",
            re.compile(
                rf"\b(?:{person}|we|i)(?:{FILLER})\s+(?:failed\s+to|fails\s+to|did\s+not\s+bother\s+to|"
                r"didn't\s+bother\s+to|neglected\s+to|omitted\s+to)\b",
                _I,
            ),
            '"Failed to" frames the event as a personal shortfall.',
            'State what the system did or did not do: "the checklist had no step for ...".',
        ),
        *BASE_RULES,
    )


BASE_RULES: tuple[Rule, ...] = (
    Rule(
        "fault",
        re.compile(
            r"\b(?:(?:his|her|their|its\s+author's)\s+(?:own\s+)?(?:mistake|error|fault|blunder|negligence)|"
            r"(?:was|is|were|are)\s+(?:entirely\s+|fully\s+|solely\s+)?to\s+blame|at\s+fault|the\s+culprit|"
            r"(?:fault|blame)\s+(?:lies|lay|rests)\s+with|blame\s+(?:for|on)\s+(?:him|her|them)|"
            r"\bresponsible\s+party|(?:it\s+was\s+)?(?:all\s+)?(?:his|her|their)\s+fault)\b",
            _I,
        ),
        "Assigning fault ends the inquiry before the system's part is understood.",
        'Describe the conditions that made the action reasonable at the time: "the runbook did not say...".',
    ),
    Rule(
        "human_error",
        re.compile(r"\b(?:human|operator|user|pilot|engineer|manual)[\s-]+errors?\b|\bpebkac\b", _I),
        '"Human error" is where an investigation starts, not where it ends.',
        'Say what let the action through: "the command ran on the primary without a confirmation step".',
    ),
    Rule(
        "careless",
        re.compile(
            r"\b(?:careless(?:ly|ness)?|sloppy|sloppiness|lazy|laziness|incompeten(?:t|ce)|"
            r"inattentive|inattention|lack\s+of\s+(?:care|attention|diligence)|thoughtless(?:ly)?|"
            r"stupid|dumb|idiotic|rookie\s+mistake)\b",
            _I,
        ),
        "A judgement of character explains nothing about the system.",
        'Describe what made the step easy to get wrong: "the two hosts had identical prompts".',
    ),
    Rule(
        "negligent",
        re.compile(r"\b(?:negligen(?:t|ce|tly)|reckless(?:ly|ness)?|irresponsib(?:le|ly|ility))\b", _I),
        "Negligence is a legal judgement of a person, not a finding about the system.",
        'Describe the missing safeguard: "nothing required a second person to approve the change".',
    ),
    Rule(
        "should_have",
        re.compile(
            r"\b(?:should|shouldn't|should\s+not|ought\s+to|ought\s+not\s+to)\s+(?:have|'ve)\b|\bshould've\b|"
            r"\bcould\s+(?:easily\s+)?have\s+(?:easily\s+)?(?:prevented|avoided|caught|noticed|checked|stopped)\b",
            _I,
        ),
        '"Should have" judges a past decision with knowledge that was not available then.',
        "Describe what people knew at the time and what would make the right step the easy one.",
    ),
    Rule(
        "obviously",
        re.compile(r"\b(?:obviously|obvious(?=\s+(?:mistake|error|step|thing|check))|of\s+course)\b", _I),
        '"Obviously" hides that it was not obvious to the people there at the time.',
        "Drop the word and say what information was available and where.",
    ),
    Rule(
        "simply",
        re.compile(r"\bsimply\b", _I),
        '"Simply" makes the action sound trivial and the person foolish for not doing it.',
        "Drop the word and describe the actual steps and their cost.",
    ),
    Rule(
        "just",
        re.compile(
            r"\bjust\b(?!\s+(?:after|before|as|under|over|about|below|above|short|ahead|in\s+time|"
            r"enough|like|now|then|once|one|two|a\s+few|\d|minutes|seconds|hours|days|shy|past|"
            r"finished|started|completed|begun|when|behind))",
            _I,
        ),
        '"Just" minimises the step: if it were that easy it would have happened.',
        "Drop the word and describe what the step involved.",
    ),
    Rule(
        "counterfactual",
        re.compile(
            rf"\bif\s+only\b|(?:^|[.;:,!?]\s*|\band\s+|\bbut\s+)(?P<had>had\s+(?:{PRONOUNS}|we|i|"
            rf"{ROLE_WORDS}|[A-Z][a-z]+)(?:\s+not)?\s+\w+)|"
            rf"\bif\s+(?:{PRONOUNS}|{ROLE_WORDS}|[A-Z][a-z]+)\s+had(?:\s+not|n't)?\s+(?:\w+ed|\w+en|done|run|read|"
            r"known|been|gone|taken|made|seen)\b|"
            r"\bwould\s+(?:never|not)\s+have\s+happened\b",
            _I,
        ),
        "A counterfactual describes a world that did not happen instead of the one that did.",
        'Describe what happened and why it made sense: "the runbook pointed at the primary host".',
    ),
    Rule(
        "hindsight",
        re.compile(
            r"\bit\s+(?:was|is|should\s+have\s+been)\s+(?:\w+\s+)?(?:clear|obvious|evident|apparent)\s+that\b|"
            r"\bshould\s+have\s+(?:known|realised|realized|seen|noticed)\b|\bin\s+hindsight\b|"
            r"\bwith\s+hindsight\b|\b(?:warning\s+)?signs\s+were\s+(?:there|ignored|missed)\b|"
            r"\bas\s+anyone\s+(?:could|would)\b|"
            r"\bany(?:one|body|\s+(?:\w+\s+)?(?:engineer|person|developer|operator|admin))\s+(?:could|would)\s+have\s+"
            r"(?:seen|known|noticed|spotted|caught|realised|realized)\b",
            _I,
        ),
        "Hindsight: what is clear now was not clear to the people in the moment.",
        'Describe what the responders saw then: "the dashboard showed only replication lag".',
    ),
)


# First words of display names that are ordinary English, never taken as a person's name on their own.
NOT_NAMES = frozenset(
    [
        "The",
        "A",
        "An",
        "This",
        "That",
        "These",
        "Those",
        "It",
        "Its",
        "We",
        "Our",
        "Us",
        "They",
        "Their",
        "He",
        "She",
        "His",
        "Her",
        "You",
        "Your",
        "I",
        "My",
        "Me",
        "Admin",
        "Administrator",
        "Team",
        "Support",
        "Ops",
        "On",
        "Call",
        "Demo",
        "Test",
        "User",
        "Bot",
        "System",
        "Service",
    ]
)


def names_from_users(users: Iterable[object]) -> list[str]:
    """Names to look for: each user's display name and its first word (unless an ordinary word, NOT_NAMES)."""
    out: set[str] = set()
    for user in users:
        display = (getattr(user, "display_name", "") or "").strip()
        if display:
            out.add(display)
            first = display.split()[0].strip("(),.")
            if first not in NOT_NAMES:
                out.add(first)
    return sorted(out)


def system_names() -> list[str]:
    """Display names (and first names) of active users in this installation. One query."""
    return names_from_users(User.objects.filter(is_active=True).only("display_name"))


def check_text(text: str, *, names: Iterable[str] = (), section: str = "") -> list[Finding]:
    """Run every rule over `text` and return findings ordered by position.

    `names` are people's names (capitalised, at least three letters) to treat as persons. A rule that
    matches overlapping words twice is reported once; different rules on the same words are all kept,
    so the writer sees each reason. Deterministic: the same input gives the same output.
    """
    if not text:
        return []
    key = tuple(
        sorted(
            {n.strip() for n in names if n and len(n.strip()) >= 3 and n.strip()[0].isupper()},
            key=lambda n: (-len(n), n),
        )
    )
    findings: list[Finding] = []
    for rule in _rules(key):
        last_end = -1
        for m in rule.pattern.finditer(text):
            start, end = m.span()
            if rule.id == "counterfactual" and m.group("had"):
                start, end = m.span("had")
            if start < last_end:
                continue
            last_end = end
            findings.append(
                Finding(
                    start=start,
                    end=end,
                    rule=rule.id,
                    text=text[start:end],
                    reason=rule.reason,
                    suggestion=rule.suggestion,
                    section=section,
                )
            )
    findings.sort(key=lambda f: (f.start, f.end, f.rule))
    return findings


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
                f = Finding(**{**f.as_dict(), "dismissed": True})  # type: ignore[arg-type]
            out.append(f)
    return out


def is_blaming(text: str, *, names: Iterable[str] = ()) -> bool:
    """True if any rule fires on `text`."""
    return bool(check_text(text, names=names))
