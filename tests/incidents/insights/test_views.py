"""The insights page: figures with charts and tables, CSV downloads, filters, scope and query counts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.models import ActionItemStatus, FactorCategory, Visibility
from tests.factories import (
    ActionItemFactory,
    ContributingFactorFactory,
    IncidentFactory,
    PolicyFindingFactory,
    ServiceFactory,
    TimelineEntryFactory,
)

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _incident(i: int, service=None, **kw):
    inc = IncidentFactory(
        started_at=START + dt.timedelta(days=i),
        detected_at=START + dt.timedelta(days=i, minutes=5 + i),
        acknowledged_at=START + dt.timedelta(days=i, minutes=9 + i),
        mitigated_at=START + dt.timedelta(days=i, minutes=30),
        resolved_at=START + dt.timedelta(days=i, hours=2),
        detection_method="alert",
        severity=["SEV1", "SEV2", "SEV3", "SEV4"][i % 4],
        **kw,
    )
    if service:
        inc.services.add(service)
    ContributingFactorFactory(
        incident=inc,
        category=FactorCategory.TESTING_GAP,
        title="Restores never tested",
        missing_test_types=["unit"],
    )
    ActionItemFactory(
        incident=inc, status=ActionItemStatus.DONE, completed_at=START + dt.timedelta(days=i + 3)
    )
    TimelineEntryFactory(incident=inc)
    finding = PolicyFindingFactory(risk="high")
    finding.incidents.add(inc)
    return inc


def test_page_shows_every_figure_with_chart_table_csv_and_definitions(client_for, viewer):
    service = ServiceFactory(name="Checkout", slug="checkout")
    for i in range(3):
        _incident(i, service)
    response = client_for(viewer).get(reverse("incidents:insights") + "?start=")  # all time
    assert response.status_code == 200
    html = response.content.decode()
    for slug in ("incidents", "durations-trend", "durations-severity", "durations-service", "detection",
                 "factor-categories", "recurring-factors", "missing-tests", "action-items", "findings-open"):  # fmt: skip
        assert f'id="{slug}"' in html
        assert reverse("incidents:insights_csv", args=[slug]) in html
    assert html.count("<svg") >= 10
    assert "counted as unknown" in html
    assert "percentile_cont" in html
    assert "Restores never tested" in html
    # The Content-Security-Policy forbids inline styles and scripts: the charts use neither.
    assert "style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("incidents:insights"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_restricted_incidents_are_absent_for_those_outside_them(client_for, viewer, admin_user):
    for i in range(2):
        inc = IncidentFactory(started_at=START + dt.timedelta(days=i), visibility=Visibility.RESTRICTED)
        ContributingFactorFactory(
            incident=inc, title="Zebra vault misconfigured", category=FactorCategory.CONFIGURATION
        )
    _incident(5)
    url = reverse("incidents:insights") + "?start="  # all time
    viewer_html = client_for(viewer).get(url).content.decode()
    admin_html = client_for(admin_user).get(url).content.decode()
    assert "Zebra vault misconfigured" in admin_html
    assert "Zebra vault misconfigured" not in viewer_html
    viewer_csv = (
        client_for(viewer).get(reverse("incidents:insights_csv", args=["incidents"])).getvalue().decode()
    )
    assert list(csv.reader(io.StringIO(viewer_csv)))[1][-1] == "1"


def test_csv_download_has_numbers_in_seconds(client_for, viewer):
    _incident(0)
    response = client_for(viewer).get(reverse("incidents:insights_csv", args=["durations-severity"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert rows[0] == ["Severity", "Duration", "Measured", "Unknown", "Mean (seconds)", "Median (seconds)",
                       "90th percentile (seconds)"]  # fmt: skip
    assert ["SEV1", "Time to detect", "1", "0", "300", "300", "300"] in rows


def test_csv_neutralises_spreadsheet_formulas(client_for, viewer):
    for i in range(2):
        inc = IncidentFactory(started_at=START + dt.timedelta(days=i))
        ContributingFactorFactory(incident=inc, title='=HYPERLINK("http://evil")')
    body = (
        client_for(viewer)
        .get(reverse("incidents:insights_csv", args=["recurring-factors"]))
        .getvalue()
        .decode()
    )
    assert "'=HYPERLINK" in body


def test_csv_of_unknown_figure_is_404_and_bad_filters_400(client_for, viewer):
    client = client_for(viewer)
    assert client.get(reverse("incidents:insights_csv", args=["nope"])).status_code == 404
    bad = client.get(
        reverse("incidents:insights_csv", args=["incidents"]) + "?start=2026-05-01&end=2026-04-01"
    )
    assert bad.status_code == 400
    assert "end" in bad.content.decode()


def test_bad_filters_explain_themselves(client_for, viewer):
    response = client_for(viewer).get(reverse("incidents:insights") + "?start=2026-05-01&end=2026-05-01")
    assert response.status_code == 400
    assert "must be after the start date" in response.content.decode()
    response = client_for(viewer).get(reverse("incidents:insights") + "?severity=SEV9")
    assert response.status_code == 400


def test_filters_narrow_the_figures(client_for, viewer):
    checkout = ServiceFactory(name="Checkout", slug="checkout")
    _incident(0, checkout)
    _incident(1)
    client = client_for(viewer)
    url = reverse("incidents:insights_csv", args=["incidents"])
    rows = list(csv.reader(io.StringIO(client.get(url + "?service=checkout").getvalue().decode())))
    assert sum(int(r[-1]) for r in rows[1:]) == 1
    rows = list(
        csv.reader(
            io.StringIO(client.get(url + "?start=2026-03-03&end=2026-03-04&period=week").getvalue().decode())
        )
    )
    assert rows[0][0] == "Week"
    assert sum(int(r[-1]) for r in rows[1:]) == 1


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_data(client_for, viewer, django_assert_max_num_queries):
    checkout = ServiceFactory(name="Checkout", slug="checkout")
    client = client_for(viewer)
    url = reverse("incidents:insights")
    _incident(0, checkout)
    one = _count_queries(client, url)
    for i in range(1, 40):
        _incident(i, checkout if i % 2 else ServiceFactory())
    many = _count_queries(client, url)
    assert many == one
    with django_assert_max_num_queries(40):
        client.get(url)
