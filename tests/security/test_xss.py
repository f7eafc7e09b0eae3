"""The XSS corpus (tests/xss_corpus.py) in every Markdown field, checked on every rendering surface."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from incidents import models as m
from incidents.emails import render_email
from incidents.markdown import render_markdown
from incidents.notify.event_state import EventState
from incidents.notify.messages import event_email_context
from tests.factories import (
    ActionItemFactory,
    ContributingFactorFactory,
    PolicyFindingFactory,
    TimelineEntryFactory,
)
from tests.mail import html_part
from tests.security.xss_corpus import CODE_SPAN, CODE_SPAN_ESCAPED, CORPUS, PAYLOADS, executable_content

pytestmark = pytest.mark.django_db


def test_the_corpus_has_at_least_30_payloads():
    assert len(PAYLOADS) >= 30
    assert len(set(PAYLOADS)) == len(PAYLOADS)


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(1, len(PAYLOADS) + 1))
def test_render_markdown_leaves_nothing_executable(payload):
    assert executable_content(str(render_markdown(payload))) == []


def test_the_checker_catches_what_it_must(settings):
    # A checker that finds nothing proves nothing: each of these must be reported.
    for html in (
        "<script>x</script>",
        '<a href=" JaVa\tscript:x">a</a>',
        '<img src="data:image/png;base64,AA">',
        "<svg></svg>",
        '<p onclick="x">p</p>',
        '<p style="x">p</p>',
    ):
        assert executable_content(html), html


def test_code_spans_stay_literal():
    html = str(render_markdown(CODE_SPAN))
    assert f"<code>{CODE_SPAN_ESCAPED}</code>" in html


@pytest.fixture
def stored(commander, team, incident):
    """The whole corpus in every Markdown field of an incident and everything recorded on it."""
    incident.summary = CORPUS
    incident.customer_impact = CORPUS
    incident.save()
    entry = TimelineEntryFactory(incident=incident, body=CORPUS, knew_then=CORPUS, author=commander)
    factor = ContributingFactorFactory(
        incident=incident, description=CORPUS, title="Factor <b onclick=x>t</b>"
    )
    pm = m.Postmortem.objects.create(
        incident=incident, sections={key: CORPUS for key, _ in m.POSTMORTEM_SECTIONS}, author=commander
    )
    item = ActionItemFactory(
        incident=incident, owner=commander, description=CORPUS, title="<img src=x onerror=y>"
    )
    finding = PolicyFindingFactory(owner=commander, description=CORPUS, evidence=CORPUS)
    finding.incidents.add(incident)
    return {
        "incident": incident,
        "entry": entry,
        "factor": factor,
        "pm": pm,
        "item": item,
        "finding": finding,
    }


def _pages(stored) -> dict[str, str]:
    n = stored["incident"].number
    return {
        "incident page": reverse("incidents:detail", args=[n]),
        "postmortem page": reverse("incidents:postmortem", args=[n]),
        "postmortem print export": reverse("incidents:postmortem_print", args=[n]),
        "action item page": reverse("incidents:action_item_detail", args=[stored["item"].pk]),
        "finding page": reverse("incidents:finding_detail", args=[stored["finding"].pk]),
        "incident history": reverse("incidents:history", args=[n]),
        "search": reverse("incidents:search") + "?q=script",
    }


def test_no_page_runs_the_corpus(client_for, commander, stored):
    client = client_for(commander)
    checked = 0
    for surface, url in _pages(stored).items():
        response = client.get(url)
        assert response.status_code == 200, surface
        html = response.content.decode()
        assert executable_content(html) == [], surface
        checked += 1
    page = client.get(reverse("incidents:detail", args=[stored["incident"].number])).content.decode()
    assert CODE_SPAN_ESCAPED in page
    assert checked == 7


def _html_fields(value, path="") -> list[tuple[str, str]]:
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("_html") and isinstance(item, str):
                found.append((f"{path}.{key}", item))
            elif key.endswith("_html") and isinstance(item, dict):
                found += [(f"{path}.{key}.{k}", v) for k, v in item.items()]
            else:
                found += _html_fields(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _html_fields(item, f"{path}[{i}]")
    return found


def test_no_api_html_field_runs_the_corpus(client_for, commander, stored):
    client = client_for(commander)
    n = stored["incident"].number
    urls = [
        f"/api/v1/incidents/{n}/",
        f"/api/v1/timeline-entries/?incident={n}",
        f"/api/v1/contributing-factors/{stored['factor'].pk}/",
        f"/api/v1/postmortems/{stored['pm'].pk}/",
        f"/api/v1/action-items/{stored['item'].pk}/",
        f"/api/v1/policy-findings/{stored['finding'].pk}/",
    ]
    fields = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        fields += _html_fields(response.json(), url)
    assert len(fields) >= 6 + len(m.POSTMORTEM_SECTIONS)
    for where, html in fields:
        assert executable_content(html) == [], where
        assert CODE_SPAN_ESCAPED in html or not html, where


def test_exports_carry_the_corpus_only_as_inert_text(client_for, commander, stored):
    client = client_for(commander)
    n = stored["incident"].number
    markdown = client.get(reverse("incidents:postmortem_export_md", args=[n]))
    assert markdown["Content-Type"].startswith("text/markdown")
    exported = client.get(reverse("incidents:postmortem_export_json", args=[n]))
    assert exported["Content-Type"].startswith("application/json")
    for where, html in _html_fields(json.loads(exported.getvalue())):
        assert executable_content(html) == [], where
    for url in (reverse("incidents:action_item_export"), reverse("incidents:finding_export")):
        response = client.get(url)
        assert response["Content-Type"].startswith("text/csv"), url
        assert response["X-Content-Type-Options"] == "nosniff"


def test_email_html_shows_titles_escaped(commander, stored):
    incident = stored["incident"]
    incident.title = PAYLOADS[0]
    state = EventState.of(incident, event="declared")
    message = render_email("incident_event", event_email_context(state, incident), ["commander@example.com"])
    html = html_part(message)
    assert executable_content(html, script_prefix="\x00", allow_style=True) == []
    assert "&lt;script&gt;" in html
