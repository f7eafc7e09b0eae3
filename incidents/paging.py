"""One rule for `?page=` on every paged page (incident list, postmortem library and lessons, policy
findings, search, deleted incidents, history): a page that is not a whole number from 1 shows the first
page, one past the end shows the last, and either says so in `notice` (never an empty list that reads
"nothing yet", never an error page). The API keeps DRF's own paging.

- `page_number(raw)`: the page asked for, as (number from 1, whether `raw` was one).
- `page_notice(raw, shown, pages)`: what to tell the reader when `shown` is not the page `raw` asked for.
- `page_of(items, per_page, raw)`: a Django `Page` of `items` by that rule, with the notice as `.notice`.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.paginator import Page, Paginator

_WHOLE = re.compile(r"[0-9]{1,12}")
_SHOWN_RAW = 20  # characters of a bad value repeated in the notice


def page_number(raw: str | None) -> tuple[int, bool]:
    """(page, valid): `raw` as a page number from 1, or (1, False) when it is not ASCII digits naming
    1 or more (`abc`, `-1`, `0`, `2.5`, `１`). Missing or blank is (1, True): the first page, no notice."""
    text = (raw or "").strip()
    if not text:
        return 1, True
    if not _WHOLE.fullmatch(text) or int(text) < 1:
        return 1, False
    return int(text), True


def page_notice(raw: str | None, shown: int, pages: int) -> str:
    """The sentence for a reader who asked for page `raw` and is shown page `shown` of `pages` (0 or
    more; an empty list has one, empty, page): empty when `raw` was missing or named the page shown."""
    number, valid = page_number(raw)
    text = (raw or "").strip()
    if not valid:
        return f"“{text[:_SHOWN_RAW]}” is not a page number (pages count from 1): showing page {shown}."
    if number == shown:
        return ""
    last = max(pages, 1)
    if last == 1:
        return f"There is no page {number}: there is only one page, shown here."
    return f"There is no page {number}: the last is page {last}, shown here."


def page_of(items: Any, per_page: int, raw: str | None) -> Page[Any]:
    """Page `raw` of `items` (a queryset or list), `per_page` a page: the first page for a bad `raw`,
    the last for one past the end, with `page.notice` saying so (empty otherwise)."""
    paginator = Paginator(items, per_page)
    number, _ = page_number(raw)
    page = paginator.page(min(number, paginator.num_pages))
    page.notice = page_notice(raw, page.number, paginator.num_pages)  # type: ignore[attr-defined]
    return page
