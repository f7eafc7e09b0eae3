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
