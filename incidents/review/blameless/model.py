"""A second opinion for the blameless check: a logistic regression over the words of a sentence, in pure Python.

The rules (`parts.py`) explain each finding by its parts, but a writer they have never seen finds wordings no
part knows. The model is trained (`scripts/train_blameless_model.py`, scikit-learn, a dev-only dependency) on
the tuning halves of the independent writers' corpora and the project's own sentences, never on a validation
half, and its weights are shipped as JSON in `data/model/blameless.json`; at run time nothing but this module
reads them: no numpy, no scikit-learn, nothing fetched.

Features of a sentence (all present-or-absent, scaled to unit length as scikit-learn's `normalize` does):
word unigrams (`w:`), word pairs (`b:`), character 3-5-grams (`c:`), and the sentence with its person
mentions replaced by class tokens (`p:`): names, roles, teams, pronouns and possessives as the package's own
person detection finds them (`tokens.py`, `names.py`, `lexicon.py`), and each clause's subject kind with its
first verb (`s:person forgot`), so "Greg forgot" and "The intern forgot" share what they have in common.

How it combines with the rules (`combine`): a rule finding whose sentence the model finds very unlikely to
blame is dropped (a veto), and a sentence no rule flags is flagged when the model is confident and the
rules' neutral side (`neutral_reading`) does not explain it as a system's behaviour, learning language or a
question. Measured by leave-one-writer-out in the training script.
"""

from __future__ import annotations

import functools
import json
import math
import re
from functools import cache
from importlib.resources import files

from incidents.review.blameless import lexicon as lx
from incidents.review.blameless.explain import base_form
from incidents.review.blameless.hits import Hit
from incidents.review.blameless.names import general_names
from incidents.review.blameless.parse import PERSONISH, analyse
from incidents.review.blameless.tokens import TOKEN_RE, Names, normalise, sentences, tokenize

VETO_BELOW = 0.2  # a rule finding is dropped when the model gives its sentence less than this
FLAG_AT = 0.76  # a sentence no rule flags is flagged from this probability
_WORD = re.compile(r"[a-z0-9]+(?:['\-][a-z0-9]+)*")
_SPACE = re.compile(r"\s+")


def _classes(text: str, low: str, names: Names) -> list[str]:
    """The words of the sentence with person mentions replaced by class tokens."""
    out: list[str] = []
    tokens = tokenize(text, 0, len(text), low, names)
    for k, t in enumerate(tokens):
        if not t.is_word:
            continue
        w = t.low
        owner = w[:-2] if w.endswith("'s") else w[:-1] if w.endswith("s'") else ""
        word = t.text[: len(owner)] if owner else t.text
        base = owner or w
        if t.mention or (t.cap and k > 0 and names.is_name(word)) or (k == 0 and names.is_user(word)):
            cls = "NAME"
        elif k == 0 and t.cap and names.is_name(word) and k + 1 < len(tokens) and tokens[k + 1].is_word:
            cls = "NAME?"  # sentence-initial: a name or a word ("Will", "Mark"); the structure decides
        elif base in lx.ROLE_NOUNS:
            cls = "ROLE"
        elif base in lx.TEAM_NOUNS or base in lx.TEAM_NAMES:
            cls = "TEAM"
        elif base in lx.PRODUCTS:
            cls = "PRODUCT"
        elif w in lx.POSSESSIVE_PRONOUNS:
            cls = "POSS"
        elif w in lx.PERSON_PRONOUNS or w in lx.OBJECT_PRONOUNS:
            cls = "PRON"
        elif w in lx.SELF_PRONOUNS:
            cls = "SELF"
        elif w in lx.UNIVERSAL:
            cls = "ANYONE"
        else:
            out.append(w)
            continue
        out.append(cls)
        if owner:
            out.append("POSS")
    return out


def features(sentence: str, names: Names) -> list[str]:
    """The distinct features of one sentence (see the module docstring), in a stable order."""
    low = normalise(sentence)
    words = _WORD.findall(low)
    feats: dict[str, None] = {}
    for w in words:
        feats["w:" + w] = None
    padded = ["<s>", *words, "</s>"]
    for a, b in zip(padded, padded[1:], strict=False):
        feats[f"b:{a} {b}"] = None
    for w in words:
        padded_word = f" {w} "
        for n in (3, 4, 5):
            for i in range(len(padded_word) - n + 1):
                feats["c:" + padded_word[i : i + n]] = None
    classes = ["<s>", *_classes(sentence, low, names), "</s>"]
    for i in range(len(classes) - 1):
        pair = classes[i : i + 2]
        if any(c.isupper() for c in pair):
            feats["p:" + " ".join(pair)] = None
        three = classes[i : i + 3]
        if len(three) == 3 and any(c.isupper() for c in three):
            feats["p:" + " ".join(three)] = None
    for c in analyse(sentence, low, 0, len(sentence), names):
        verb = TOKEN_RE.match(low, c.verb_start) if c.verb_start else None
        kind = c.subject.kind + ("'s" if c.subject.possessed else "")
        feats["s:" + kind] = None
        if verb is not None:
            feats[f"s:{kind} {verb.group(0)}"] = None
    return list(feats)


@cache
def _weights() -> tuple[float, dict[str, float]]:
    data = json.loads((files(__package__) / "data" / "model" / "blameless.json").read_text(encoding="utf-8"))
    return float(data["intercept"]), {k: float(v) for k, v in data["weights"].items()}


def probability(sentence: str, names: Names) -> float:
    """The model's probability (0..1) that `sentence` blames someone."""
    intercept, weights = _weights()
    known = [weights[f] for f in features(sentence, names) if f in weights]
    score = intercept + (sum(known) / math.sqrt(len(known)) if known else 0.0)
    return 1.0 / (1.0 + math.exp(-score))


_PEOPLE = frozenset({"NAME", "NAME?", "ROLE", "TEAM", "PRON", "POSS", "ANYONE"})
_LEARNING = re.compile("|".join(f"(?:{p})" for p in lx.patterns("local_rationality")))
_ASKING = re.compile(
    r"^\W*(?:what|which|where|when|how (?:do|does|can|could|might|should) we|do we|does|can|could we|should we|is there|are there|did the|was the|were the)\b"
)


def neutral_reading(sentence: str, names: Names) -> bool:
    """What the rules' neutral side reads as no blame, whatever the model says: a sentence with no person in
    it (systems and products as subjects), learning language ("made sense at the time"), or a question the
    review asks ("What made the wrong cluster look right?")."""
    low = normalise(sentence)
    people = _PEOPLE & set(_classes(sentence, low, names))
    subjects = {c.subject.kind for c in analyse(sentence, low, 0, len(sentence), names)}
    if not people and not subjects & PERSONISH:
        return True
    if _LEARNING.search(low):
        return True
    return low.rstrip().endswith("?") and _ASKING.match(low) is not None


_COPULAS = lx.AUXILIARIES | {"seems", "seemed", "looks", "looked", "got", "gets"}


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _heaviest(sentence: str, low: str) -> list[tuple[int, int]]:
    """The (at most three) words that pull the sentence hardest toward blame, as spans of `sentence`."""
    _, weights = _weights()
    found = list(_WORD.finditer(low))
    scored = []
    for k, m in enumerate(found):
        w = m.group(0)
        before = found[k - 1].group(0) if k else "<s>"
        after = found[k + 1].group(0) if k + 1 < len(found) else "</s>"
        score = weights.get("w:" + w, 0.0)
        score += (weights.get(f"b:{before} {w}", 0.0) + weights.get(f"b:{w} {after}", 0.0)) / 2
        scored.append((score, m.start(), m.end()))
    best = sorted((s for s in scored if s[0] > 0), reverse=True)[:3]
    return sorted((a, b) for _, a, b in best) or [(0, len(sentence.rstrip()))]


@functools.lru_cache(maxsize=4096)
def _sentence_probability(sentence: str, users: frozenset[str]) -> float:
    return probability(sentence, Names(users, general_names()))


def model_hit(sentence: str, names: Names) -> Hit:
    """A finding for a sentence the model flags, offsets relative to it: the heaviest words highlighted, and
    the person clause's verb and what follows it kept to build the rewording from."""
    low = normalise(sentence)
    spans = _heaviest(sentence, low)
    hit = Hit(rule="model", spans=spans, words=" ... ".join(sentence[a:b] for a, b in spans))
    for c in analyse(sentence, low, 0, len(sentence), names):
        verb = TOKEN_RE.match(low, c.verb_start) if c.verb_start else None
        if c.subject.kind in PERSONISH and verb is not None:
            hit.who = c.subject.text
            hit.predicate = sentence[verb.start() : verb.end()]
            hit.rest = sentence[verb.end() : c.end].strip(" ,.;:!?")
            break
    hit.sentence = (0, len(sentence))
    return hit


def reason(hit: Hit) -> str:
    """Why a sentence the model flags reads as blame, in plain language."""
    return (
        f'"{hit.words}": sentences worded like this one usually make a person, their choices or their '
        "attention the cause of what went wrong. A blameless review asks what in the system made the outcome "
        "possible, and what the people there could see at the time."
    )


def suggestion(hit: Hit) -> str:
    """A system-focused rewording built from the sentence: the person's act as a step the system let through."""
    verb = hit.predicate.lower()
    if verb and hit.rest and verb not in _COPULAS and verb not in lx.NEGATIONS:
        return (
            f'"What made it look right to {base_form(verb)} {hit.rest} at the time, and what would have caught '
            'it before it mattered?"'
        )
    return (
        "Say what happened and what the people there could see at the time; then ask what in the system made "
        "the outcome possible."
    )


def combine(text: str, hits: list[Hit], names: Names) -> list[Hit]:
    """The rules' hits with the model's opinion: per sentence of `text`, rule hits are dropped when the model
    gives the sentence less than VETO_BELOW, and a sentence with no rule hit gets a model hit from FLAG_AT
    unless the rules' neutral side explains it (`neutral_reading`). Offsets index into `text`."""
    by_sentence: dict[tuple[int, int], list[Hit]] = {}
    for h in hits:
        by_sentence.setdefault(h.sentence, []).append(h)
    out: list[Hit] = []
    for start, end in sentences(text):
        sentence = text[start:end]
        p = _sentence_probability(sentence, names.users)
        own = by_sentence.pop((start, end), [])
        if own and p >= VETO_BELOW:
            out.extend(own)
        elif not own and p >= FLAG_AT and not neutral_reading(sentence, names):
            h = model_hit(sentence, names)
            h.spans = [(a + start, b + start) for a, b in h.spans]
            h.sentence = (start, end)
            h.extra["probability"] = f"{p:.2f}"
            out.append(h)
    for rest in by_sentence.values():  # a hit outside the sentences as split here: kept as the rules found it
        out.extend(rest)
    out.sort(key=lambda h: (h.start, h.end, h.rule))
    return out
