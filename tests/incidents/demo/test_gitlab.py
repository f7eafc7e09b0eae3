from __future__ import annotations

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from incidents.demo import gitlab as demo_gitlab
from incidents.demo import people as demo_people
from incidents.models import IncidentStatus

pytestmark = pytest.mark.django_db


def _all_rows() -> dict[str, list[dict]]:
    """Every row of every model (history tables included) in the accounts and incidents apps."""
    rows = {}
    for label in ("accounts", "incidents"):
        for model in apps.get_app_config(label).get_models():
            rows[model._meta.label] = sorted(
                model._default_manager.values(), key=lambda r: str(sorted(r.items()))
            )
    return rows


def test_load_demo_twice_gives_the_same_rows(capsys):
    call_command("load_demo")
    first = _all_rows()
    call_command("load_demo")
    second = _all_rows()
    assert first["incidents.Incident"], "the demo loaded no incident"
    assert first["incidents.TimelineEntry"]
    assert second == first


def test_demo_incident_has_the_public_facts():
    call_command("load_demo")
    incident = demo_gitlab.gitlab_incident()
    assert incident.severity == "SEV1"
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.impact_duration == 18 * 3600 + 47 * 60
    assert incident.time_to_detect == 60
    assert incident.time_to_acknowledge is None
    entries = list(incident.timeline_entries.in_order())
    before_start = [e for e in entries if e.occurred_at < incident.started_at]
    assert len(before_start) >= 4, "context entries before the start are part of the story"
    notes = [e.body for e in entries if "Contributing factor" in e.body]
    assert len(notes) == len(demo_gitlab.GITLAB_FACTORS)


def test_demo_users_sign_in_with_the_documented_password():
    call_command("load_demo")
    client = Client()
    response = client.post(
        reverse("accounts:login"),
        {"username": "commander@example.com", "password": demo_people.DEMO_PASSWORD},
    )
    assert response.status_code == 302
    page = client.get(reverse("incidents:detail", args=[demo_gitlab.gitlab_incident().number]))
    assert "18 h 47 min" in page.content.decode()


def test_demo_people_live_in_different_time_zones():
    call_command("load_demo")
    from accounts.models import User

    zones = set(User.objects.filter(email__endswith="@example.com").values_list("time_zone", flat=True))
    assert {"Pacific/Auckland", "Europe/Amsterdam", "America/Los_Angeles"} <= zones
    assert User.objects.get(email="admin@example.com").is_staff


def test_the_demo_texts_wrap_on_the_readers_screen_not_at_a_fixed_column():
    """The renderer keeps a single line break (nl2br): a hard-wrapped paragraph shows as ragged lines on a
    phone. Every line break of the demo's Markdown ends a paragraph or starts a list item or table row."""
    import re

    from incidents.demo import followup as demo_followup
    from incidents.demo import review as demo_review

    texts = {
        "summary": demo_gitlab.GITLAB_SUMMARY,
        "customer impact": demo_gitlab.GITLAB_CUSTOMER_IMPACT,
        "finding": demo_followup.GITLAB_FINDING_DESCRIPTION,
        **{f"postmortem {k}": v for k, v in demo_review.SECTIONS_V2.items()},
    }
    for name, text in texts.items():
        for line_break in re.finditer(r"\n(?!\n|$)", text.strip()):
            before, after = text.strip()[: line_break.start()], text.strip()[line_break.end() :]
            assert before.endswith("\n") or re.match(r"(- |\d+\. |\|)", after), (name, after[:40])
