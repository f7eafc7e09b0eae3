"""The one Markdown renderer: python-markdown, then an nh3 allow-list.

Pages (through the `markdown` template filter), emails, exports and the API's `*_html` fields all call
`render_markdown`, so there is one place where user text becomes HTML.
"""

from __future__ import annotations

import re
from html import escape

import markdown as md
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "abbr": {"title"},
    "td": {"align"},
    "th": {"align"},
    "code": {"class"},
    "span": {"class"},
    "div": {"class"},
}
# Links only to these schemes; relative URLs are kept. `data:`, `javascript:`, `vbscript:` are dropped.
URL_SCHEMES = {"http", "https", "mailto"}
EXTENSIONS = ["fenced_code", "tables", "sane_lists", "nl2br"]


def sanitise_html(html: str) -> str:
    """Clean HTML against the allow-list. Links get `rel="noopener noreferrer nofollow"`."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


# python-markdown looks for the end of a link at every `[`, so brackets nested thousands deep take time
# quadratic in their number (5,000 deep: seconds per field; escaping them is quadratic too). A text nested
# deeper than this is shown as plain text, paragraphs and line breaks kept.
MAX_BRACKET_DEPTH = 32
_BRACKETS = re.compile(r"[\[\]]")


def _bracket_depth(text: str) -> int:
    depth = peak = 0
    for m in _BRACKETS.finditer(text):
        if m.group() == "[":
            depth += 1
            peak = max(peak, depth)
        elif depth:
            depth -= 1
    return peak


def render_markdown(text: str | None) -> SafeString:
    """Render Markdown `text` to sanitised HTML, marked safe for templates.

    Raw HTML in the source is escaped by python-markdown's output being sanitised afterwards: script,
    event handlers, style and unsafe URLs never survive. Code spans and blocks keep their text literal.
    A text with brackets nested deeper than `MAX_BRACKET_DEPTH` is shown as escaped plain text, so that
    rendering stays linear in the text's length.
    """
    if not text:
        return mark_safe("")  # noqa: S308
    if text.count("[") > MAX_BRACKET_DEPTH and _bracket_depth(text) > MAX_BRACKET_DEPTH:
        paragraphs = (escape(p).replace("\n", "<br>") for p in re.split(r"\n\s*\n", text))
        return mark_safe("".join(f"<p>{p}</p>" for p in paragraphs))  # noqa: S308 - escaped just above
    html = md.markdown(text, extensions=EXTENSIONS, output_format="html")
    return mark_safe(sanitise_html(html))  # noqa: S308 - sanitised by nh3 just above


_MARKDOWN_ACTIVE = re.compile(r"([\\`*\[\]])")


def markdown_text(value: object) -> str:
    """`value` as Markdown that renders as exactly its text, on one line: for names and titles people typed
    that a system timeline entry quotes ("Incident declared as SEV2: <title>"), so `[x](http://evil)` or
    `![](http://img)` shows as those characters, never as a link or a remote image.

    Backslash-escapes what starts links, images, code and `*` emphasis; `<` becomes `&lt;` (no raw HTML or
    autolink); line breaks become spaces (no heading, list or quote can start).
    """
    text = " ".join(str(value).splitlines())
    return _MARKDOWN_ACTIVE.sub(r"\\\1", text).replace("<", "&lt;")
