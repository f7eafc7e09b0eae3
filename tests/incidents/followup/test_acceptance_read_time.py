"""A risk acceptance is judged by its end date when read, not when the hourly task runs."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from incidents.models import FindingStatus
from tests.factories import PolicyFindingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lapsed(admin_user):
    return PolicyFindingFactory(
        owner=admin_user, status=FindingStatus.RISK_ACCEPTED, risk_accepted_until=dt.date(2026, 6, 17)
    )


def test_an_acceptance_past_its_end_date_reads_open_in_the_api_and_on_the_page(
    api_for, client_for, admin_user, lapsed
):
    with time_machine.travel(dt.datetime(2026, 6, 17, 12, tzinfo=dt.UTC), tick=False):
        assert (
            api_for(admin_user).get(f"/api/v1/policy-findings/{lapsed.pk}/").json()["status"]
            == "risk_accepted"
        )
    with time_machine.travel(dt.datetime(2026, 6, 18, 12, tzinfo=dt.UTC), tick=False):
        body = api_for(admin_user).get(f"/api/v1/policy-findings/{lapsed.pk}/").json()
        assert (body["status"], body["risk_acceptance_ended"]) == ("open", True)
        page = client_for(admin_user).get(reverse("incidents:finding_detail", args=[lapsed.pk]))
        assert "Open (risk acceptance ended 2026-06-17)" in page.content.decode()
        register = client_for(admin_user).get(reverse("incidents:finding_list"))
        assert "Open (risk acceptance ended 2026-06-17)" in register.content.decode()
    lapsed.refresh_from_db()
    assert lapsed.status == FindingStatus.RISK_ACCEPTED  # nothing was written by reading


# 12:00 UTC on 30 November is already 1 December in Auckland: an acceptance "until 30 November" has ended
# for an Auckland owner and not yet for a UTC owner.
NOON_UTC = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)


@pytest.fixture
def two_acceptances(admin_user):
    from tests.factories import UserFactory

    auckland = UserFactory(time_zone="Pacific/Auckland")
    utc = UserFactory(time_zone="UTC")
    ended = PolicyFindingFactory(
        owner=auckland, status=FindingStatus.RISK_ACCEPTED, risk_accepted_until=dt.date(2026, 11, 30),
        due_date=dt.date(2026, 11, 1), risk="high",
    )  # fmt: skip
    running = PolicyFindingFactory(
        owner=utc, status=FindingStatus.RISK_ACCEPTED, risk_accepted_until=dt.date(2026, 11, 30),
        due_date=dt.date(2026, 11, 1), risk="high",
    )  # fmt: skip
    return ended, running


@time_machine.travel(NOON_UTC, tick=False)
def test_database_filters_and_counts_judge_an_ended_acceptance_open_by_its_owners_date(
    api_for, client_for, admin_user, two_acceptances
):
    from incidents.followup.selectors import finding_counts_for, finding_list_for
    from incidents.insights.metrics.base import MetricFilters
    from incidents.insights.metrics.followup_figures import findings_open
    from incidents.notify.selectors import reminder_finding_rows

    ended, running = two_acceptances
    api = api_for(admin_user)

    def ids(query: str) -> set[int]:
        return {f["id"] for f in api.get(f"/api/v1/policy-findings/?{query}").json()["results"]}

    assert ids("status=open") == {ended.pk}
    assert ids("status=risk_accepted") == {running.pk}
    assert {f.pk for f in finding_list_for(admin_user, status="open")} == {ended.pk}
    assert {f.pk for f in finding_list_for(admin_user, status="risk_accepted")} == {running.pk}
    assert {f.pk for f in finding_list_for(admin_user, overdue=True)} == {ended.pk}
    counts = finding_counts_for(admin_user)
    assert (counts["status_open"], counts["status_risk_accepted"], counts["risk_high"], counts["overdue"]) == (
        1, 1, 1, 1,
    )  # fmt: skip
    register = client_for(admin_user).get(reverse("incidents:finding_list") + "?status=open").content.decode()
    assert ended.title in register
    assert running.title not in register
    figure = findings_open(admin_user, MetricFilters())
    assert sum(row[-1] for row in figure.rows) == 1
    assert [r["id"] for r in reminder_finding_rows(due_on_or_before=dt.date(2026, 11, 30))] == [ended.pk]
    for finding in (ended, running):
        finding.refresh_from_db()
        assert finding.status == FindingStatus.RISK_ACCEPTED  # reading wrote nothing
