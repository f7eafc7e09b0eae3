"""Build incidents/review/blameless/data/names/given_names.txt from the names-dataset package (PyPI,
Apache-2.0, github.com/philipperemy/name-dataset): given names ranked in the top 1,000 of at least one
country, written in Latin letters, that are not ordinary English words (Webster's Second, as shipped by
`english-words`). Faker's names are added at run time (names.py); this list fills what Faker lacks (many
Indian, Nigerian, Arabic and East-Asian given names).

    pip install names-dataset && python scripts/build_given_names.py
    python scripts/build_given_names.py path/to/first_names.pkl.gz   # the file inside the names-dataset wheel

It also builds `given_names_words.txt`: names in the top 100 of a country that ARE English words but rare
ones (wordfreq's Zipf frequency under 4.3, so "Raj" and "Shah" but not "Given" or "None") and not among
Faker's names; `pip install wordfreq` for that part (a build-time tool, not a dependency).

Loading the dataset takes about 15 s and 1 GB of memory, which is why the result is kept in the repository
rather than built on first use.
"""

from __future__ import annotations

import gzip
import pickle  # noqa: S403  # the names-dataset package ships its data as a pickle; run by hand on a known file
import sys
from pathlib import Path

TOP = 1000
COMMON = 100
RARE_WORD = 4.3
OUT = Path(__file__).resolve().parents[1] / "incidents/review/blameless/data/names/given_names.txt"
WORDS = OUT.with_name("given_names_words.txt")


def _source() -> Path:
    if len(sys.argv) > 1:
        return Path(sys.argv[1])
    import names_dataset  # type: ignore[import-not-found]

    return Path(names_dataset.__file__).parent / "v3" / "first_names.pkl.gz"


def main() -> None:
    from english_words import get_english_words_set  # type: ignore[import-untyped]

    english = {w for w in get_english_words_set(["web2"], lower=False, alpha=True) if w.islower()}
    with gzip.open(_source()) as fh:
        data = pickle.load(fh)  # noqa: S301
    names = sorted(
        n
        for n, v in data.items()
        if len(n) >= 2
        and n.isalpha()
        and n.isascii()
        and n[0].isupper()
        and n[1:].islower()
        and v.get("rank")
        and min(v["rank"].values()) <= TOP
        and n.lower() not in english
    )
    header = [
        f"# Given names in the top {TOP} of at least one country, from names-dataset 3.3 (Apache-2.0,",
        "# github.com/philipperemy/name-dataset), less ordinary English words. Built by scripts/build_given_names.py.",
        "# One name a line.",
    ]
    OUT.write_text("\n".join(header + names) + "\n", encoding="utf-8")
    print(f"{len(names)} names -> {OUT}")
    _words(data, english)


def _words(data: dict, english: set[str]) -> None:
    """Very common given names that are rare English words ("Raj"), less Faker's (names.py adds those)."""
    import os

    import django
    from wordfreq import zipf_frequency  # type: ignore[import-not-found]

    sys.path.insert(0, str(OUT.parents[5]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()  # names.py reads the installation's users too
    from incidents.review.blameless.names import _build_names

    faker = _build_names()
    names = sorted(
        n
        for n, v in data.items()
        if len(n) >= 3
        and n.isalpha()
        and n.isascii()
        and n[0].isupper()
        and n[1:].islower()
        and v.get("rank")
        and min(v["rank"].values()) <= COMMON
        and n.lower() in english
        and n not in faker
        and zipf_frequency(n.lower(), "en") < RARE_WORD
    )
    header = [
        f"# Given names in the top {COMMON} of at least one country, from names-dataset 3.3 (Apache-2.0,",
        "# github.com/philipperemy/name-dataset), that are also English words (Webster's Second) but rare ones",
        f"# (wordfreq Zipf frequency under {RARE_WORD}: 'Raj', 'Shah', 'Sultan'; not 'Given', 'None', 'Low'), and not already",
        "# among Faker's names. The sentence structure decides whether one names a person, as for 'Will' or 'Mark'.",
        "# Built by scripts/build_given_names.py. One name a line.",
    ]
    WORDS.write_text("\n".join(header + names) + "\n", encoding="utf-8")
    print(f"{len(names)} names -> {WORDS}")


if __name__ == "__main__":
    main()
