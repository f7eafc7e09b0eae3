"""Segregation of duties on policy findings: whoever owns or ever owned a finding may not verify its
remediation nor accept its risk (found by an outside attacker: the owner handed the finding to someone
else, then signed it off themselves). Who acts is a permission, so the refusal is 403 on the API and the
page, never a 400 about the input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from incidents.followup.services import findings as services_findings
from incidents.models import FindingStatus, PolicyFinding
from incidents.permissions import followup as permissions
from tests.factories import MembershipFactory, PolicyFindingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(team):
    """A lead of the finding's team: may verify and accept risk, unless they own or owned the finding."""
    user = UserFactory(email="lead@example.com")
    MembershipFactory(user=user, team=team, role=Membership.Role.LEAD)
    return user


@pytest.fixture
def handed_away(team, lead, responder):
    """A remediated finding `lead` owned and then handed to `responder` (one history row names each)."""
    finding = PolicyFindingFactory(
        team=team, owner=lead, status=FindingStatus.REMEDIATED, evidence="Two-person rule on"
    )
    return services_findings.policy_finding_update(finding=finding, actor=lead, owner=responder)


def _until() -> str:
    return (timezone.now() + timedelta(days=30)).date().isoformat()


def test_ever_owning_a_finding_is_read_from_its_history(handed_away, lead, responder, admin_user):
    assert permissions.has_owned_finding(responder, handed_away)  # the owner now
    assert permissions.has_owned_finding(lead, handed_away)  # the owner before
    assert not permissions.has_owned_finding(admin_user, handed_away)


@pytest.mark.parametrize("surface", ["api", "page"])
def test_handing_a_finding_away_then_verifying_it_is_refused(surface, handed_away, lead, api_for, client_for):
    if surface == "api":
        response = api_for(lead).post(
            f"/api/v1/policy-findings/{handed_away.pk}/verify/", {"evidence": "I checked"}, format="json"
        )
    else:
        response = client_for(lead).post(
            reverse("incidents:finding_verify", args=[handed_away.pk]),
            {"evidence": "I checked", "version": handed_away.version},
        )
    assert response.status_code == 403
    assert "someone else must verify it" in response.content.decode()
    assert PolicyFinding.objects.get(pk=handed_away.pk).status == FindingStatus.REMEDIATED


@pytest.mark.parametrize("surface", ["api", "page"])
def test_handing_a_finding_away_then_accepting_its_risk_is_refused(
    surface, handed_away, lead, api_for, client_for
):
    body = {"until": _until(), "reason": "Compensating control in place"}
    if surface == "api":
        response = api_for(lead).post(
            f"/api/v1/policy-findings/{handed_away.pk}/accept-risk/", body, format="json"
        )
    else:
        response = client_for(lead).post(
            reverse("incidents:finding_accept_risk", args=[handed_away.pk]),
            {**body, "version": handed_away.version},
        )
    assert response.status_code == 403
    assert "someone else must approve the risk" in response.content.decode()
    assert PolicyFinding.objects.get(pk=handed_away.pk).status == FindingStatus.REMEDIATED


@pytest.mark.parametrize("surface", ["api", "page"])
def test_the_owner_verifying_or_accepting_risk_is_refused_as_a_permission(
    surface, team, lead, api_for, client_for
):
    finding = PolicyFindingFactory(team=team, owner=lead, status=FindingStatus.REMEDIATED)
    if surface == "api":
        api = api_for(lead)
        verify = api.post(f"/api/v1/policy-findings/{finding.pk}/verify/", {"evidence": "x"}, format="json")
        risk = api.post(
            f"/api/v1/policy-findings/{finding.pk}/accept-risk/",
            {"until": _until(), "reason": "fine"},
            format="json",
        )
    else:
        page = client_for(lead)
        verify = page.post(
            reverse("incidents:finding_verify", args=[finding.pk]),
            {"evidence": "x", "version": finding.version},
        )
        risk = page.post(
            reverse("incidents:finding_accept_risk", args=[finding.pk]),
            {"until": _until(), "reason": "fine", "version": finding.version},
        )
    assert (verify.status_code, risk.status_code) == (403, 403)
    finding.refresh_from_db()
    assert finding.status == FindingStatus.REMEDIATED


def test_the_former_owners_page_offers_neither_step(handed_away, lead, client_for):
    page = client_for(lead).get(reverse("incidents:finding_detail", args=[handed_away.pk])).content.decode()
    assert "You owned this finding, so someone else must verify it" in page
    assert 'id="accept-risk"' not in page


def test_someone_who_never_owned_it_still_verifies(handed_away, admin_user):
    verified = services_findings.policy_finding_verify(
        finding=handed_away, actor=admin_user, evidence="Tried it: refused"
    )
    assert verified.status == FindingStatus.VERIFIED
