"""Insights shows the blameless check in use: findings raised, reworded and dismissed per month, and the
reasons given for keeping a wording."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from incidents.insights import blameless as blameless_insights
from incidents.insights.metrics import MetricFilters
from incidents.review.services import blameless as blameless_findings
from incidents.review.services import postmortems as services_postmortems
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(incident, responder, team):
    """March: two findings raised; April: one reworded, one dismissed with a reason."""
    pm = services_postmortems.postmortem_start(incident=incident, actor=responder)
    pm.sections = {**pm.sections, "trigger": "Dana forgot to renew the certificate. It was human error."}
    pm.save()
    blameless_findings.sync(pm, now=dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC))
    pm.sections = {**pm.sections, "trigger": "Renewal was manual. It was human error."}
    pm.save()
    blameless_findings.sync(pm, now=dt.datetime(2026, 4, 2, 12, tzinfo=dt.UTC))
    d = blameless_findings.dismiss(
        postmortem=pm,
        actor=responder,
        section="trigger",
        rule="human_error",
        text="human error",
        reason="Quoting the vendor's report.",
    )
    pm.blameless_records.filter(rule="human_error").update(resolved_at=dt.datetime(2026, 4, 5, tzinfo=dt.UTC))
    d.created_at = dt.datetime(2026, 4, 5, tzinfo=dt.UTC)
    d.save()
    return pm


def test_findings_raised_reworded_and_dismissed_per_month(history, responder):
    figure = blameless_insights.findings_over_time(responder, MetricFilters())
    assert figure.columns == ["Month", "Raised", "Reworded", "Dismissed", "Published over"]
    assert figure.rows == [["2026-03", 2, 0, 0, 0], ["2026-04", 0, 1, 1, 0]]


def test_the_reasons_for_keeping_a_wording_are_listed(history, responder):
    figure = blameless_insights.dismissal_reasons(responder, MetricFilters())
    (row,) = figure.rows
    assert row[2:5] == ['"Human error" as the cause', "human error", "Quoting the vendor's report."]


def test_someone_who_cannot_see_the_incident_sees_nothing(history, db):
    outsider = UserFactory(email="outsider@example.com")
    assert blameless_insights.findings_over_time(outsider, MetricFilters()).rows == []
    assert blameless_insights.dismissal_reasons(outsider, MetricFilters()).rows == []


def test_the_insights_page_and_csv_show_them(history, client_for, responder):
    page = client_for(responder).get(reverse("incidents:insights")).content.decode()
    assert "Blameless findings per month" in page
    assert "Quoting the vendor&#x27;s report." in page
    csv = client_for(responder).get(reverse("incidents:insights_csv", args=["blameless"])).getvalue().decode()
    assert "2026-04,0,1,1,0" in csv.replace("\r", "")
