"""Slack's mrkdwn, as messages arrive from Slack (an export, "Add to timeline", slash commands), to the
Markdown the timeline stores (https://api.slack.com/reference/surfaces/formatting).

| mrkdwn | Markdown |
| --- | --- |
| `*bold*`, `_italic_`, `~strike~` | `**bold**`, `*italic*`, `~~strike~~` |
| `<https://x|label>`, `<https://x>`, `<mailto:a@b|Ann>` | `[label](https://x)`, `<https://x>`, `[Ann](mailto:a@b)` |
| `<@U123>` | `@` and the person's name (`people`), or `@unknown` |
| `<#C123|general>`, `<!subteam^S1|@oncall>`, `<!here>` | `#general`, `@oncall`, `@here` |
| `<!date^1392734382^{date}|Feb 18>` | its fallback text, `Feb 18` |
| `&amp;`, `&lt;`, `&gt;` | `&`, `<`, `>` (a `&gt;` opening a line is a quote, as in Slack) |

Code spans and fenced blocks keep their text (entities decoded, nothing else converted); a fence Slack
writes on one line (```` ```df -h``` ````) becomes a block on lines of its own. A link to another scheme
(`javascript:`) keeps only its label.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

UNKNOWN_PERSON = "@unknown"
_FENCE = re.compile(r"```(.*?)```", re.S)
_CODE = re.compile(r"`([^`\n]+)`")
_ANGLE = re.compile(r"<([^<>\n]+)>")
_SCHEMES = ("http://", "https://", "mailto:")
# Slack reads a marker only at a word's edge with no space inside it: `snake_case_name`, `2*3*4` and
# `a * b * c` stay as they are.
_STYLES = re.compile(
    r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"
    r"|(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"
    r"|(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])"
)
_MARKS = ("**", "*", "~~")
_HOLD = "\ue000"
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")


def _entities(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _styles(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        index = next(i for i, group in enumerate(match.groups()) if group is not None)
        mark = _MARKS[index]
        return mark + _styles(match.group(index + 1)) + mark

    return _STYLES.sub(one, text)


def _plain(text: str) -> str:
    """Text outside code and `<…>` tokens: styles converted, entities decoded so that Markdown reads them
    as the characters they stand for (a `<` that would open an HTML tag stays `&lt;`)."""
    text = _styles(text)
    text = re.sub(r"(?m)^&gt;", ">", text)  # Slack's quote marker
    text = text.replace("&gt;", ">").replace("&amp;", "&")
    return _TAG_START.sub("&lt;", text.replace("&lt;", "<"))


def _label(text: str) -> str:
    return _plain(text).replace("[", r"\[").replace("]", r"\]")


def _url(text: str) -> str:
    return quote(_entities(text), safe="/:?#[]@!$&'*+,;=%~-._")


def _token(inner: str, people: Callable[[str], str | None]) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        name = people(target[1:])
        return f"@{name}" if name else UNKNOWN_PERSON
    if target.startswith("#"):
        return "#" + (_plain(label) if label else target[1:])
    if target.startswith("!"):
        if label:
            return _plain(label)
        word = target[1:].split("^", 1)[0]
        return f"@{word}" if word in {"here", "channel", "everyone"} else ""
    if target.lower().startswith(_SCHEMES):
        if label:
            return f"[{_label(label)}]({_url(target)})"
        return f"<{_url(target)}>"
    return _plain(label) if label else _plain(f"&lt;{inner}&gt;")


def _inline(text: str, people: Callable[[str], str | None]) -> str:
    """Text outside fences. Code spans and `<…>` tokens are converted on their own and held out of the
    text by placeholders (a private-use character, removed from the text first), so that a style around
    them (`*see <https://x|docs>*`, `_run `ls`_`) is read and nothing inside code is."""
    held: list[str] = []

    def hold(value: str) -> str:
        held.append(value)
        return f"{_HOLD}{len(held) - 1}{_HOLD}"

    text = _CODE.sub(lambda m: hold(f"`{_entities(m.group(1))}`"), text.replace(_HOLD, ""))
    text = _ANGLE.sub(lambda m: hold(_token(m.group(1), people)), text)
    return re.sub(f"{_HOLD}(\\d+){_HOLD}", lambda m: held[int(m.group(1))], _plain(text))


def slack_to_markdown(text: str, people: Callable[[str], str | None] = lambda _id: None) -> str:
    """The Markdown of a Slack message's `text` (see the module docstring). `people(user_id)` gives the
    name to show for a mention (None: `@unknown`)."""
    out, at = [], 0
    for match in _FENCE.finditer(text or ""):
        before = text[at : match.start()].rstrip(" \t")
        out.append(_inline(before, people))
        code = _entities(match.group(1)).strip("\n")
        lead = "" if not before or before.endswith("\n") else "\n"
        out.append(f"{lead}```\n{code}\n```\n")
        at = match.end()
        while text.startswith((" ", "\t"), at):
            at += 1
        if text.startswith("\n", at):
            at += 1
    out.append(_inline((text or "")[at:], people))
    return "".join(out).strip()
