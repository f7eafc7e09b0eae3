"""The one Markdown renderer: python-markdown, then an nh3 allow-list.

Pages (through the `markdown` template filter), emails, exports and the API's `*_html` fields all call
`render_markdown`, so there is one place where user text becomes HTML.
"""

from __future__ import annotations

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


def render_markdown(text: str | None) -> SafeString:
    """Render Markdown `text` to sanitised HTML, marked safe for templates.

    Raw HTML in the source is escaped by python-markdown's output being sanitised afterwards: script,
    event handlers, style and unsafe URLs never survive. Code spans and blocks keep their text literal.
    """
    if not text:
        return mark_safe("")  # noqa: S308
    html = md.markdown(text, extensions=EXTENSIONS, output_format="html")
    return mark_safe(sanitise_html(html))  # noqa: S308 - sanitised by nh3 just above
