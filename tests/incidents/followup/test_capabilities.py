"""Who may do what on policy findings, action items and change events (issue 14), each rule with the case
an attacker tried: a lead of another team accepting a risk, a responder moving a finding they have nothing
to do with, a viewer who owns a finding writing action items onto incidents, and a change event written
into a restricted incident its poster cannot see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Membership
from incidents.errors import AccessDenied
from incidents.followup.services import findings as services_findings
from incidents.followup.services import items as services_items
from incidents.models import ActionItem, FindingStatus, IncidentStatus, TimelineEntry, Visibility
from tests.factories import (
    IncidentFactory,
    MembershipFactory,
    PolicyFindingFactory,
    ServiceFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def payments():
    return TeamFactory(name="Payments", slug="payments")


def _member(team, role, email):
    user = UserFactory(email=email)
    MembershipFactory(user=user, team=team, role=role)
    return user


@pytest.fixture
def own_lead(team):
    return _member(team, Membership.Role.LEAD, "platform-lead@example.com")


@pytest.fixture
def other_lead(payments, team):
    lead = _member(payments, Membership.Role.LEAD, "payments-lead@example.com")
    MembershipFactory(user=lead, team=team, role=Membership.Role.VIEWER)  # sees Platform's work
    return lead


@pytest.fixture
def finding(team, commander, responder):
    return PolicyFindingFactory(team=team, owner=commander, status=FindingStatus.OPEN)


def _accept(finding, actor):
    until = timezone.now().date() + timedelta(days=30)
    return services_findings.policy_finding_accept_risk(
        finding=finding, actor=actor, until=until, reason="Compensating control in place."
    )


def test_a_lead_of_another_team_cannot_accept_the_risk(finding, other_lead):
    with pytest.raises(AccessDenied) as refused:
        _accept(finding, other_lead)
    assert refused.value.visible  # they see the finding: 403
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN


def test_the_lead_of_the_findings_team_and_an_admin_accept_the_risk(finding, own_lead, admin_user):
    assert _accept(finding, own_lead).status == FindingStatus.RISK_ACCEPTED
    other = PolicyFindingFactory(team=finding.team, owner=finding.owner, status=FindingStatus.OPEN)
    assert _accept(other, admin_user).status == FindingStatus.RISK_ACCEPTED


def test_a_finding_of_no_team_has_its_risk_accepted_by_an_admin_only(commander, own_lead, admin_user):
    orphan = PolicyFindingFactory(team=None, owner=commander, status=FindingStatus.OPEN)
    with pytest.raises(AccessDenied):
        _accept(orphan, own_lead)
    assert _accept(orphan, admin_user).status == FindingStatus.RISK_ACCEPTED


def test_a_responder_who_neither_owns_nor_verifies_cannot_move_a_finding(finding, responder):
    with pytest.raises(AccessDenied) as refused:
        services_findings.policy_finding_transition(
            finding=finding, actor=responder, status=FindingStatus.REMEDIATING
        )
    assert refused.value.visible
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN


@pytest.mark.parametrize("who", ["owner", "verifier", "own_lead", "admin"])
def test_owner_verifier_team_lead_and_admin_move_a_finding(finding, who, responder, own_lead, admin_user):
    finding.verifier = responder
    finding.save()
    actor = {"owner": finding.owner, "verifier": responder, "own_lead": own_lead, "admin": admin_user}[who]
    moved = services_findings.policy_finding_transition(
        finding=finding, actor=actor, status=FindingStatus.REMEDIATING
    )
    assert moved.status == FindingStatus.REMEDIATING


def test_a_viewer_who_owns_a_finding_cannot_add_action_items_to_an_incident(viewer, incident):
    own = PolicyFindingFactory(owner=viewer, status=FindingStatus.OPEN)
    with pytest.raises(AccessDenied) as refused:
        services_items.action_item_create(actor=viewer, title="Rotate keys", incident=incident, finding=own)
    assert refused.value.visible  # the viewer sees the incident: 403, not a 404
    assert not ActionItem.objects.exists()
    # The finding's own items (no incident) stay the owner's to add.
    item = services_items.action_item_create(actor=viewer, title="Rotate keys", finding=own)
    assert item.incident is None


def test_a_change_event_reaches_only_incidents_the_poster_may_record_on(api_for, responder, commander, team):
    service = ServiceFactory(name="Checkout", slug="checkout", team=team)
    seen = IncidentFactory(status=IncidentStatus.INVESTIGATING, commander=commander)
    hidden = IncidentFactory(
        status=IncidentStatus.INVESTIGATING, visibility=Visibility.RESTRICTED, commander=commander
    )
    for incident in (seen, hidden):
        incident.services.add(service)
    hidden.participants.add(commander)
    before = TimelineEntry.objects.filter(incident=hidden).count()
    response = api_for(responder).post(
        "/api/v1/changes/",
        {"service": "checkout", "summary": "Deploy 1.2.3", "diff_url": "https://git.example.com/d/1"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["incidents"] == [seen.number]
    assert TimelineEntry.objects.filter(incident=seen, kind="change").count() == 1
    assert TimelineEntry.objects.filter(incident=hidden).count() == before
    # Someone on the restricted incident gets the entry there too.
    response = api_for(commander).post(
        "/api/v1/changes/",
        {"service": "checkout", "summary": "Deploy 1.2.4", "diff_url": "https://git.example.com/d/2"},
        format="json",
    )
    assert response.json()["incidents"] == sorted([seen.number, hidden.number])
