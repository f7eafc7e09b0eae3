"""The one Markdown renderer: python-markdown, then an nh3 allow-list.

Pages (through the `markdown` template filter), emails, exports and the API's `*_html` fields all call
`render_markdown`, so there is one place where user text becomes HTML.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from html import escape
from typing import Any, ClassVar

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
# SuperFences (pymdown-extensions) reads a fenced code block inside a list item or a block quote as code (a
# runbook step with a command); python-markdown's own fenced_code only sees fences at the top level. The
# code is left for the browser to show as is (no Pygments markup): `<pre><code class="language-bash">`.
# Tilde reads `~~struck~~` as <del> (Slack's `~strike~` arrives as it, incidents/timeline/mrkdwn.py); a single
# `~` stays a tilde (no subscript: `~5 minutes`).
EXTENSIONS = ["pymdownx.highlight", "pymdownx.superfences", "pymdownx.tilde", "tables", "sane_lists", "nl2br"]
EXTENSION_CONFIGS: dict[str, dict[str, Any]] = {
    "pymdownx.highlight": {"use_pygments": False},
    "pymdownx.tilde": {"subscript": False, "smart_delete": True},
}


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
    return mark_safe(_render(text) if len(text) <= MEMO_MAX_CHARS else _render.__wrapped__(text))  # noqa: S308


#: Bump when the renderer's output changes (extensions, allow-list, parser version), then run
#: `manage.py rerender_markdown` so the HTML stored beside each Markdown field is rendered again.
RENDERER_VERSION = 3  # 2: SuperFences (fenced code in lists and quotes); 3: ~~strikethrough~~
#: Texts up to this long are memoised (per process, the most recent `MEMO_SIZE`).
MEMO_MAX_CHARS, MEMO_SIZE = 5_000, 2048
_local = threading.local()


def _parser() -> md.Markdown:
    """This thread's parser (building one costs more than rendering a paragraph; not thread-safe)."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = md.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS, output_format="html")
        _local.parser = parser
    return parser


@lru_cache(maxsize=MEMO_SIZE)
def _render(text: str) -> str:
    html = _parser().reset().convert(text)
    return sanitise_html(html)  # sanitised by nh3


def render_value(value: Any) -> Any:
    """`render_markdown` of a text as a `str`; of a dict of texts (postmortem sections), each value."""
    if isinstance(value, dict):
        return {k: str(render_markdown(v if isinstance(v, str) else "")) for k, v in value.items()}
    return str(render_markdown(value if isinstance(value, str) else ""))


class StoredHtml:
    """Model mixin: the sanitised HTML of each Markdown field is stored beside it on every save.

    `MARKDOWN_HTML` maps a Markdown field to its HTML field (`{"summary": "summary_html"}`); a save with
    `update_fields` naming the source also writes its HTML. Pages and the API read the HTML field and never
    render on read. Writes that bypass `save()` (bulk_create, `update()`) must set the HTML themselves.
    """

    MARKDOWN_HTML: ClassVar[dict[str, str]] = {}

    def render_stored_html(self, update_fields: Any = None) -> set[str]:
        """Render the HTML fields (those whose source is in `update_fields`, or all); return their names."""
        written = set()
        for source, target in self.MARKDOWN_HTML.items():
            if update_fields is None or source in update_fields:
                setattr(self, target, render_value(getattr(self, source)))
                written.add(target)
        return written

    def save(self, *args: Any, **kwargs: Any) -> None:
        written = self.render_stored_html(kwargs.get("update_fields"))
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | written
        super().save(*args, **kwargs)  # type: ignore[misc]


def rerender_stored_html(targets: Any, *, batch_size: int = 500) -> int:
    """Render again the stored HTML of every row of each `(model, {markdown field: html field})` in
    `targets` (what `manage.py rerender_markdown` and the migrations that add or change the renderer
    run). Reads only the Markdown columns, writes in batches; returns the number of rows written."""
    written = 0
    for model, mapping in targets:
        manager = model._base_manager
        batch: list[Any] = []
        for obj in manager.only("pk", *mapping).order_by("pk").iterator(chunk_size=batch_size):
            for source, target in mapping.items():
                setattr(obj, target, render_value(getattr(obj, source)))
            batch.append(obj)
            if len(batch) >= batch_size:
                manager.bulk_update(batch, list(mapping.values()))
                written += len(batch)
                batch = []
        if batch:
            manager.bulk_update(batch, list(mapping.values()))
            written += len(batch)
    return written


def stored_html(obj: Any, field: str, key: str | None = None) -> SafeString:
    """The stored HTML of Markdown field `field` of `obj` (of its section `key`, for a dict field).

    Falls back to rendering when nothing is stored for a non-empty text (a row written without `save()`).
    """
    text = getattr(obj, field, "")
    html = getattr(obj, f"{field}_html", None)
    if key is not None:
        text = text.get(key, "") if isinstance(text, dict) else ""
        html = html.get(key) if isinstance(html, dict) else None
    if isinstance(html, str) and (html or not text):
        return mark_safe(html)  # noqa: S308 - sanitised by render_markdown when saved
    return render_markdown(text if isinstance(text, str) else "")


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
