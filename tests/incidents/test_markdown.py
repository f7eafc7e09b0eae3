from __future__ import annotations

import io
import re

import pytest
from django.template import Context, Template

from incidents.markdown import render_markdown

HOSTILE_LINKS = [
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x]( javascript:alert(1))",
    "[x](java&#x09;script:alert(1))",
    "[x](&#106;avascript:alert(1))",
    '<a href="jAvAsCrIpT:alert(1)">x</a>',
    '<a href="VBScript:msgbox(1)">x</a>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<a href="DATA:text/html,<script>alert(1)</script>">x</a>',
]


def test_script_tags_and_their_content_are_removed():
    html = render_markdown("Before <script>alert('owned')</script> after")
    assert "<script" not in html.lower()
    assert "alert" not in html
    assert "Before" in html
    assert "after" in html


@pytest.mark.parametrize(
    "source",
    ['<img src="x.png" onerror="alert(1)">', '<p ONERROR="alert(1)">hi</p>', "<svg onload=alert(1)>"],
)
def test_event_handler_attributes_are_removed(source):
    html = render_markdown(source).lower()
    assert "onerror" not in html
    assert "onload" not in html
    assert "alert" not in html


@pytest.mark.parametrize("source", HOSTILE_LINKS)
def test_javascript_and_data_urls_never_survive_in_any_letter_case(source):
    html = render_markdown(source)
    urls = re.findall(r'(?:href|src)="([^"]*)"', html)
    assert urls == [], f"{source!r} kept a URL: {html}"
    assert "javascript" not in html.lower()
    assert "data:" not in html.lower()


def test_safe_links_are_kept_with_rel():
    html = render_markdown("[a](https://example.com/x) [b](/incidents/1/) [c](mailto:oncall@example.com)")
    assert 'href="https://example.com/x"' in html
    assert 'href="/incidents/1/"' in html
    assert 'href="mailto:oncall@example.com"' in html
    assert html.count('rel="noopener noreferrer nofollow"') == 3


def test_a_code_span_keeps_html_literal():
    html = render_markdown("Run `<script>alert(1)</script>` and `rm -rf /var/opt/gitlab/postgresql/data`")
    assert "<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>" in html
    assert "<code>rm -rf /var/opt/gitlab/postgresql/data</code>" in html


def test_fenced_code_block_keeps_html_literal():
    html = render_markdown("```\n<img src=x onerror=alert(1)>\n```")
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img" not in html


RUNBOOK = """1. Restart the worker:

    ```bash
    systemctl restart <worker>
    ```

2. Check the queue drains.

> ```sql
> select count(*) from jobs;
> ```
"""


def test_a_fenced_command_inside_a_list_step_or_a_quote_renders_as_code_and_keeps_the_list():
    html = str(render_markdown(RUNBOOK))
    step = re.search(r"<li>\s*<p>Restart the worker:</p>\s*<pre>(.*?)</pre>\s*</li>", html, re.S)
    assert step is not None, html
    assert step[1] == '<code class="language-bash">systemctl restart &lt;worker&gt;</code>'
    assert html.count("<ol>") == 1  # the second step stays in the same list
    assert "<p>Check the queue drains.</p>" in html
    quote = re.search(r"<blockquote>\s*<pre>(.*?)</pre>\s*</blockquote>", html, re.S)
    assert quote is not None, html
    assert quote[1] == '<code class="language-sql">select count(*) from jobs;</code>'
    assert "bash\n" not in html  # the language is not leaked into the code
    assert "sql\n" not in html


def test_the_renderer_change_is_versioned_and_the_allow_list_is_unchanged():
    from incidents import markdown

    assert markdown.RENDERER_VERSION == 3
    assert "pre" in markdown.ALLOWED_TAGS
    assert "pre" not in markdown.ALLOWED_ATTRIBUTES
    assert markdown.ALLOWED_ATTRIBUTES["code"] == {"class"}


@pytest.mark.django_db
def test_rerender_markdown_renders_stored_html_of_old_entries_again(commander):
    from django.core.management import call_command

    from incidents.models import TimelineEntry
    from incidents.timeline.services import timeline_entry_add
    from tests.factories import IncidentFactory

    incident = IncidentFactory(commander=commander)
    incident.participants.add(commander)
    entry = timeline_entry_add(incident=incident, actor=commander, body=RUNBOOK)
    TimelineEntry.objects.filter(pk=entry.pk).update(body_html="<p>old rendering</p>")
    call_command("rerender_markdown", stdout=io.StringIO())
    entry.refresh_from_db()
    assert '<code class="language-bash">systemctl restart &lt;worker&gt;</code>' in entry.body_html


def test_the_template_filter_uses_the_same_renderer():
    out = Template("{% load hindsight %}{{ text|markdown }}").render(
        Context({"text": "**bold** <script>x</script> [x](JavaScript:alert(1))"})
    )
    assert "<strong>bold</strong>" in out
    assert "<script" not in out
    assert "javascript" not in out.lower()


def test_empty_text_renders_nothing():
    assert render_markdown("") == ""
    assert render_markdown(None) == ""


def test_brackets_nested_thousands_deep_render_as_text_in_linear_time():
    import time

    text = "[" * 50_000 + "<b>x</b>\n\nnext" + "]" * 50_000
    start = time.perf_counter()
    html = str(render_markdown(text))
    assert time.perf_counter() - start < 1  # python-markdown alone: minutes
    assert "&lt;b&gt;x&lt;/b&gt;</p><p>next" in html
    assert "<b>" not in html
