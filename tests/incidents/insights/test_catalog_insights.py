"""Insights groups response times by the catalog: service, tier, team and tag, and filters by tier and tag;
the page takes the same queries whatever the grouping and however many incidents.

| inc | services (tier, team)              | teams | tags      | detect after |
| A   | checkout (1, Payments), web (2, -) | -     | db, deploy| 60 s         |
| B   | web (2, -)                         | Ops   | db        | 300 s        |
| C   | -                                  | -     | -         | 120 s        |
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.insights import metrics
from incidents.models import Tag
from tests.factories import IncidentFactory, ServiceFactory, TeamFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)


@pytest.fixture
def catalog(db):
    payments, ops = TeamFactory(name="Payments", slug="payments"), TeamFactory(name="Ops", slug="ops")
    checkout = ServiceFactory(name="Checkout", slug="checkout", tier=1, team=payments)
    web = ServiceFactory(name="Web", slug="web", tier=2)
    db_tag, deploy = Tag.objects.create(name="db"), Tag.objects.create(name="deploy")

    def incident(day: int, detect: int):
        start = START + dt.timedelta(days=day)
        return IncidentFactory(started_at=start, detected_at=start + dt.timedelta(seconds=detect))

    a, b, _c = incident(0, 60), incident(1, 300), incident(2, 120)
    a.services.set([checkout, web])
    a.tags.set([db_tag, deploy])
    b.services.set([web])
    b.teams.set([ops])
    b.tags.set([db_tag])


def _detect(user, **filters) -> dict[str, list]:
    figure = metrics.durations_by_service(user, metrics.MetricFilters(**filters))
    return {row[0]: row[2:] for row in figure.rows if row[1] == "Time to detect"}


def test_by_tier_an_incident_takes_its_most_critical_services_tier(catalog, viewer):
    assert _detect(viewer, group="tier") == {
        "Tier 1: customer-facing critical": [1, 0, 60, 60, 60],
        "Tier 2: customer-facing": [1, 0, 300, 300, 300],
        "(no tier)": [1, 0, 120, 120, 120],
    }


def test_by_team_an_incident_counts_once_for_its_own_team_else_its_services_owner(catalog, viewer):
    assert _detect(viewer, group="team") == {
        "Ops": [1, 0, 300, 300, 300],
        "Payments": [1, 0, 60, 60, 60],
        "(no team)": [1, 0, 120, 120, 120],
    }


def test_by_tag_and_by_service_an_incident_counts_for_each(catalog, viewer):
    assert _detect(viewer, group="tag") == {
        "db": [2, 0, 180, 180, 276],
        "deploy": [1, 0, 60, 60, 60],
        "(no tag)": [1, 0, 120, 120, 120],
    }
    assert _detect(viewer)["Web"] == [2, 0, 180, 180, 276]


def test_tier_and_tag_filters_narrow_every_figure(catalog, viewer):
    assert list(_detect(viewer, group="tag", tier=1)) == ["db", "deploy"]
    assert _detect(viewer, group="tier", tag="deploy") == {
        "Tier 1: customer-facing critical": [1, 0, 60, 60, 60]
    }


def test_the_page_offers_the_groupings_and_refuses_a_bad_one(client_for, catalog, viewer):
    client = client_for(viewer)
    page = client.get(reverse("incidents:insights"), {"start": "", "group": "tier"})
    assert page.status_code == 200
    assert "Response times by tier" in page.content.decode()
    assert client.get(reverse("incidents:insights"), {"start": "", "group": "colour"}).status_code == 400
    assert client.get(reverse("incidents:insights"), {"start": "", "tag": "nope"}).status_code == 400
    assert client.get(reverse("incidents:insights"), {"start": "", "tier": "9"}).status_code == 400
    body = client.get(reverse("incidents:insights_csv", args=["durations-service"]), {"group": "team"})
    rows = list(csv.reader(io.StringIO(body.getvalue().decode())))
    assert rows[0][0] == "Team"
    assert {r[0] for r in rows[1:]} == {"Ops", "Payments", "(no team)"}


def test_renaming_a_tag_shows_at_once_on_insights(client_for, catalog, viewer, admin_user):
    client = client_for(viewer)
    url = reverse("incidents:insights")
    assert "deploy" in client.get(url, {"start": "", "group": "tag"}).content.decode()
    from incidents.incident import directory

    directory.tag_rename(actor=admin_user, tag=Tag.objects.get(name="deploy"), name="release")
    assert "release" in client.get(url, {"start": "", "group": "tag"}).content.decode()


@pytest.mark.parametrize("group", ["service", "tier", "team", "tag"])
def test_each_grouping_takes_the_same_queries_for_many_incidents(client_for, viewer, group):
    client = client_for(viewer)
    url = reverse("incidents:insights") + f"?start=&group={group}"
    team = TeamFactory(name="Payments", slug="payments")
    tag = Tag.objects.create(name="db")
    IncidentFactory(started_at=START).services.add(ServiceFactory(tier=1, team=team))

    def count() -> int:
        from django.core.cache import cache

        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    one = count()
    for i in range(12):
        incident = IncidentFactory(started_at=START + dt.timedelta(hours=i))
        incident.services.add(ServiceFactory(tier=1 + i % 4, team=team if i % 2 else None))
        incident.tags.add(tag, Tag.objects.create(name=f"t{i}"))
    assert count() == one
