"""People's names: the installation's users, and given names and surnames in general.

General names come from two sources. The given names of names-dataset (PyPI, Apache-2.0) that rank in the
top 1,000 of some country and are not English words, about 41,000, kept in `data/names/given_names.txt`
(built by `scripts/build_given_names.py`; the dataset itself is 55 MB and takes a gigabyte to load, so it is
not a dependency). And Faker's person providers (given names and surnames of 80+ locales, shipped inside
the package, MIT licence; Faker is maintained and already installed for the test factories). A surname that
is also an ordinary English word ("Power", "Young", "Page") would turn a sentence-initial noun into a person,
so such surnames count only when they are a user's name; the English words are Webster's Second (public
domain) as shipped by the `english-words` package. Given names that are common words ("Will", "Mark",
"Grant") stay: `parse.py` decides from the sentence structure whether they name a person (a name is a
person only as the bare subject of a verb, never after a determiner or a preposition).

The result is built once per installed version of both packages and cached in the var directory; nothing
is fetched at run time.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import pkgutil
import tempfile
from collections.abc import Iterable
from functools import cache
from importlib.resources import files
from pathlib import Path

from accounts.models import User

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


def _is_name_word(word: str) -> bool:
    return len(word) >= 2 and word.isalpha() and word[0].isupper() and not word.isupper()


@cache
def _english_words() -> frozenset[str]:
    from english_words import get_english_words_set  # type: ignore[import-untyped]  # only to build the cache

    return frozenset(w for w in get_english_words_set(["web2"], lower=False, alpha=True) if w.islower())


def _cache_file() -> Path:
    versions = "-".join(importlib.metadata.version(p) for p in ("Faker", "english-words"))
    root = Path(os.environ.get("HINDSIGHT_VAR_DIR") or Path(__file__).resolve().parents[3] / "var")
    return root / "cache" / f"blameless-names-{versions}.txt"


@cache
def general_names() -> frozenset[str]:
    """Given names and surnames (see the module docstring): Faker's from a cache file once built, and the
    given names of names-dataset shipped with the package (`given_names.txt`, and `given_names_words.txt`: very
    common given names that are also rare English words, such as "Raj").

    Building takes a second or more (every Faker locale and a 236,000-word list); the result, about 39,000
    names, is kept in `$HINDSIGHT_VAR_DIR/cache/` per version of both packages, so later processes load it
    in milliseconds. A cache that cannot be written is not an error: the names are built again next time.
    """
    return _faker_names() | _dataset_names()


def _dataset_names() -> frozenset[str]:
    """Given names from names-dataset that Faker lacks, shipped in data/names (scripts/build_given_names.py)."""
    out: set[str] = set()
    for name in ("given_names.txt", "given_names_words.txt"):
        text = (files(__package__) / "data" / "names" / name).read_text(encoding="utf-8")
        out.update(line for line in text.splitlines() if line and not line.startswith("#"))
    return frozenset(out)


def _faker_names() -> frozenset[str]:
    path = _cache_file()
    try:
        return frozenset(path.read_text(encoding="utf-8").split("\n")) - {""}
    except OSError:
        pass
    names = _build_names()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False) as tmp:
            tmp.write("\n".join(sorted(names)))
        Path(tmp.name).replace(path)
    except OSError:
        pass
    return names


def _build_names() -> frozenset[str]:
    """Given names of every Faker locale, and its surnames that are not ordinary English words."""
    import faker.providers.person as person  # only to build the cache; one module per locale, lists as attributes

    given: set[str] = set()
    family: set[str] = set()
    for module in pkgutil.iter_modules(person.__path__):
        provider = getattr(importlib.import_module(f"{person.__name__}.{module.name}"), "Provider", None)
        if provider is None:
            continue
        for attr, into in (
            ("first_names", given),
            ("first_names_male", given),
            ("first_names_female", given),
            ("first_names_nonbinary", given),
            ("first_romanized_names", given),
            ("last_names", family),
            ("last_romanized_names", family),
        ):
            values = provider.__dict__.get(attr)
            if isinstance(values, (dict, list, tuple, set, frozenset)):
                into.update(v for v in values if isinstance(v, str) and _is_name_word(v))
    words = _english_words()
    return frozenset(given | {n for n in family if n.lower() not in words})


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
