"""The finding pages refuse as the API does: 403 for who sees the finding but may not do this, never a 404
that hides the refusal or a redirect that reads like success (found by the capability matrix)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.models import FindingStatus
from tests.factories import PolicyFindingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def finding(incident, team, commander):
    found = PolicyFindingFactory(owner=commander, team=team)
    found.incidents.add(incident)
    return found


def test_a_responder_who_neither_owns_nor_verifies_is_refused_the_move_with_403(
    client_for, responder, finding
):
    response = client_for(responder).post(
        reverse("incidents:finding_transition", args=[finding.pk]), {"status": "remediating", "version": 1}
    )
    assert response.status_code == 403
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN


def test_the_finding_page_offers_the_move_only_to_who_may_make_it(client_for, responder, commander, finding):
    detail = reverse("incidents:finding_detail", args=[finding.pk])
    move = reverse("incidents:finding_transition", args=[finding.pk])
    assert move not in client_for(responder).get(detail).content.decode()
    assert move in client_for(commander).get(detail).content.decode()


def test_a_viewer_is_refused_marking_a_finding_seen_again_with_403(client_for, viewer, incident, finding):
    response = client_for(viewer).post(
        reverse("incidents:finding_seen_again", args=[finding.pk]), {"incident": incident.number}
    )
    assert response.status_code == 403


def test_a_lead_of_another_team_is_refused_accepting_the_risk_with_403(client_for, finding, team):
    from accounts.models import Membership
    from tests.factories import MembershipFactory, TeamFactory, UserFactory

    other_lead = UserFactory()
    MembershipFactory(user=other_lead, team=TeamFactory(), role=Membership.Role.LEAD)
    response = client_for(other_lead).post(
        reverse("incidents:finding_accept_risk", args=[finding.pk]),
        {"until": "2030-01-01", "reason": "low traffic", "version": 1},
    )
    assert response.status_code == 403
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN
