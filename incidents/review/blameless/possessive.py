"""A person's possession made the fault (`fault`): "Sam's mistake", "the contractor's shoddy cabling", "her
botched deploy", "their rushed, half-tested hotfix". A fault noun, a judging adjective on any noun, or a bad
adjective on an act, after a person's possessive; "Kim's typo fix" and "Sam's error budget" (the noun
modifying another) and the possessions of a system ("Kafka's retention") are not.
"""

from __future__ import annotations

import re

from incidents.review.blameless import lexicon as lx
from incidents.review.blameless.hits import Hit
from incidents.review.blameless.neutral import COMPOUND_HEADS
from incidents.review.blameless.parse import NOT_LOWER_NAMES, Clause, Names

POSSESSIVE = re.compile(r"(?<![\w'])([\w-]+)'s?\s+((?:[\w-]+\s+){0,2}?)([\w-]+)(?![\w'])")
POSSESSIVE_PRONOUN = re.compile(r"(?<![\w'])(his|her|their|my|your)\s+(?:own\s+)?")
_WORD = re.compile(r"[\w'-]+")


def find(text: str, low: str, start: int, end: int, clauses: list[Clause], names: Names) -> list[Hit]:
    """The possessive faults of the sentence text[start:end] (offsets as in `text`)."""
    out: list[Hit] = []
    chat = bool(clauses) and bool(clauses[0].tokens) and clauses[0].tokens[0].text[:1].islower()
    for m in POSSESSIVE.finditer(text, start, end):
        owner = m.group(1)
        who = _owner_kind(owner, names, chat)
        following = list(_WORD.finditer(text, m.start(2), end))[:3]
        lows = [f.group(0).lower() for f in following]
        for k, noun in enumerate(lows):
            judged = k > 0 and bool(
                set(lows[:k]) & lx.JUDGING_ADJECTIVES
            )  # "the contractor's shoddy cabling"
            if (
                noun in lx.FAULT_NOUNS
                or judged
                or (noun in lx.ACTION_NOUNS and set(lows[:k]) & lx.BAD_ADJECTIVES)
            ):
                if k + 1 < len(lows) and lows[k + 1] in lx.ACTION_NOUNS | COMPOUND_HEADS:
                    break  # "Kim's typo fix", "Sam's error budget": the fault noun modifies another noun
                if who:
                    last = following[k].end()
                    out.append(
                        Hit(
                            "fault",
                            [(m.start(), last)],
                            who=owner,
                            words=text[m.start() : last],
                            extra={"possessed": noun},
                        )
                    )
                break
    for m in POSSESSIVE_PRONOUN.finditer(low, start, end):
        # "his mistake", "her botched deploy", "their rushed, half-tested hotfix": up to two words before the noun
        following = list(_WORD.finditer(low, m.end(), end))[:3]
        if not following or following[0].start() != m.end():
            continue
        lows = [f.group(0) for f in following]
        for k, noun in enumerate(lows):
            adjs = set(lows[:k])
            if noun in lx.FAULT_NOUNS or (noun in lx.ACTION_NOUNS and adjs & lx.BAD_ADJECTIVES):
                if k + 1 < len(lows) and lows[k + 1] in lx.ACTION_NOUNS | COMPOUND_HEADS:
                    break  # "her typo fix", "his error budget": the fault noun modifies another noun
                last = following[k].end()
                out.append(
                    Hit(
                        "fault",
                        [(m.start(), last)],
                        who=m.group(1),
                        words=text[m.start() : last],
                        extra={"possessed": noun},
                    )
                )
                break
            if k and low[following[k - 1].end() : following[k].start()].strip(" ,") or noun in lx.FAULT_NOUNS:
                break
    return out


def _owner_kind(owner: str, names: Names, chat: bool = False) -> str:
    w = owner.lower()
    if w in lx.ROLE_NOUNS or w in lx.TEAM_NOUNS:
        return "person"
    if (
        chat
        and owner.islower()
        and w not in NOT_LOWER_NAMES
        and w not in lx.PRODUCTS
        and names.is_name(owner.title())
    ):
        return "person"  # "root cause = tom's fat finger": a name written in lower case in chat
    if owner[:1].isupper() and names.is_name(owner) and (w not in lx.PRODUCTS or names.is_user(owner)):
        return "person"
    return ""
