"""System timeline entries quote names and titles people typed as text: never a link, image or markup."""

from __future__ import annotations

import pytest

from incidents.incident.services.declare import incident_declare
from incidents.incident.services.edits import incident_assign_roles
from incidents.markdown import markdown_text, render_markdown
from incidents.models import EntrySource, FactorCategory
from incidents.review.services.factors import factor_create
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

HOSTILE = "[x](http://evil.example) ![](http://img.example/p.png) <b>bold</b> `code` *em*\n# heading"
SHOWN = "[x](http://evil.example) ![](http://img.example/p.png) <b>bold</b> `code` *em* # heading"


def _system_html(incident, startswith: str) -> str:
    entry = incident.timeline_entries.get(source=EntrySource.SYSTEM, body__startswith=startswith)
    return str(entry.body_html)


def _assert_text(html: str) -> None:
    for tag in ("<a", "<img", "<b>", "<code>", "<em>", "<h1>"):
        assert tag not in html
    assert SHOWN.replace("<", "&lt;").replace(">", "&gt;") in html


def test_markdown_text_renders_as_exactly_its_text():
    html = str(render_markdown(markdown_text(HOSTILE)))
    assert html == f"<p>{SHOWN.replace('<', '&lt;').replace('>', '&gt;')}</p>"


def test_a_hostile_title_shows_as_text_in_the_declared_and_factor_entries(commander):
    incident = incident_declare(actor=commander, title=HOSTILE.replace("\n", " "), severity="SEV2")
    _assert_text(_system_html(incident, "Incident declared"))
    factor_create(incident=incident, actor=commander, category=FactorCategory.PROCESS, title=HOSTILE)
    _assert_text(_system_html(incident, "Recorded a contributing factor"))


def test_a_hostile_display_name_shows_as_text_in_a_role_entry(commander, team):
    incident = incident_declare(actor=commander, title="Database down", severity="SEV2")
    scribe = UserFactory(display_name="[x](http://evil.example) ![](http://img.example/p.png)")
    MembershipFactory(user=scribe, team=team)
    incident_assign_roles(incident=incident, actor=commander, scribe=scribe)
    html = _system_html(incident, "Scribe")
    for tag in ("<a", "<img"):
        assert tag not in html
    assert "[x](http://evil.example) ![](http://img.example/p.png)" in html
