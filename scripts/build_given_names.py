"""Build incidents/review/blameless/data/names/given_names.txt from the names-dataset package (PyPI,
Apache-2.0, github.com/philipperemy/name-dataset): given names ranked in the top 1,000 of at least one
country, written in Latin letters, that are not ordinary English words (Webster's Second, as shipped by
`english-words`). Faker's names are added at run time (names.py); this list fills what Faker lacks (many
Indian, Nigerian, Arabic and East-Asian given names).

    pip install names-dataset && python scripts/build_given_names.py
    python scripts/build_given_names.py path/to/first_names.pkl.gz   # the file inside the names-dataset wheel

Loading the dataset takes about 15 s and 1 GB of memory, which is why the result is kept in the repository
rather than built on first use.
"""

from __future__ import annotations

import gzip
import pickle  # noqa: S403  # the names-dataset package ships its data as a pickle; run by hand on a known file
import sys
from pathlib import Path

TOP = 1000
OUT = Path(__file__).resolve().parents[1] / "incidents/review/blameless/data/names/given_names.txt"


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


if __name__ == "__main__":
    main()
