"""What the fourth attack on issue 14 (an outside tester with only the README and the running app) got
through, each as a test.

The setting for findings: `finding` belongs to Platform (`team`, led by `lead`), is owned by `responder`
and open; `blue` is another team, led by `blue_lead` and with `blue_responder`, who both see the finding
(it is on no incident, so every member does) and so may edit its text.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Membership
from incidents.models import FindingStatus, Visibility
from incidents.permissions.people import users_who_may_see
from tests.factories import IncidentFactory, MembershipFactory, PolicyFindingFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def blue(db):
    return TeamFactory(name="Blue", slug="blue")


@pytest.fixture
def lead(team):
    user = UserFactory(email="lead@example.com", display_name="Lee Lead")
    MembershipFactory(user=user, team=team, role=Membership.Role.LEAD)
    return user


@pytest.fixture
def blue_lead(blue):
    user = UserFactory(email="blue-lead@example.com", display_name="Bo Bluelead")
    MembershipFactory(user=user, team=blue, role=Membership.Role.LEAD)
    return user


@pytest.fixture
def blue_responder(blue):
    user = UserFactory(email="blue-resp@example.com", display_name="Bea Blueresp")
    MembershipFactory(user=user, team=blue, role=Membership.Role.RESPONDER)
    return user


@pytest.fixture
def finding(team, responder):
    return PolicyFindingFactory(
        title="Prod shell has no guard", team=team, owner=responder, status=FindingStatus.OPEN
    )


def _patch(api_for, user, finding, **body):
    return api_for(user).patch(
        f"/api/v1/policy-findings/{finding.pk}/", {**body, "version": finding.version}, format="json"
    )


# --- 1. A lead of another team takes a finding over by changing its team -------------------------------
def test_a_lead_of_another_team_cannot_move_a_finding_to_their_team_nor_then_accept_its_risk(
    api_for, blue_lead, finding, team
):
    r = _patch(api_for, blue_lead, finding, team="blue")
    assert r.status_code in (400, 403), r.content
    if r.status_code == 400:
        assert "team" in r.json()
    finding.refresh_from_db()
    assert finding.team == team
    accept = api_for(blue_lead).post(
        f"/api/v1/policy-findings/{finding.pk}/accept-risk/",
        {"until": "2099-01-01", "reason": "mine now", "version": finding.version},
        format="json",
    )
    assert accept.status_code == 403
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN


def test_the_edit_form_does_not_store_a_team_change_by_a_lead_of_another_team(
    client_for, blue_lead, blue, finding, team
):
    data = {
        "area": finding.area, "title": finding.title, "description": "", "risk": finding.risk,
        "owner": finding.owner_id, "verifier": "", "team": blue.pk, "due_date": "", "version": finding.version,
    }  # fmt: skip
    client_for(blue_lead).post(reverse("incidents:finding_edit", args=[finding.pk]), data)
    finding.refresh_from_db()
    assert finding.team == team


def test_a_responder_of_the_team_cannot_change_its_team(api_for, responder, finding, team, blue):
    r = _patch(api_for, responder, finding, team="blue")
    assert r.status_code in (400, 403), r.content
    finding.refresh_from_db()
    assert finding.team == team


def test_the_lead_of_its_team_moves_it_only_to_a_team_they_lead(api_for, lead, finding, blue, team):
    r = _patch(api_for, lead, finding, team="blue")
    assert r.status_code == 400, r.content
    assert "team" in r.json()
    finding.refresh_from_db()
    assert finding.team == team
    MembershipFactory(user=lead, team=blue, role=Membership.Role.LEAD)
    r = _patch(api_for, lead, finding, team="blue")
    assert r.status_code == 200, r.content
    finding.refresh_from_db()
    assert finding.team == blue


def test_an_admin_moves_a_finding_to_any_team(api_for, admin_user, finding, blue):
    assert _patch(api_for, admin_user, finding, team="blue").status_code == 200
    finding.refresh_from_db()
    assert finding.team == blue


def test_editing_the_text_with_its_team_unchanged_still_works(api_for, blue_responder, finding, team):
    r = _patch(api_for, blue_responder, finding, title="Prod shell has no guard yet", team="platform")
    assert r.status_code == 200, r.content
    finding.refresh_from_db()
    assert (finding.title, finding.team) == ("Prod shell has no guard yet", team)


# --- 2. A responder of another team makes themselves verifier (or owner), then moves and closes it -------
@pytest.mark.parametrize("field", ["verifier", "owner"])
def test_a_responder_who_may_not_move_a_finding_cannot_make_themselves_its_owner_or_verifier(
    api_for, blue_responder, finding, responder, field
):
    r = _patch(api_for, blue_responder, finding, **{field: blue_responder.pk})
    assert r.status_code == 400, r.content
    assert field in r.json()
    finding.refresh_from_db()
    assert (finding.owner, finding.verifier) == (responder, None)
    moved = api_for(blue_responder).post(
        f"/api/v1/policy-findings/{finding.pk}/transition/",
        {"status": "remediating", "version": finding.version},
        format="json",
    )
    assert moved.status_code == 403
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN


def test_the_edit_form_does_not_store_a_verifier_chosen_by_someone_who_may_not_move_it(
    client_for, blue_responder, finding, team
):
    data = {
        "area": finding.area, "title": finding.title, "description": "", "risk": finding.risk,
        "owner": finding.owner_id, "verifier": blue_responder.pk, "team": team.pk, "due_date": "",
        "version": finding.version,
    }  # fmt: skip
    client_for(blue_responder).post(reverse("incidents:finding_edit", args=[finding.pk]), data)
    finding.refresh_from_db()
    assert finding.verifier is None


def test_its_owner_and_its_teams_lead_still_choose_its_people(
    api_for, responder, lead, commander, blue_responder, finding
):
    # Among the people they may pick (their teams': the finding is on no incident), not anyone else.
    assert _patch(api_for, responder, finding, verifier=commander.pk).status_code == 200
    finding.refresh_from_db()
    assert finding.verifier == commander
    outside = _patch(api_for, responder, finding, verifier=blue_responder.pk, version=finding.version)
    assert outside.status_code == 400
    assert outside.content == _patch(api_for, responder, finding, verifier=999_999).content
    assert _patch(api_for, lead, finding, owner=lead.pk).status_code == 200
    finding.refresh_from_db()
    assert finding.owner == lead


def test_a_former_owner_cannot_be_made_its_verifier(api_for, lead, responder, finding):
    assert _patch(api_for, lead, finding, owner=lead.pk).status_code == 200
    finding.refresh_from_db()
    r = _patch(api_for, lead, finding, verifier=responder.pk)
    assert r.status_code == 400, r.content
    assert "verifier" in r.json()
    finding.refresh_from_db()
    assert finding.verifier is None


# --- 3. Whoever declared a restricted incident keeps access after being removed as participant ----------
@pytest.fixture
def declared(responder, commander, team):
    """A restricted incident `responder` declared (so took part in), commanded by `commander`."""
    inc = IncidentFactory(
        number=4848,
        title="Quiet payroll outage",
        visibility=Visibility.RESTRICTED,
        commander=commander,
        declared_by=responder,
    )
    inc.participants.add(commander, responder)
    inc.teams.add(team)
    return inc


def test_the_declarer_removed_as_participant_no_longer_sees_nor_writes_on_it(
    api_for, client_for, admin_user, responder, declared
):
    removed = api_for(admin_user).delete(f"/api/v1/incidents/{declared.number}/participants/{responder.pk}/")
    assert removed.status_code == 204, removed.content
    api, web = api_for(responder), client_for(responder)
    assert web.get(reverse("incidents:detail", args=[declared.number])).status_code == 404
    assert api.get(f"/api/v1/incidents/{declared.number}/").status_code == 404
    listed = api.get("/api/v1/incidents/").json()["results"]
    assert declared.number not in [i["number"] for i in listed]
    assert "Quiet payroll outage" not in web.get(reverse("incidents:list")).content.decode()
    assert "Quiet payroll outage" not in web.get(reverse("incidents:dashboard")).content.decode()
    found = web.get(reverse("incidents:search"), {"q": "payroll"}).content.decode()
    assert "Quiet payroll outage" not in found
    wrote = api.post(
        "/api/v1/timeline-entries/", {"incident": declared.number, "body": "still here"}, format="json"
    )
    assert wrote.status_code in (400, 403, 404), wrote.content
    assert "payroll" not in wrote.content.decode().lower()
    assert not declared.timeline_entries.filter(body="still here").exists()
    assert responder not in users_who_may_see(declared)


def test_the_declarer_sees_it_while_taking_part(api_for, responder, declared):
    assert api_for(responder).get(f"/api/v1/incidents/{declared.number}/").status_code == 200
