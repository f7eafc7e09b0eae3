"""The demo GitLab.com incident's review: complete, approved, published, blameless."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from incidents.demo import gitlab as demo
from incidents.models import FindingArea, PostmortemStatus, ReviewDecision
from incidents.review import blameless

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded():
    call_command("load_demo")
    return demo.gitlab_incident()


def test_demo_postmortem_is_complete_approved_and_published(loaded):
    pm = loaded.postmortem
    assert pm.status == PostmortemStatus.PUBLISHED
    assert all(pm.sections[k].strip() for k, _ in demo_sections())
    assert set(pm.reviews.values_list("decision", flat=True)) == {ReviewDecision.APPROVED}
    assert pm.versions.filter(is_published=True, number=pm.version).exists()
    assert pm.versions.count() >= 3  # template, first draft, revision after the requested changes


def demo_sections():
    from incidents.models import POSTMORTEM_SECTIONS

    return POSTMORTEM_SECTIONS


def test_demo_factors_cover_at_least_four_categories_with_evidence_and_items(loaded):
    factors = list(loaded.factors.all())
    assert len({f.category for f in factors}) >= 4
    assert all(f.evidence_entries.exists() for f in factors)
    assert all(f.action_items.exists() for f in factors)
    testing = next(f for f in factors if f.category == "testing_gap")
    assert set(testing.missing_test_types) == {"regression", "integration"}


def test_demo_single_person_answer_links_the_incidents_access_finding(loaded):
    from incidents.models import PolicyFinding

    finding = loaded.postmortem.access_finding
    assert finding.area == FindingArea.ACCESS_CONTROL
    assert loaded in finding.incidents.all()
    assert PolicyFinding.objects.filter(incidents=loaded, area=FindingArea.ACCESS_CONTROL).count() == 1


def test_demo_text_passes_the_blameless_check(loaded):
    findings = blameless.check_sections(loaded.postmortem.sections, names=blameless.system_names())
    assert findings == []


def test_demo_postmortem_page_reads_for_a_viewer(loaded):
    client = Client()
    client.force_login(
        User.objects.get(email="viewer@example.com"), backend="django.contrib.auth.backends.ModelBackend"
    )
    page = client.get(reverse("incidents:postmortem", args=[loaded.number])).content.decode()
    assert "Published" in page
    assert "Shell prompts did not show host or environment" in page
    assert "18 h 47 min" in page


def test_loading_the_demo_emails_and_posts_to_no_one(mailoutbox, django_capture_on_commit_callbacks):
    from incidents.models import Notification, WebhookDelivery

    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo")
    assert Notification.objects.count() == 0
    assert WebhookDelivery.objects.count() == 0
    assert mailoutbox == []


def test_the_demo_review_is_dated_in_february_2017_not_on_the_day_it_was_loaded(loaded):
    pm = loaded.postmortem
    assert pm.published_at.isoformat() == "2017-02-10T12:00:00+00:00"
    assert [r.decided_at.date().isoformat() for r in pm.reviews.order_by("decided_at")] == [
        "2017-02-09",
        "2017-02-09",
    ]
    assert {v.created_at.year for v in pm.versions.all()} == {2017}
    # Every row of the demo's timeline tells 2017 (declaration, factors, review), none the load day.
    assert {e.occurred_at.year for e in loaded.timeline_entries.all()} == {2017}
    assert {f.created_at.date().isoformat() for f in loaded.factors.all()} == {"2017-02-08"}
    rows = loaded.timeline_entries.filter(body__startswith="Postmortem published")
    assert [e.occurred_at.date().isoformat() for e in rows] == ["2017-02-10"]
    client = Client()
    client.force_login(
        User.objects.get(email="viewer@example.com"), backend="django.contrib.auth.backends.ModelBackend"
    )
    page = client.get(reverse("incidents:postmortem", args=[loaded.number])).content.decode()
    published = page[page.index("published <") :][:200]
    assert "2017-02-10" in published, published
