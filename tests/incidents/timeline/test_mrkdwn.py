"""Slack's mrkdwn converted to Markdown on import (issue 15). The inputs are the examples of Slack's
formatting reference (https://api.slack.com/reference/surfaces/formatting): what a message's `text`
holds when it comes from Slack."""

from __future__ import annotations

import json

import pytest

from incidents.markdown import render_markdown
from incidents.timeline.imports import parse_slack
from incidents.timeline.mrkdwn import slack_to_markdown

PEOPLE = {"U024BE7LH": "Cora Commander"}.get


@pytest.mark.parametrize(
    ("mrkdwn", "markdown"),
    [
        ("*bold*", "**bold**"),
        ("_italic_", "*italic*"),
        ("~strike~", "~~strike~~"),
        ("We *really* need _this_ ~not that~", "We **really** need *this* ~~not that~~"),
        ("*_bold italic_*", "***bold italic***"),
        ("`*not bold* _nor italic_`", "`*not bold* _nor italic_`"),
        ("restart_worker_pool and 2*3*4 and a * b * c", "restart_worker_pool and 2*3*4 and a * b * c"),
        (
            "<http://www.example.com|This message *is* a link>",
            "[This message **is** a link](http://www.example.com)",
        ),
        ("<http://www.example.com>", "<http://www.example.com>"),
        ("<mailto:bob@example.com|Email Bob Roberts>", "[Email Bob Roberts](mailto:bob@example.com)"),
        (
            "Hey <@U024BE7LH>, thanks for submitting your report.",
            "Hey @Cora Commander, thanks for submitting your report.",
        ),
        ("Ask <@U0NOBODY>", "Ask @unknown"),
        ("Why not join <#C024BE7LR|general>?", "Why not join #general?"),
        ("<!here> <!channel> the db is down", "@here @channel the db is down"),
        ("<!subteam^SAZ94GDB8|@oncall> please look", "@oncall please look"),
        (
            "<!date^1392734382^Posted {date_num} {time_secs}|Posted 2014-02-18 6:39:42 AM PST>",
            "Posted 2014-02-18 6:39:42 AM PST",
        ),
        ("latency &gt; 2 s &amp; errors &lt; 1%", "latency > 2 s & errors < 1%"),
        ("&gt; the alert said disk full\nso we looked", "> the alert said disk full\nso we looked"),
        ("`grep &lt;pid&gt; log`", "`grep <pid> log`"),
        (
            "```SELECT * FROM jobs WHERE state = 'stuck' &amp;&amp; *x*;```",
            "```\nSELECT * FROM jobs WHERE state = 'stuck' && *x*;\n```",
        ),
        ("Ran ```df -h``` then *waited*", "Ran\n```\ndf -h\n```\nthen **waited**"),
        ("<javascript:alert(1)|click me>", "click me"),
        (
            "*see <https://runbooks.example/db failover|the runbook>*",
            "**see [the runbook](https://runbooks.example/db%20failover)**",
        ),
    ],
)
def test_slack_mrkdwn_becomes_markdown(mrkdwn, markdown):
    assert slack_to_markdown(mrkdwn, PEOPLE) == markdown


def test_the_converted_text_renders_as_the_slack_message_looked():
    html = str(render_markdown(slack_to_markdown(
        "*Primary* is _down_, ~replica~ too: <https://status.example.com|status page> &lt;script&gt;", PEOPLE
    )))  # fmt: skip
    assert "<strong>Primary</strong>" in html
    assert "<em>down</em>" in html
    assert "<del>replica</del>" in html
    assert '<a href="https://status.example.com" rel="noopener noreferrer nofollow">status page</a>' in html
    assert "&lt;script&gt;" in html  # shown as text, not a tag
    fence = str(render_markdown(slack_to_markdown("```kubectl get pods &gt; pods.txt```")))
    assert "<pre><code>kubectl get pods &gt; pods.txt</code></pre>" in fence
    assert "~5 minutes" in str(render_markdown("~5 minutes"))  # one tilde is a tilde


def test_a_slack_export_import_converts_each_message_and_names_mentions_from_its_users():
    export = {
        "users": [{"id": "U0CORA", "name": "cora", "profile": {"display_name": "Cora", "real_name": "Cora C"}}],
        "messages": [
            {"ts": "1741611900.000100", "user": "U0CORA", "text": "*Paging* <@U0RORY>, see <https://x.example/d|dash>"},
            {
                "ts": "1741611960.000200", "user": "U0RORY", "text": "ack <@U0CORA>",
                "user_profile": {"display_name": "", "real_name": "Rory Responder"},
            },
        ],
    }  # fmt: skip
    parsed = parse_slack(json.dumps(export))
    assert [row.text for row in parsed.rows] == [
        "**Paging** @Rory Responder, see [dash](https://x.example/d)",
        "ack @Cora",
    ]
    assert [row.author for row in parsed.rows] == ["Cora", "Rory Responder"]
