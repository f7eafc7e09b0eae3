"""A `Hit`: one reason a sentence reads as blame, as the parts find it (see `parts.py`)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Hit:
    rule: str
    spans: list[tuple[int, int]]
    who: str = ""
    predicate: str = ""
    rest: str = ""  # the words after the predicate, to build the rewording from
    words: str = ""  # the flagged words, as written
    extra: dict[str, str] = field(default_factory=dict)
    sentence: tuple[int, int] = (0, 0)  # the sentence the hit is in, to show it in context

    @property
    def start(self) -> int:
        return min(s for s, _ in self.spans)

    @property
    def end(self) -> int:
        return max(e for _, e in self.spans)
