from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from incidents.models import Incident, IncidentStatus, Visibility
from tests.factories import (
    IncidentFactory,
    MembershipFactory,
    ServiceFactory,
    TimelineEntryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LIST_BUDGET = 12
DETAIL_BUDGET = 18  # 16 since the attachments card (one query for its files), 17 since the affected services card (one for their dependencies, however many), 18 since the "Declared" milestone (one for its row)


def _edit_data(incident: Incident, **overrides) -> dict:
    local = timezone.localtime  # the test client's viewer is in UTC

    def fmt(value):
        return local(value).strftime("%Y-%m-%dT%H:%M") if value else ""

    data = {
        "title": incident.title,
        "summary": incident.summary,
        "customer_impact": incident.customer_impact,
        "detection_method": incident.detection_method,
        "visibility": incident.visibility,
        "started_at": fmt(incident.started_at),
        "detected_at": fmt(incident.detected_at),
        "acknowledged_at": fmt(incident.acknowledged_at),
        "mitigated_at": fmt(incident.mitigated_at),
        "resolved_at": fmt(incident.resolved_at),
        "chat_channel_url": "",
        "dashboard_url": "",
        "change_url": "",
        "feature_flag": "",
        "version": incident.version,
    }
    data.update(overrides)
    return data


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


# --- Edit form --------------------------------------------------------------------------------------------
def test_resolution_before_start_in_the_edit_form_is_a_field_error_not_a_500(client_for, commander, incident):
    before = (incident.started_at - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(commander).post(
        reverse("incidents:edit", args=[incident.number]), _edit_data(incident, resolved_at=before)
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "resolved_at" in form.errors
    assert "before the start" in form.errors["resolved_at"][0]
    incident.refresh_from_db()
    assert incident.resolved_at is None


def test_a_nonsense_time_in_the_edit_form_is_a_field_error(client_for, commander, incident):
    response = client_for(commander).post(
        reverse("incidents:edit", args=[incident.number]), _edit_data(incident, detected_at="yesterday-ish")
    )
    assert response.status_code == 200
    assert "detected_at" in response.context["form"].errors


def test_a_time_that_does_not_exist_in_the_users_zone_is_refused(client_for, commander, incident):
    commander.time_zone = "Europe/Amsterdam"
    commander.save()
    incident.started_at = incident.started_at.replace(year=2024, month=3, day=30)
    incident.save()
    # 02:30 on 31 March 2024 does not exist in Amsterdam: clocks jump from 02:00 to 03:00.
    response = client_for(commander).post(
        reverse("incidents:edit", args=[incident.number]),
        _edit_data(incident, started_at="2024-03-30T09:00", detected_at="2024-03-31T02:30"),
    )
    assert response.status_code == 200
    assert "detected_at" in response.context["form"].errors


def test_editing_milestones_in_the_users_zone_stores_utc(client_for, commander, incident):
    commander.time_zone = "Pacific/Auckland"
    commander.save()
    # A resolution time is edited on a resolved incident (an open one gets it only from Resolve).
    incident.status, incident.resolved_at = "resolved", incident.started_at + timedelta(hours=1)
    incident.save()
    response = client_for(commander).post(
        reverse("incidents:edit", args=[incident.number]),
        _edit_data(incident, started_at="2017-02-01T12:27", resolved_at="2017-02-02T07:14"),
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.started_at.isoformat() == "2017-01-31T23:27:00+00:00"
    assert incident.impact_duration == 18 * 3600 + 47 * 60


def test_a_stale_edit_gets_409_with_both_versions_then_a_reviewed_save_goes_through(
    client_for, commander, incident
):
    url = reverse("incidents:edit", args=[incident.number])
    mine = _edit_data(incident, summary="My careful summary of the outage")
    # Someone else saves first.
    other = client_for(UserFactory(is_staff=True))
    assert other.post(url, _edit_data(incident, title="Their new title")).status_code == 302

    client = client_for(commander)
    conflict = client.post(url, mine)
    assert conflict.status_code == 409
    html = conflict.content.decode()
    assert "My careful summary of the outage" in html  # the user's text is still in the form
    assert "Their new title" in html  # the current value is shown beside it
    assert "changed by someone else" in html
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    assert int(version) == Incident.objects.get(pk=incident.pk).version

    # The user reviews and saves again: the re-posted form carries the current version.
    reviewed = {**mine, "title": "Their new title", "version": version}
    saved = client.post(url, reviewed)
    assert saved.status_code == 302
    incident.refresh_from_db()
    assert incident.summary == "My careful summary of the outage"
    assert incident.title == "Their new title"


def test_a_third_change_after_the_conflict_is_caught_again(client_for, commander, incident, admin_user):
    url = reverse("incidents:edit", args=[incident.number])
    client, other = client_for(commander), client_for(admin_user)
    other.post(url, _edit_data(incident, title="Second"))
    conflict = client.post(url, _edit_data(incident, title="Mine"))
    version = re.search(r'name="version" value="(\d+)"', conflict.content.decode()).group(1)
    incident.refresh_from_db()
    other.post(url, _edit_data(incident, title="Third"))
    again = client.post(url, _edit_data(incident, title="Mine", version=version))
    assert again.status_code == 409
    incident.refresh_from_db()
    assert incident.title == "Third"


# --- Declare, note, resolve through the pages ------------------------------------------------------------
def test_declare_add_note_and_resolve_through_the_pages(client_for, responder):
    client = client_for(responder)
    assert client.get(reverse("incidents:declare")).status_code == 200
    response = client.post(reverse("incidents:declare"), {"title": "Search is slow", "severity": "SEV3"})
    assert response.status_code == 302, response.context["form"].errors
    incident = Incident.objects.get(title="Search is slow")
    client.post(
        reverse("incidents:timeline_quick_add", args=[incident.number]),
        {"body": "Restarted", "kind": "action"},
    )
    client.post(reverse("incidents:status", args=[incident.number]), {"status": IncidentStatus.RESOLVED})
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    page = client.get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert "Restarted" in page
    assert "Incident resolved" in page


def test_declare_without_a_title_shows_a_field_error(client_for, responder):
    response = client_for(responder).post(reverse("incidents:declare"), {"title": "", "severity": "SEV3"})
    assert response.status_code == 200
    assert "title" in response.context["form"].errors
    assert not Incident.objects.exists()


def test_a_refused_status_change_is_explained(client_for, commander, incident):
    incident.status = IncidentStatus.CLOSED
    incident.save()
    response = client_for(commander).post(
        reverse("incidents:status", args=[incident.number]),
        {"status": IncidentStatus.MONITORING},
        follow=True,
    )
    assert "cannot move to monitoring" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED


def test_reopen_without_a_reason_is_refused(client_for, commander, incident):
    incident.status = IncidentStatus.RESOLVED
    incident.resolved_at = timezone.now()
    incident.save()
    response = client_for(commander).post(
        reverse("incidents:reopen", args=[incident.number]), {"reason": ""}, follow=True
    )
    assert "Say why" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED


# --- List filters -----------------------------------------------------------------------------------------
def test_list_filters_by_status_severity_service_and_dates(client_for, admin_user):
    db = ServiceFactory(name="Database", slug="db")
    old = IncidentFactory(
        title="Old database outage", severity="SEV1", started_at=timezone.now() - timedelta(days=40)
    )
    old.services.add(db)
    IncidentFactory(title="Fresh web glitch", severity="SEV4")
    client = client_for(admin_user)

    def titles(**params):
        page = client.get(reverse("incidents:list"), params)
        return {i.title for i in page.context["page"].object_list}

    assert titles(severity="SEV1") == {"Old database outage"}
    assert titles(service="db") == {"Old database outage"}
    assert titles(started_from=(timezone.now() - timedelta(days=2)).date().isoformat()) == {
        "Fresh web glitch"
    }
    assert titles(started_to=(timezone.now() - timedelta(days=30)).date().isoformat()) == {
        "Old database outage"
    }
    assert titles(status="resolved") == set()


def test_list_paginates(client_for, admin_user):
    for _ in range(30):
        IncidentFactory()
    client = client_for(admin_user)
    first = client.get(reverse("incidents:list"))
    second = client.get(reverse("incidents:list"), {"page": 2})
    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 5
    assert "Page 1 of 2 · 30 incidents" in first.content.decode()


def test_the_list_counts_one_incident_in_the_singular(client_for, admin_user):
    IncidentFactory()
    assert (
        "Page 1 of 1 · 1 incident<" in client_for(admin_user).get(reverse("incidents:list")).content.decode()
    )


# --- Query counts: the page costs the same for 1 row as for many ---------------------------------------------
def _visible_incident(team, i: int) -> Incident:
    commander = UserFactory()
    MembershipFactory(user=commander, team=team, role=Membership.Role.RESPONDER)
    inc = IncidentFactory(commander=commander, declared_by=commander)
    inc.services.add(ServiceFactory())
    inc.teams.add(team)
    return inc


def test_list_page_query_count_does_not_grow_with_incidents(
    client_for, responder, team, django_assert_max_num_queries
):
    client = client_for(responder)
    url = reverse("incidents:list")
    _visible_incident(team, 0)
    one = _queries(client, url)
    for i in range(1, 50):
        inc = _visible_incident(team, i)
        if i % 5 == 0:  # restricted ones this responder takes part in are listed too
            inc.visibility = Visibility.RESTRICTED
            inc.save()
            inc.participants.add(responder)
    with django_assert_max_num_queries(LIST_BUDGET):
        response = client.get(url, {"page": 1})
    assert len(response.context["page"].object_list) == 25
    assert _queries(client, url) == one


def test_dashboard_query_count_does_not_grow_with_incidents(
    client_for, responder, team, django_assert_max_num_queries
):
    client = client_for(responder)
    url = reverse("incidents:dashboard")
    _visible_incident(team, 0)
    one = _queries(client, url)
    for i in range(1, 50):
        _visible_incident(team, i)
    with django_assert_max_num_queries(LIST_BUDGET):
        client.get(url)
    assert _queries(client, url) == one


def test_incident_page_query_count_does_not_grow_with_timeline_entries(
    client_for, commander, incident, django_assert_max_num_queries
):
    incident.services.add(ServiceFactory(), ServiceFactory())
    client = client_for(commander)
    url = reverse("incidents:detail", args=[incident.number])
    TimelineEntryFactory(incident=incident, author=commander)
    one = _queries(client, url)
    authors = [UserFactory() for _ in range(10)]
    for i in range(499):
        TimelineEntryFactory(incident=incident, author=authors[i % 10], body=f"Step {i} with `code`")
    with django_assert_max_num_queries(DETAIL_BUDGET):
        response = client.get(url)
    # The page renders the newest TIMELINE_WINDOW entries; older ones load on demand (issue 3).
    from incidents.timeline.selectors import TIMELINE_WINDOW

    assert response.content.decode().count('class="when"') == min(500, TIMELINE_WINDOW)
    assert "Load older entries" in response.content.decode()
    assert _queries(client, url) == one


def test_the_incident_page_states_each_duration_definition_and_why_one_is_unknown_or_zero(
    client_for, commander
):
    start = datetime(2017, 1, 31, 23, 27, tzinfo=UTC)
    resolved = IncidentFactory(
        started_at=start,
        detected_at=start + timedelta(hours=1),
        resolved_at=start + timedelta(minutes=20),
        status="resolved",
    )
    page = client_for(commander).get(reverse("incidents:detail", args=[resolved.number])).content.decode()
    assert "Time to resolve: detected → resolved (0 if resolved before detection)." in page
    assert "Impact duration: started → resolved." in page
    assert "(resolved before detection)" in page
    assert "-40 min" not in page
    unknown = IncidentFactory(
        started_at=start, resolved_at=start + timedelta(hours=18, minutes=47), status="resolved"
    )
    page = client_for(commander).get(reverse("incidents:detail", args=[unknown.number])).content.decode()
    assert "(no detection time recorded)" in page
    assert "18 h 47 min" in page


def test_saving_the_edit_form_unchanged_keeps_every_milestone_to_the_second(client_for, commander, incident):
    """The form shows minutes; a milestone stored with seconds (API, alerts, backfill) is not cut to the
    minute by a save that changes only the title, and no "Milestones edited" row appears."""
    start = datetime(2026, 11, 1, 4, 10, 30, tzinfo=UTC)
    incident.started_at = start
    incident.detected_at = start + timedelta(minutes=49, seconds=20)
    incident.acknowledged_at = datetime(2026, 11, 1, 5, 20, 0, tzinfo=UTC)
    incident.status, incident.resolved_at = "resolved", datetime(2026, 11, 2, 4, 10, 30, tzinfo=UTC)
    incident.mitigated_at, incident.mitigated_at_auto = incident.resolved_at, True
    incident.save()
    before = Incident.objects.get(pk=incident.pk)
    response = client_for(commander).post(
        reverse("incidents:edit", args=[incident.number]), _edit_data(before, title="A clearer title")
    )
    assert response.status_code == 302
    after = Incident.objects.get(pk=incident.pk)
    assert after.title == "A clearer title"
    for name in ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at"):
        assert getattr(after, name) == getattr(before, name), name
    assert after.time_to_detect == 49 * 60 + 20
    assert after.mitigated_at_auto is True
    assert not after.timeline_entries.filter(body__startswith="Milestones edited").exists()


def test_a_milestone_moved_in_the_edit_form_takes_the_minute_typed(client_for, commander, incident):
    incident.started_at = datetime(2026, 11, 1, 4, 10, 30, tzinfo=UTC)
    incident.save()
    before = Incident.objects.get(pk=incident.pk)
    response = client_for(commander).post(
        reverse("incidents:edit", args=[incident.number]), _edit_data(before, started_at="2026-11-01T04:05")
    )
    assert response.status_code == 302
    assert Incident.objects.get(pk=incident.pk).started_at == datetime(2026, 11, 1, 4, 5, tzinfo=UTC)
