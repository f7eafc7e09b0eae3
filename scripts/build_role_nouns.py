"""Build incidents/review/blameless/data/words/occupations.txt: the head nouns of the job titles in Faker's
job provider (`faker.providers.job.en_US`, about 640 titles of the UK's occupational classification as
Faker ships them; MIT licence; Faker is already a dependency for people's names), singular and plural.

A job title's head is its last word before any comma ("Engineer, civil (contracting)" -> "engineer",
"Clinical embryologist" -> "embryologist"). Heads that software uses for its own parts are left out, so that
"the broker dropped messages" or "the planner picked a bad index" stays about a system (the check's own
list, `role_nouns.txt`, holds the software roles that do name people: engineer, developer, SRE, ...).

    python scripts/build_role_nouns.py
"""

from __future__ import annotations

import re
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "incidents/review/blameless/data/words/occupations.txt"

# Heads of job titles that also name software, hardware or data in a postmortem ("the load balancer's health
# checker", "the message broker", "the query planner", "a celery worker", "the log streamer"), or that are not
# a person on their own ("aid", "product", "commercial", "make", "film", "boy" of "post boy"...); "the Python
# interpreter", "the text editor", "the address translator" are software too.
SOFTWARE_OR_NOT_A_PERSON = frozenset(
    {
        "agent",
        "aid",
        "associate",
        "blower",
        "boy",
        "broker",
        "clothing",
        "commercial",
        "controller",
        "copy",
        "crew",
        "dealer",
        "editor",
        "emeritus",
        "examiner",
        "film",
        "forest",
        "forwarder",
        "garment",
        "handler",
        "industrial",
        "interpreter",
        "land",
        "logistics",
        "make",
        "museum",
        "operator",
        "pilot",
        "planner",
        "planning",
        "presenter",
        "processor",
        "producer",
        "product",
        "professional",
        "runner",
        "streamer",
        "sub",
        "television",
        "translator",
        "visitor",
        "worker",
        "writer",
    }
)


def _plural(word: str) -> str:
    if word.endswith(("s", "sh", "ch", "x")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith("wife"):
        return word[:-4] + "wives"
    return word + "s"


def heads() -> set[str]:
    from faker.providers.job.en_US import Provider

    out: set[str] = set()
    for title in Provider.jobs:
        main = re.sub(r"\([^)]*\)", " ", title.split(",")[0]).split()
        if not main:
            continue
        head = main[-1].lower()
        if head.isalpha() and head not in SOFTWARE_OR_NOT_A_PERSON:
            out.add(head)
    return out


def main() -> None:
    words = heads()
    lines = sorted(words | {_plural(w) for w in words if w != "staff"})
    header = (
        "# Occupations: head nouns of the job titles of Faker's job provider (en_US), singular and plural.\n"
        "# Built by scripts/build_role_nouns.py; do not edit by hand (add people's roles to role_nouns.txt).\n"
    )
    OUT.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} words -> {OUT}")


if __name__ == "__main__":
    main()
