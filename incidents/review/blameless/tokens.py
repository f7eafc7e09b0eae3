"""Words and sentences for the blameless check: sentence spans, tokens, names, and the normalised text.

The text is lower-cased with curly apostrophes made straight and swapped-letter typos in structural words put
back, keeping its length so offsets carry over. In chat-style text (a sentence that starts in lower case), a
known name written in lower case, and any @mention, counts as capitalised, so `parse.py` can decide from the
structure whether it names a person, as it does for "Will" or "Mark" in prose.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from incidents.review.blameless import lexicon as lx

TOKEN_RE = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*'?|\S")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9*_#-])|\n+")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "mr.", "ms.", "mrs.", "dr.", "approx.", "no.", "cf.")
CONTRACTIONS = lx.words("contractions")
# Words never read as a lower-case name in chat-style text, whatever a names list says ("an", "will").
NOT_LOWER_NAMES = (
    lx.DETERMINERS
    | lx.PREPOSITIONS
    | lx.AUXILIARIES
    | lx.PERSON_PRONOUNS
    | lx.OBJECT_PRONOUNS
    | lx.POSSESSIVE_PRONOUNS
    | lx.COORDINATORS
    | lx.SUBORDINATORS
    | lx.WH_WORDS
    | lx.RELATIVES
    | lx.words("leading_adverbs")
)


def _transpositions(word: str) -> set[str]:
    return {
        word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        for i in range(len(word) - 1)
        if word[i] != word[i + 1]
    }


# Typed in a hurry: "shoudl", "becuase", "did'nt". Two neighbouring letters swapped in one of the words the
# structure depends on (modals, negations, conjunctions); swapping keeps the length, so offsets carry over.
_TYPOS = {
    typo: word
    for word in lx.words("typo_targets")
    for typo in _transpositions(word)
    if typo not in lx.AUXILIARIES and "'" not in typo[-2:-1]
}
_TYPO_RE = re.compile(r"[a-z']{4,}")


def _fix_typo(m: re.Match[str]) -> str:
    w = m.group(0)
    return _TYPOS.get(w, w)


def normalise(text: str) -> str:
    """Lower-case `text` with curly apostrophes made straight and swapped letters in the words the structure
    depends on put back ("shoudl" -> "should"); same length, so offsets carry over."""
    low = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    return _TYPO_RE.sub(_fix_typo, low)


class Token(NamedTuple):
    text: str
    low: str
    start: int
    end: int
    is_word: bool
    cap: bool
    mention: bool = False  # written as an @mention: a user of the chat, whatever the handle


def make_token(text: str, low: str, start: int, end: int) -> Token:
    return Token(text, low, start, end, text[:1].isalnum(), text[:1].isupper())


def sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of `text` (lines are separate sentences, as in Markdown lists)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        before = text[start : m.start()].rstrip()
        if m.group(0).strip() == "" and "\n" not in m.group(0) and before.lower().endswith(_ABBREVIATIONS):
            continue
        if before.strip():
            spans.append((start, m.start()))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def tokenize(text: str, start: int, end: int, low: str, names: Names | None = None) -> list[Token]:
    """Tokens of text[start:end]. In chat-style text (the sentence starts in lower case: "tbh this is on
    sarah") a known name written in lower case, and any @mention, counts as capitalised, so the sentence
    structure can decide whether it names a person, as it does for "Will" or "Mark" in written prose."""
    tokens = [
        make_token(text[m.start() : m.end()], m.group(0), m.start(), m.end())
        for m in TOKEN_RE.finditer(low, start, end)
    ]
    tokens = _split_is(tokens)
    if names is None:
        return tokens
    # the first word that is not a ticket id, a time or an acronym ("INC-442: caused by ...")
    first = next(
        (t for t in tokens if t.is_word and not t.text.isupper() and not any(c.isdigit() for c in t.low)),
        None,
    )
    chat = first is not None and not first.cap and not first.low[:1].isdigit()
    for k, t in enumerate(tokens):
        if not t.is_word or t.cap:
            continue
        mention = t.start > 0 and text[t.start - 1] == "@"
        word = t.text[:-2] if t.low.endswith("'s") else t.text
        nxt = tokens[k + 1].low if k + 1 < len(tokens) else ""
        # "pretty sure will deleted the wrong bucket": an auxiliary never takes a past form, so it is a name
        past_after = word.lower() in lx.AUXILIARIES and len(nxt) > 3 and nxt.endswith("ed") and nxt != "need"
        # "what made the wrong cluster look right": a past verb, unless a verb follows it ("bc rose hammered")
        verb_next = (len(nxt) > 3 and nxt.endswith("ed")) or nxt in lx.IRREGULAR_PAST or nxt in lx.AUXILIARIES
        verb = word.lower() in lx.IRREGULAR_PAST and not (verb_next or nxt in CONTRACTIONS)
        if mention or (
            chat
            and len(word) >= 2
            and not verb
            and (word.lower() not in NOT_LOWER_NAMES or past_after)
            and (names.is_name(word.title()) or word.lower() in lx.TEAM_NAMES)
            and (len(word) >= 3 or word.lower() in lx.TEAM_NAMES)
        ):
            tokens[k] = t._replace(text=word.title() + t.text[len(word) :], cap=True, mention=mention)
    return tokens


# Words that follow the "'s" of "is" or "has" but never a possessive's noun ("This one's on the humans").
_AFTER_IS = frozenset(
    {"not", "been", "gone", "done", "going", "got", "always", "never", "just", "still", "also", "really"}
    | {"clearly", "probably", "obviously", "definitely", "totally", "entirely", "all", "a", "an", "the"}
    | {"on", "in", "at", "down", "out", "off", "up", "to", "back", "why", "what", "how"}
)


def _split_is(tokens: list[Token]) -> list[Token]:
    """ "one's on" -> "one" + "'s": the "'s" of "is" after a noun, told from a possessive by the next word."""
    out: list[Token] = []
    for k, t in enumerate(tokens):
        nxt = tokens[k + 1].low if k + 1 < len(tokens) else ""
        if t.low.endswith("'s") and len(t.low) > 2 and t.low not in CONTRACTIONS and nxt in _AFTER_IS:
            out.append(make_token(t.text[:-2], t.low[:-2], t.start, t.end - 2))
            out.append(Token(t.text[-2:], "'s", t.end - 2, t.end, True, False))
        else:
            out.append(t)
    return out


class Names:
    """Which capitalised words are people's names: users of the installation first, then names in general."""

    def __init__(self, users: frozenset[str], general: frozenset[str]) -> None:
        self.users = users
        self.general = general

    def is_user(self, word: str) -> bool:
        return word in self.users

    def is_name(self, word: str) -> bool:
        if word in self.users or word in self.general:
            return True
        # "Soo-ah", "Jean-Luc", "Mary-Kate": a hyphenated given name, its first part a name
        head, dash, tail = word.partition("-")
        return (
            bool(dash) and len(head) >= 2 and tail.isalpha() and (head in self.users or head in self.general)
        )
