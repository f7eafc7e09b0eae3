"""Markdown rendered once: the sanitised HTML of every Markdown field is stored on save, pages and the API
read it without rendering, and `manage.py rerender_markdown` renders it again after the renderer changed."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from incidents import markdown
from incidents.api import fields
from incidents.models import ActionItem, ContributingFactor, Incident, PolicyFinding, Postmortem
from tests.factories import (
    ActionItemFactory,
    ContributingFactorFactory,
    IncidentFactory,
    PolicyFindingFactory,
)

pytestmark = pytest.mark.django_db


def test_each_markdown_field_stores_its_sanitised_html_on_save(incident):
    incident.summary = "Replica **lagged** <script>alert(1)</script>"
    incident.customer_impact = "Checkout *slow*"
    incident.save()
    factor = ContributingFactorFactory(incident=incident, description="No `alert` on lag")
    item = ActionItemFactory(incident=incident, description="- add the alert")
    finding = PolicyFindingFactory(description="[runbook](javascript:alert(1))")
    pm = Postmortem.objects.create(incident=incident, sections={"trigger": "A **migration**"})
    incident.refresh_from_db()
    assert "<strong>lagged</strong>" in incident.summary_html
    assert "<script>" not in incident.summary_html
    assert "<em>slow</em>" in incident.customer_impact_html
    assert "<code>alert</code>" in ContributingFactor.objects.get(pk=factor.pk).description_html
    assert "<li>add the alert</li>" in ActionItem.objects.get(pk=item.pk).description_html
    assert "javascript:" not in PolicyFinding.objects.get(pk=finding.pk).description_html
    assert Postmortem.objects.get(pk=pm.pk).sections_html == {
        "trigger": "<p>A <strong>migration</strong></p>"
    }


def test_a_save_of_some_fields_renders_theirs(incident):
    incident.summary = "first"
    incident.save()
    incident.summary = "now **bold**"
    incident.save(update_fields=["summary"])
    assert "<strong>bold</strong>" in Incident.objects.get(pk=incident.pk).summary_html


def test_pages_and_the_api_list_render_no_markdown(client_for, api_for, commander, monkeypatch):
    for i in range(3):
        IncidentFactory(title=f"Disk {i}", summary=f"Disk **{i}** full")

    def refuse(text: str) -> str:
        raise AssertionError(f"rendered on read: {text!r}")

    monkeypatch.setattr(fields, "render_markdown", refuse)
    monkeypatch.setattr(markdown, "render_markdown", refuse)
    listed = api_for(commander).get("/api/v1/incidents/").json()["results"]
    assert {r["summary_html"] for r in listed} == {f"<p>Disk <strong>{i}</strong> full</p>" for i in range(3)}
    number = Incident.objects.get(title="Disk 1").number
    page = client_for(commander).get(reverse("incidents:detail", args=[number])).content.decode()
    assert "<p>Disk <strong>1</strong> full</p>" in page


def test_rerender_markdown_renders_the_stored_html_again(incident):
    incident.summary = "A **bold** claim"
    incident.save()
    Incident.objects.filter(pk=incident.pk).update(summary_html="<p>stale</p>")
    call_command("rerender_markdown", verbosity=0)
    assert Incident.objects.get(pk=incident.pk).summary_html == "<p>A <strong>bold</strong> claim</p>"


def test_one_parser_is_reused_and_memoised():
    first = markdown.render_markdown("Same *text*")
    parser = markdown._parser()
    assert markdown.render_markdown("Same *text*") == first
    assert markdown._parser() is parser
    assert str(markdown.render_markdown("- a\n- b")) == "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"
