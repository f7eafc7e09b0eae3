"""Noun phrases for the blameless check: who or what a phrase refers to (a person by name, role, team or
pronoun; a possessive's owner; a product named like a person; a system), as a `Subject`."""

from __future__ import annotations

from dataclasses import dataclass

from incidents.review.blameless import lexicon as lx
from incidents.review.blameless.tokens import CONTRACTIONS, Names, Token, make_token

_TITLES = frozenset({"mr", "ms", "mrs", "dr", "mr.", "ms.", "mrs.", "dr."})
_OBJECTS = lx.OBJECT_PRONOUNS | {"it"}
_SHIFTS = frozenset(
    {"night", "day", "morning", "evening", "afternoon", "late", "early", "next", "previous", "weekend"}
    | {"graveyard", "overnight", "incoming", "outgoing", "weekday", "holiday"}
)
# Role nouns that also name software, and the words that make them software ("the Postgres operator",
# "the CI runner", "the cluster autoscaler agent")
_SOFTWARE_ROLES = frozenset(
    {
        "operator",
        "operators",
        "agent",
        "agents",
        "worker",
        "workers",
        "runner",
        "runners",
        "manager",
        "managers",
    }
)
_TECH = lx.words("software_modifiers")
_GROUPS = frozenset({"group", "groups"})  # "consumer group" is software; "the consumer team" is people
_INDEFINITE = frozenset({"anyone", "anybody", "everyone", "everybody", "someone", "somebody", "nobody"})


@dataclass
class Subject:
    """Who or what a clause is about. `kind` is one of PERSONISH, "negative", "product", "system", "none"."""

    kind: str
    start: int = 0
    end: int = 0
    text: str = ""
    possessed: str = ""  # "mistake" in "Sam's mistake": the owned noun when the subject is a possessive
    possessed_words: tuple[str, ...] = ()
    inherited: bool = False


PERSONISH = frozenset({"person", "self", "team", "universal"})


def trailing_np(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for t in reversed(tokens):
        if t.low in lx.PREPOSITIONS or t.low in lx.AUXILIARIES or (t.low.endswith("ed") and out):
            break
        out.insert(0, t)
        if t.low in lx.DETERMINERS:
            break
    return out


def pronoun_kind(w: str) -> str:
    if w in ("nobody",):
        return "negative"
    if w in lx.SELF_PRONOUNS:
        return "self"
    if w in ("anyone", "anybody", "everyone", "everybody"):
        return "universal"
    if w in lx.PERSON_PRONOUNS:
        return "person"
    return ""


def classify_np(np: list[Token], names: Names) -> Subject:
    """What a noun phrase refers to: a person (name, role, pronoun), a team, a product or a system."""
    span = (np[0].start, np[-1].end)
    text = " ".join(t.text for t in np)
    # "Sam's mistake", "the on-call engineer's slow response", "his carelessness"
    for k, t in enumerate(np):
        owner: list[Token] | None = None
        if t.low.endswith(("'s", "s'")) and t.low not in CONTRACTIONS and k + 1 < len(np):
            owner = [
                *np[:k],
                make_token(
                    t.text[:-2] if t.low.endswith("'s") else t.text[:-1], t.low[:-2], t.start, t.end - 2
                ),
            ]
        elif k == 0 and t.low in lx.POSSESSIVE_PRONOUNS and len(np) > 1:
            owner = [t]
        if owner is not None:
            rest = [w.low for w in np[k + 1 :]]
            who = (
                classify_np(owner, names)
                if owner[-1].low not in lx.POSSESSIVE_PRONOUNS
                else Subject("person")
            )
            owned_person = classify_np(np[k + 1 :], names) if k + 1 < len(np) else Subject("none")
            if owned_person.kind in PERSONISH and who.kind in PERSONISH:
                return Subject(owned_person.kind, *span, text)  # "The vendor's support engineer misread ..."
            if who.kind in PERSONISH or who.kind == "negative":
                owned_noun = next(
                    (w for w in rest if w in lx.FAULT_NOUNS or w in lx.ACTION_NOUNS), rest[-1] if rest else ""
                )
                return Subject(who.kind, *span, text, possessed=owned_noun, possessed_words=tuple(rest))
            # "the audit tool's author": the owned noun may be a person
            owned = classify_np(np[k + 1 :], names)
            return Subject(owned.kind if owned.kind in PERSONISH else "system", *span, text)
    head_i = 0
    for k, t in enumerate(np):
        nxt = np[k + 1].low if k + 1 < len(np) else ""
        participle = (
            k > 0
            and t.low.endswith("ing")
            and (not nxt or nxt in lx.DETERMINERS or nxt in lx.PREPOSITIONS or nxt in _OBJECTS)
        )
        if t.low in lx.PREPOSITIONS or t.low in lx.RELATIVES or participle or (t.low == "worth" and k > 0):
            break
        head_i = k
    head = np[head_i]
    w = head.low
    first = np[0].low
    if (
        w in lx.ACTION_NOUNS
        and head_i + 2 < len(np) + 1
        and head_i + 1 < len(np)
        and np[head_i + 1].low == "by"
    ):
        # "the deploy by @kwame broke auth": an action with its person, as "Kwame's deploy" would be
        by = classify_np(np[head_i + 2 :], names) if head_i + 2 < len(np) else Subject("none")
        if by.kind in PERSONISH:
            return Subject(by.kind, *span, text, possessed=w, possessed_words=(w,))
    if len(np) >= 2 and np[head_i - 1].low == "no" and w == "one" if head_i else False:
        return Subject("negative", *span, text)
    if np[0].low in _INDEFINITE and len(np) > 1 and np[1].low not in ("else", "'s"):
        return Subject(
            pronoun_kind(np[0].low), *span, text
        )  # "anyone paying attention", "someone on the team"
    kind = pronoun_kind(w) if head_i == 0 or np[0].low in lx.UNIVERSAL else ""
    if kind:
        return Subject(kind, *span, text)
    if w in _SOFTWARE_ROLES and any(t.low in lx.PRODUCTS or t.low in _TECH for t in np[:head_i]):
        return Subject("system", *span, text)  # "the Kubernetes Postgres operator": software, not a person
    if w in lx.ROLE_NOUNS:
        core = {t.low for t in np[: head_i + 1]}
        worth = any(t.low == "worth" for t in np)  # "any engineer worth their salary"
        if first in lx.UNIVERSAL or "more" in core or "competent" in core or "careful" in core or worth:
            return Subject("universal", *span, text)
        return Subject("person", *span, text)
    if w in lx.TEAM_NOUNS and head_i > 0 and (np[head_i - 1].low not in lx.SYSTEM_GROUPS or w not in _GROUPS):
        return Subject("team", *span, text)
    if w in ("shift", "shifts") and head_i > 0 and np[head_i - 1].low in _SHIFTS:
        return Subject("team", *span, text)  # "the night shift": the people on it
    if (
        head_i == 0
        and head.cap
        and w in lx.TEAM_NAMES
        and not head.text.isupper()
        or (head_i == 0 and w == "qa")
    ):
        return Subject("team", *span, text)
    name_part = [t for t in np[: head_i + 1] if t.low not in _TITLES]
    if (
        name_part
        and all(t.cap for t in name_part)
        and any(names.is_name(t.text) or t.mention for t in name_part)
    ):
        if any(names.is_user(t.text) or t.mention for t in name_part):
            return Subject("person", *span, text)
        if any(t.low in lx.PRODUCTS for t in name_part):
            return Subject("product", *span, text)
        return Subject("person", *span, text)
    return Subject("system", *span, text)


_AFTER_HEAD = frozenset({"responsible", "involved", "concerned", "assigned", "present", "available", "named"})


def agent_of(toks: list[Token], verb_start: int, names: Names) -> Subject | None:
    """The person after "by" in a clause's verb group ("was ignored by the on-call engineer"), if any."""
    for k, t in enumerate(toks):
        if t.low == "by" and k + 1 < len(toks) and t.start >= verb_start:
            np: list[Token] = []
            for u in toks[k + 1 :]:
                nxt = toks[toks.index(u) + 1].low if toks.index(u) + 1 < len(toks) else ""
                if u.low in lx.PREPOSITIONS or u.low in lx.AUXILIARIES:
                    break
                if u.low.endswith("ing") and np and nxt not in lx.ROLE_NOUNS and nxt not in lx.TEAM_NOUNS:
                    break  # "by the pipeline retrying"; not "by the deploying engineer"
                np.append(u)
            while len(np) > 1 and np[-1].low in _AFTER_HEAD:
                np = np[:-1]  # "by the people responsible for it"
            if np:
                s = classify_np(np, names)
                if len(np) == 1 and np[0].low in lx.TEAM_NAMES:
                    s = Subject("team", np[0].start, np[0].end, np[0].text)  # "waved through by qa"
                if s.kind in PERSONISH or s.kind == "negative" or np[0].low == "whoever":
                    return s if s.kind in PERSONISH else Subject("person", s.start, s.end, s.text)
    return None
