"""A policy finding seen again in a restricted incident (issue 14): its history row carries the incident
as a marker, not in its text, and names it only to those who may see it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.followup.services.findings import policy_finding_seen_again
from incidents.history import HIDDEN_INCIDENT, history_for
from incidents.models import FindingStatus, Visibility
from tests.factories import IncidentFactory, PolicyFindingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret(db):
    insider = UserFactory(email="insider@example.com")
    inc = IncidentFactory(
        number=4242, title="Secret merger outage", visibility=Visibility.RESTRICTED, commander=insider
    )
    inc.participants.add(insider)
    return inc


@pytest.fixture
def finding(incident):
    finding = PolicyFindingFactory(title="One person can deploy alone")
    finding.incidents.add(incident)
    return finding


def _pages(client, finding) -> list[str]:
    return [
        client.get(reverse(name, args=[finding.pk])).content.decode()
        for name in ("incidents:finding_detail", "incidents:finding_history")
    ]


@pytest.mark.parametrize("status", [FindingStatus.OPEN, FindingStatus.VERIFIED])
def test_seen_again_in_a_hidden_incident_is_named_only_to_those_who_may_see_it(
    client_for, admin_user, responder, incident, secret, finding, status
):
    finding.status = status
    finding.save()
    policy_finding_seen_again(finding=finding, incident=secret, actor=admin_user)
    record = finding.history.order_by("-history_id").first()
    assert record.seen_in_incident_id == secret.pk  # the marker, structured
    assert "4242" not in (record.history_change_reason or "")  # the text never names it
    for page in _pages(client_for(responder), finding):
        assert f"Seen in {HIDDEN_INCIDENT}." in page
        assert "INC-4242" not in page
        assert "Secret merger outage" not in page
    for page in _pages(client_for(admin_user), finding):
        assert "Seen in INC-4242." in page
    assert history_for(finding, viewer=responder)[0].seen_in == HIDDEN_INCIDENT
    assert history_for(finding)[0].seen_in == HIDDEN_INCIDENT  # no reader: hidden
    assert history_for(finding, viewer=secret.commander)[0].seen_in == "INC-4242"


def test_seen_again_in_an_incident_everyone_may_see_names_it(
    client_for, admin_user, responder, team, finding
):
    other = IncidentFactory(number=77)
    other.teams.add(team)
    policy_finding_seen_again(finding=finding, incident=other, actor=admin_user)
    for page in _pages(client_for(responder), finding):
        assert "Seen in INC-77." in page
