"""Roles go to people who may record, command is handed over and never cleared, role changes carry the
incident's version, and the people endpoints answer bad input with the field's name and one message for
anyone you may not pick (issue 18, found by an outside tester)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Membership
from incidents.errors import AccessDenied
from incidents.incident.services.common import IncidentConflict
from incidents.incident.services.edits import incident_assign_roles, incident_participant_add
from incidents.models import Incident, TimelineEntry, Visibility
from incidents.permissions.checks import MANAGE_PARTICIPANTS_REFUSED
from incidents.permissions.people import NOT_CHOOSABLE, can_take_role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def roles_url(incident: Incident) -> str:
    return f"/api/v1/incidents/{incident.number}/roles/"


# --- A role only for someone who may record --------------------------------------------------------------
@pytest.mark.parametrize("role", ["commander", "communications_lead", "scribe"])
def test_a_viewer_is_never_given_a_role(commander, viewer, incident, role):
    with pytest.raises(ValidationError) as exc:
        incident_assign_roles(incident=incident, actor=commander, **{role: viewer})
    assert exc.value.message_dict == {
        role: [
            f"Vera Viewer may only read {incident.reference}: a role goes to someone who may record on it."
        ]
    }
    incident.refresh_from_db()
    assert getattr(incident, f"{role}_id") == (commander.pk if role == "commander" else None)


def test_who_may_take_a_role(personas, incident):
    takes = {name for name, u in personas.items() if can_take_role(u, incident)}
    assert takes == {"responder", "commander", "admin"}


def test_the_api_refuses_a_viewer_as_scribe(api_for, commander, viewer, incident):
    response = api_for(commander).post(roles_url(incident), {"scribe": viewer.pk}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["scribe"]
    assert not TimelineEntry.objects.filter(incident=incident, body__startswith="Scribe").exists()


def test_the_role_pickers_offer_no_viewer_and_the_participant_picker_does(
    client_for, commander, viewer, incident
):
    client = client_for(commander)
    url = reverse("incidents:people_suggestions", args=[incident.number])
    for role in ("commander", "communications_lead", "scribe"):
        assert "Vera Viewer" not in client.get(url, {"for": role, "q": "vera"}).content.decode()
    assert "Vera Viewer" in client.get(url, {"for": "participant", "q": "vera"}).content.decode()


def test_a_posted_viewer_on_the_page_is_a_form_error(client_for, commander, viewer, incident):
    response = client_for(commander).post(
        reverse("incidents:role", args=[incident.number]),
        {"role": "scribe", "person": viewer.pk, "version": incident.version},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    incident.refresh_from_db()
    assert incident.scribe is None


# --- Command is handed over, never cleared ---------------------------------------------------------------
def test_clearing_the_commander_is_refused_with_what_to_do(commander, incident):
    with pytest.raises(ValidationError) as exc:
        incident_assign_roles(incident=incident, actor=commander, commander=None)
    assert "hand over command instead" in exc.value.message_dict["commander"][0]
    incident.refresh_from_db()
    assert incident.commander == commander


def test_the_api_and_the_page_refuse_clearing_the_commander(api_for, client_for, commander, incident):
    response = api_for(commander).post(roles_url(incident), {"commander": None}, format="json")
    assert response.status_code == 400
    assert "hand over command instead" in response.json()["commander"][0]
    page = client_for(commander).post(
        reverse("incidents:role", args=[incident.number]), {"role": "commander", "clear": "1"}
    )
    assert page.status_code == 302
    incident.refresh_from_db()
    assert incident.commander == commander


def test_the_scribe_may_still_be_cleared(commander, responder, incident):
    incident_assign_roles(incident=incident, actor=commander, scribe=responder)
    incident_assign_roles(incident=incident, actor=commander, scribe=None)
    incident.refresh_from_db()
    assert incident.scribe is None


# --- Role changes carry the version ----------------------------------------------------------------------
def test_a_stale_role_change_is_refused_and_the_first_stands(commander, responder, admin_user, incident):
    version = incident.version
    incident_assign_roles(incident=incident, actor=commander, scribe=responder, expected_version=version)
    with pytest.raises(IncidentConflict):
        incident_assign_roles(incident=incident, actor=commander, scribe=admin_user, expected_version=version)
    incident.refresh_from_db()
    assert incident.scribe == responder


def test_the_api_takes_a_version_and_if_match(api_for, commander, responder, admin_user, incident, team):
    api = api_for(commander)
    comms = UserFactory(display_name="Cam Comms")
    MembershipFactory(user=comms, team=team, role=Membership.Role.RESPONDER)
    version = incident.version
    first = api.post(roles_url(incident), {"scribe": responder.pk, "version": version}, format="json")
    assert first.status_code == 200
    stale = api.post(roles_url(incident), {"scribe": admin_user.pk, "version": version}, format="json")
    assert stale.status_code == 409
    etag = api.get(f"/api/v1/incidents/{incident.number}/")["ETag"]
    assert api.post(roles_url(incident), {"communications_lead": comms.pk}, format="json").status_code == 200
    old = api.post(roles_url(incident), {"scribe": comms.pk}, format="json", HTTP_IF_MATCH=etag)
    assert old.status_code == 412
    incident.refresh_from_db()
    assert incident.scribe == responder


def test_the_page_form_sends_the_version_and_a_stale_one_is_an_error(
    client_for, commander, responder, admin_user, incident
):
    client = client_for(commander)
    page = client.get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert f'name="version" value="{incident.version}"' in page
    stale = incident.version
    incident_assign_roles(incident=incident, actor=commander, communications_lead=responder)
    response = client.post(
        reverse("incidents:role", args=[incident.number]),
        {"role": "scribe", "person": responder.pk, "version": stale},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "Someone changed this incident since you loaded it" in response.content.decode()
    incident.refresh_from_db()
    assert incident.scribe is None


# --- One message for anyone you may not pick, and integers only ---------------------------------------------
@pytest.fixture
def restricted(commander, team):
    from tests.factories import IncidentFactory

    incident = IncidentFactory(visibility=Visibility.RESTRICTED, commander=commander, declared_by=commander)
    incident.participants.add(commander)
    return incident


@pytest.fixture
def stranger(db):
    """Someone a commander may not pick: in no team and not taking part (a commander of a restricted
    incident picks any member, to bring them in)."""
    return UserFactory(display_name="Sam Stranger")


def person_requests(incident: Incident, item_id: int):
    """(method, url, body with the person as {}) for every API write that names a person."""
    return [
        ("post", f"/api/v1/incidents/{incident.number}/roles/", {"scribe": "{}"}),
        ("post", f"/api/v1/incidents/{incident.number}/participants/", {"user": "{}"}),
        ("post", "/api/v1/action-items/", {"incident": incident.number, "title": "t", "owner": "{}"}),
        ("patch", f"/api/v1/action-items/{item_id}/", {"owner": "{}"}),
    ]


def _fill(body: dict, value):
    return {k: (value if v == "{}" else v) for k, v in body.items()}


def test_an_id_of_nobody_and_of_someone_you_may_not_pick_get_the_same_answer(
    api_for, commander, restricted, stranger
):
    from tests.factories import ActionItemFactory

    item = ActionItemFactory(incident=restricted, owner=commander)
    inactive = UserFactory(is_active=False)
    api = api_for(commander)
    for method, url, body in person_requests(restricted, item.pk):
        answers = []
        for person_id in (stranger.pk, 987654, inactive.pk):
            response = getattr(api, method)(url, _fill(body, person_id), format="json")
            answers.append((response.status_code, response.json()))
        field = next(k for k, v in body.items() if v == "{}")
        assert answers == [(400, {field: [NOT_CHOOSABLE]})] * 3, (url, answers)


@pytest.mark.parametrize("value", [3.5, "3", True, [3], {"id": 3}])
def test_a_person_is_a_whole_number(api_for, commander, incident, value):
    api = api_for(commander)
    for url, field in (
        (roles_url(incident), "scribe"),
        (f"/api/v1/incidents/{incident.number}/participants/", "user"),
    ):
        response = api.post(url, {field: value}, format="json")
        assert response.status_code == 400
        assert list(response.json()) == [field]
        assert "whole number" in response.json()[field][0]


def test_the_participants_api_keys_its_errors_by_user(api_for, responder, commander, incident):
    api = api_for(responder)
    loner = UserFactory(display_name="Lou Loner")
    refused = api.post(
        f"/api/v1/incidents/{incident.number}/participants/", {"user": loner.pk}, format="json"
    )
    assert refused.json() == {"user": [NOT_CHOOSABLE]}
    removed = api.delete(f"/api/v1/incidents/{incident.number}/participants/{commander.pk}/")
    assert removed.status_code == 400
    assert list(removed.json()) == ["user"]


# --- Refusals give the right reason ------------------------------------------------------------------------
def test_a_refusal_on_an_internal_incident_does_not_speak_of_restricted_ones(viewer, responder, incident):
    with pytest.raises(AccessDenied) as exc:
        incident_participant_add(incident=incident, actor=viewer, person=responder)
    assert str(exc.value) == MANAGE_PARTICIPANTS_REFUSED["internal"]
    assert "restricted" not in str(exc.value)


def test_a_refusal_on_a_restricted_incident_says_why(api_for, responder, restricted, commander):
    restricted.participants.add(responder)
    response = api_for(responder).post(
        f"/api/v1/incidents/{restricted.number}/participants/", {"user": commander.pk}, format="json"
    )
    assert response.status_code == 403
    assert "restricted" in str(response.json())


def test_an_unknown_picker_is_400(client_for, commander, incident):
    url = reverse("incidents:people_suggestions", args=[incident.number])
    client = client_for(commander)
    assert client.get(url, {"for": "bogus"}).status_code == 400
    assert client.get(url, {"for": "scribe"}).status_code == 200
    assert client.get(url).status_code == 200


# --- Who may be given a role: one rule with the review picker (issue 18, outsider's second pass) ---------
def _suggested(client, incident: Incident, target: str, q: str = "") -> str:
    url = reverse("incidents:people_suggestions", args=[incident.number])
    return client.get(url, {"for": target, "q": q}).content.decode()


@pytest.mark.parametrize("role", ["commander", "communications_lead", "scribe"])
def test_on_a_restricted_incident_the_role_pickers_offer_only_people_taking_part(
    client_for, commander, responder, team, restricted, role
):
    restricted.teams.add(team)
    insider = UserFactory(display_name="Ivy Insider")
    MembershipFactory(user=insider, team=team, role=Membership.Role.RESPONDER)
    restricted.participants.add(insider)
    client = client_for(commander)
    offered = _suggested(client, restricted, role)
    assert "Ivy Insider" in offered
    assert "Rory Responder" not in offered  # a team mate who does not take part: would be let in
    assert "Rory Responder" in _suggested(client, restricted, "participant")  # bring them in first


def test_on_a_restricted_incident_a_role_for_someone_not_taking_part_says_to_add_them_first(
    api_for, commander, responder, restricted
):
    response = api_for(commander).post(roles_url(restricted), {"scribe": responder.pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "scribe": [
            f"Rory Responder does not take part in {restricted.reference}, which is restricted: "
            "add them as a participant first."
        ]
    }
    restricted.refresh_from_db()
    assert restricted.scribe is None
    assert not restricted.participants.filter(pk=responder.pk).exists()  # nobody was let in


def test_once_added_as_a_participant_they_may_take_a_role(commander, responder, restricted):
    incident_participant_add(incident=restricted, actor=commander, person=responder)
    incident_assign_roles(incident=restricted, actor=commander, scribe=responder)
    restricted.refresh_from_db()
    assert restricted.scribe == responder


def test_the_role_rule_and_the_review_rule_are_one(personas, restricted, incident):
    from incidents.models import Postmortem
    from incidents.permissions.people import users_who_may_review, users_who_may_take_role

    for inc in (incident, restricted):
        pm = Postmortem.objects.create(incident=inc)
        assert set(users_who_may_review(pm)) == set(users_who_may_take_role(inc))


def test_hand_over_does_not_offer_the_commander_and_each_role_not_its_holder(
    client_for, commander, responder, incident
):
    incident_assign_roles(incident=incident, actor=commander, scribe=responder)
    client = client_for(commander)
    assert "Cora Commander" not in _suggested(client, incident, "commander")
    assert "Rory Responder" in _suggested(client, incident, "commander")
    assert "Rory Responder" not in _suggested(client, incident, "scribe")
    assert "Cora Commander" in _suggested(client, incident, "scribe")  # the commander may also scribe


def test_the_people_card_of_a_restricted_incident_says_roles_go_to_participants(
    client_for, commander, restricted
):
    page = client_for(commander).get(reverse("incidents:detail", args=[restricted.number])).content.decode()
    assert "Roles go to people taking part in this restricted incident" in page
