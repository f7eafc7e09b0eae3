"""Whom a person may pick (roles, participants), who may record, and the users and participants
endpoints."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Membership
from incidents.errors import AccessDenied
from incidents.incident.services.edits import (
    incident_assign_roles,
    incident_participant_add,
    incident_participant_remove,
)
from incidents.models import TimelineEntry, Visibility
from incidents.permissions.incident import can_record
from incidents.permissions.people import can_choose_person, users_visible_to, users_who_may_record
from tests.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stranger(db):
    """A responder in another team ("Payments"), not taking part in `incident`."""
    user = UserFactory(email="stranger@example.com", display_name="Sam Stranger")
    MembershipFactory(user=user, team=TeamFactory(name="Payments"), role=Membership.Role.RESPONDER)
    return user


@pytest.fixture
def lead(team):
    user = UserFactory(email="lead@example.com", display_name="Lee Lead")
    MembershipFactory(user=user, team=team, role=Membership.Role.LEAD)
    return user


def names(users) -> list[str]:
    return [u.display_name for u in users]


def entries(incident) -> list[str]:
    return list(TimelineEntry.objects.filter(incident=incident).order_by("id").values_list("body", flat=True))


# --- users_visible_to / can_choose_person ----------------------------------------------------------------
def test_a_member_picks_their_team_mates_and_themself_not_other_teams(responder, viewer, commander, stranger):
    assert names(users_visible_to(responder)) == ["Cora Commander", "Rory Responder", "Vera Viewer"]
    assert not can_choose_person(responder, stranger)


def test_a_restricted_incidents_participants_are_offered_with_it(responder, incident, stranger):
    incident.visibility = Visibility.RESTRICTED
    incident.save()
    incident.participants.add(stranger, responder)
    assert "Sam Stranger" in names(users_visible_to(responder, incident))
    assert can_choose_person(responder, stranger, incident)
    assert not can_choose_person(responder, stranger)


def test_on_a_restricted_incident_its_commander_brings_in_another_team_and_a_participant_does_not(
    responder, commander, incident, stranger
):
    incident.visibility = Visibility.RESTRICTED
    incident.save()
    incident.participants.add(responder)
    assert can_choose_person(commander, stranger, incident)
    assert not can_choose_person(responder, stranger, incident)
    assert not can_choose_person(commander, UserFactory(display_name="Lou Loner"), incident)
    assert incident_participant_add(incident=incident, actor=commander, person=stranger)
    assert entries(incident)[-1] == "Participant added: Sam Stranger"
    assert can_record(stranger, incident)


def test_on_an_internal_incident_any_member_is_offered_not_a_teamless_user(responder, incident, stranger):
    loner = UserFactory(display_name="Lou Loner")
    assert can_choose_person(responder, stranger, incident)
    assert not can_choose_person(responder, loner, incident)


def test_a_hidden_incident_offers_nobody_more(outsider, incident, stranger):
    incident.visibility = Visibility.RESTRICTED
    incident.save()
    incident.participants.add(stranger)
    assert names(users_visible_to(outsider, incident)) == ["Olive Outsider"]


def test_deactivated_people_are_never_offered(responder, viewer, admin_user):
    viewer.is_active = False
    viewer.save()
    assert "Vera Viewer" not in names(users_visible_to(responder))
    assert "Vera Viewer" not in names(users_visible_to(admin_user))
    assert not can_choose_person(admin_user, viewer)


def test_an_admin_picks_everyone_active(admin_user, responder, stranger, outsider):
    assert {"Rory Responder", "Sam Stranger", "Olive Outsider", "Ada Admin"} <= set(
        names(users_visible_to(admin_user))
    )


def test_nobody_signed_out_picks_anyone(responder):
    from django.contrib.auth.models import AnonymousUser

    assert list(users_visible_to(AnonymousUser())) == []
    assert list(users_visible_to(None)) == []


# --- users_who_may_record equals can_record ---------------------------------------------------------------
@pytest.mark.parametrize("visibility", [Visibility.INTERNAL, Visibility.RESTRICTED])
@pytest.mark.parametrize("deleted", [False, True])
def test_who_may_record_is_exactly_can_record(personas, stranger, lead, incident, visibility, deleted):
    from django.utils import timezone

    scribe_viewer = UserFactory(display_name="Sid Scribe")
    MembershipFactory(user=scribe_viewer, team=TeamFactory(), role=Membership.Role.VIEWER)
    participant_viewer = personas["viewer"]
    incident.scribe = scribe_viewer
    incident.visibility = visibility
    incident.deleted_at = timezone.now() if deleted else None
    incident.save()
    incident.participants.add(participant_viewer, stranger)
    inactive = UserFactory(display_name="Ina Inactive", is_active=False)
    MembershipFactory(user=inactive, team=TeamFactory(), role=Membership.Role.RESPONDER)
    everyone = [*personas.values(), stranger, lead, scribe_viewer, inactive]
    expected = {u.display_name for u in everyone if can_record(u, incident)}
    assert set(names(users_who_may_record(incident))) == expected
    assert expected  # never vacuous: at least admins


@pytest.mark.parametrize("visibility", [Visibility.INTERNAL, Visibility.RESTRICTED])
@pytest.mark.parametrize("deleted", [False, True])
def test_who_may_see_is_exactly_can_view_incident(personas, stranger, lead, incident, visibility, deleted):
    from django.utils import timezone

    from incidents.permissions.incident import can_view_incident
    from incidents.permissions.people import users_who_may_see

    lone = UserFactory(display_name="Lou Lone")  # a member of no team, taking part
    incident.visibility = visibility
    incident.deleted_at = timezone.now() if deleted else None
    incident.save()
    incident.participants.add(stranger, lone)
    inactive = UserFactory(display_name="Ina Inactive", is_active=False)
    MembershipFactory(user=inactive, team=TeamFactory(), role=Membership.Role.RESPONDER)
    everyone = [*personas.values(), stranger, lead, lone, inactive]
    expected = {u.display_name for u in everyone if can_view_incident(u, incident)}
    assert set(names(users_who_may_see(incident))) == expected
    assert expected


# --- Services: roles and participants ---------------------------------------------------------------------
def test_giving_a_role_to_someone_you_may_not_pick_is_refused(commander, incident):
    incident.visibility = Visibility.RESTRICTED
    incident.save()
    loner = UserFactory(display_name="Lou Loner")  # in no team: nobody but an admin picks them
    with pytest.raises(ValidationError) as exc:
        incident_assign_roles(incident=incident, actor=commander, scribe=loner)
    assert "scribe" in exc.value.message_dict
    incident.refresh_from_db()
    assert incident.scribe is None
    assert not any(e.startswith("Scribe") for e in entries(incident))


def test_handing_over_command_writes_one_entry_and_keeps_the_old_commander_taking_part(
    commander, responder, incident
):
    before = len(entries(incident))
    incident_assign_roles(incident=incident, actor=commander, commander=responder)
    incident.refresh_from_db()
    assert incident.commander == responder
    assert entries(incident)[before:] == ["Commander: Rory Responder"]
    assert incident.participants.filter(pk=commander.pk).exists()


def test_adding_a_participant_writes_one_entry_and_again_nothing(responder, viewer, incident):
    assert incident_participant_add(incident=incident, actor=responder, person=viewer)
    assert not incident_participant_add(incident=incident, actor=responder, person=viewer)
    assert [e for e in entries(incident) if "Participant" in e] == ["Participant added: Vera Viewer"]


def test_on_a_restricted_incident_only_who_may_command_adds_a_participant(
    commander, responder, viewer, incident
):
    incident.visibility = Visibility.RESTRICTED
    incident.save()
    incident.participants.add(responder)
    incident.commander = commander
    with pytest.raises(AccessDenied):
        incident_participant_add(incident=incident, actor=responder, person=viewer)
    assert incident_participant_add(incident=incident, actor=commander, person=viewer)


def test_a_role_holder_is_not_removed_from_the_participants(commander, responder, incident):
    with pytest.raises(ValidationError) as exc:
        incident_participant_remove(incident=incident, actor=responder, person=commander)
    assert "commander" in exc.value.message_dict["person"][0]
    assert incident.participants.filter(pk=commander.pk).exists()


def test_removing_a_participant_writes_one_entry(responder, viewer, incident):
    incident.participants.add(viewer)
    assert incident_participant_remove(incident=incident, actor=responder, person=viewer)
    assert not incident_participant_remove(incident=incident, actor=responder, person=viewer)
    assert [e for e in entries(incident) if "Participant" in e] == ["Participant removed: Vera Viewer"]


def test_a_viewer_may_not_add_participants(viewer, responder, incident):
    with pytest.raises(AccessDenied):
        incident_participant_add(incident=incident, actor=viewer, person=responder)


# --- API ---------------------------------------------------------------------------------------------------
def test_the_users_endpoint_lists_whom_you_may_pick_and_searches(
    api_for, responder, viewer, commander, stranger
):
    api = api_for(responder)
    body = api.get("/api/v1/users/").json()
    assert [u["display_name"] for u in body["results"]] == ["Cora Commander", "Rory Responder", "Vera Viewer"]
    assert body["count"] == 3
    found = api.get("/api/v1/users/", {"search": "vera"}).json()["results"]
    assert [u["email"] for u in found] == ["viewer@example.com"]
    assert api.get("/api/v1/users/", {"search": "stranger"}).json()["results"] == []


def test_the_users_endpoint_adds_an_incidents_participants(api_for, responder, incident, stranger):
    incident.visibility = Visibility.RESTRICTED
    incident.save()
    incident.participants.add(stranger, responder)
    api = api_for(responder)
    found = api.get("/api/v1/users/", {"incident": incident.number, "search": "sam"}).json()["results"]
    assert [u["display_name"] for u in found] == ["Sam Stranger"]
    assert api.get("/api/v1/users/", {"incident": "x"}).status_code == 400


def test_the_users_endpoint_pages(api_for, admin_user):
    for _ in range(3):
        UserFactory()
    body = api_for(admin_user).get("/api/v1/users/", {"page_size": 2}).json()
    assert len(body["results"]) == 2
    assert body["next"]


def test_the_users_endpoint_is_in_the_schema(client_for, responder):
    schema = client_for(responder).get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/users/" in schema["paths"]
    assert "/api/v1/incidents/{number}/participants/" in schema["paths"]
    assert "/api/v1/incidents/{number}/participants/{user_id}/" in schema["paths"]


def test_participants_listed_added_and_removed_through_the_api(api_for, responder, viewer, incident):
    api = api_for(responder)
    url = f"/api/v1/incidents/{incident.number}/participants/"
    assert [u["display_name"] for u in api.get(url).json()] == ["Cora Commander"]
    added = api.post(url, {"user": viewer.pk}, format="json")
    assert added.status_code == 201
    assert [u["display_name"] for u in added.json()] == ["Cora Commander", "Vera Viewer"]
    assert api.post(url, {"user": viewer.pk}, format="json").status_code == 200
    assert api.delete(f"{url}{viewer.pk}/").status_code == 204
    assert api.delete(f"{url}{viewer.pk}/").status_code == 404


def test_the_api_refuses_a_participant_you_may_not_pick(api_for, responder, incident):
    stranger = UserFactory(display_name="Lou Loner")
    response = api_for(responder).post(
        f"/api/v1/incidents/{incident.number}/participants/", {"user": stranger.pk}, format="json"
    )
    assert response.status_code == 400
    assert "person" in response.json() or "user" in response.json()


def test_the_api_refuses_removing_the_commander(api_for, responder, commander, incident):
    response = api_for(responder).delete(f"/api/v1/incidents/{incident.number}/participants/{commander.pk}/")
    assert response.status_code == 400


def test_a_hidden_incidents_participants_are_not_found(api_for, outsider, incident):
    assert api_for(outsider).get(f"/api/v1/incidents/{incident.number}/participants/").status_code == 404


def test_the_roles_endpoint_refuses_someone_you_may_not_pick(api_for, commander, incident):
    incident.visibility = Visibility.RESTRICTED
    incident.save()
    loner = UserFactory(display_name="Lou Loner")  # in no team
    response = api_for(commander).post(
        f"/api/v1/incidents/{incident.number}/roles/", {"scribe": loner.pk}, format="json"
    )
    assert response.status_code == 400
    assert "scribe" in response.json()


def test_removing_a_reviewer_from_a_restricted_incident_takes_its_access_away_and_withdraws_the_request(
    commander, responder, incident
):
    from incidents.models import PostmortemReview
    from incidents.permissions.incident import can_view_incident, incidents_visible_to
    from incidents.review.services import postmortems, reviews

    incident.visibility = Visibility.RESTRICTED
    incident.save()
    assert incident_participant_add(incident=incident, actor=commander, person=responder)
    pm = postmortems.postmortem_start(incident=incident, actor=commander)
    reviews.postmortem_request_review(postmortem=pm, actor=commander, reviewers=[responder])
    assert can_view_incident(responder, incident)

    assert incident_participant_remove(incident=incident, actor=commander, person=responder)
    responder = type(responder).objects.get(pk=responder.pk)  # a new request: no cached answer
    assert not can_view_incident(responder, incident)
    assert not incidents_visible_to(responder).filter(pk=incident.pk).exists()
    assert not PostmortemReview.objects.filter(postmortem=pm, reviewer=responder).exists()
    assert "Participant removed: Rory Responder (their pending review request is withdrawn)" in entries(
        incident
    )
