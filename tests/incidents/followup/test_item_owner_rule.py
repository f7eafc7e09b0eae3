"""An action item's owner is someone who may record on its incident, on every path that sets one: the
service refuses anyone else (issue 18, found by an outside tester: the API took a viewer, and someone who
cannot see a restricted incident, as owner)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Membership
from incidents.followup.services import items as services_items
from incidents.followup.services.reassign import followup_reassign
from incidents.models import ActionItem, Visibility
from incidents.permissions.checks import SYSTEM
from incidents.permissions.people import NOT_CHOOSABLE, can_own_action_item, users_who_may_own
from tests.factories import ActionItemFactory, IncidentFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def restricted(commander, team):
    incident = IncidentFactory(visibility=Visibility.RESTRICTED, commander=commander, declared_by=commander)
    incident.teams.add(team)
    incident.participants.add(commander)
    return incident


@pytest.fixture
def lead(team):
    user = UserFactory(display_name="Lee Lead")
    MembershipFactory(user=user, team=team, role=Membership.Role.LEAD)
    return user


def test_creating_an_item_with_a_viewer_as_owner_is_refused(commander, viewer, incident):
    with pytest.raises(ValidationError) as exc:
        services_items.action_item_create(actor=commander, incident=incident, title="Snapshots", owner=viewer)
    assert exc.value.message_dict == {
        "owner": [f"Vera Viewer may not record on {incident.reference}: choose someone who may."]
    }
    assert not ActionItem.objects.exists()


def test_someone_who_cannot_see_the_restricted_incident_is_refused_without_being_named(
    commander, responder, restricted
):
    # Rory is a team-mate (pickable) but does not take part: he cannot see it, so he cannot own its work.
    # Sam is in no team: not even its commander may pick him.
    stranger = UserFactory(display_name="Sam Stranger")
    with pytest.raises(ValidationError) as exc:
        services_items.action_item_create(actor=commander, incident=restricted, title="x", owner=stranger)
    assert exc.value.message_dict == {"owner": [NOT_CHOOSABLE]}
    with pytest.raises(ValidationError) as exc:
        services_items.action_item_create(actor=commander, incident=restricted, title="x", owner=responder)
    assert "Rory Responder may not record" in exc.value.messages[0]


def test_giving_an_item_to_a_viewer_is_refused_and_nothing_changes(commander, responder, viewer, incident):
    item = ActionItemFactory(incident=incident, owner=responder)
    with pytest.raises(ValidationError):
        services_items.action_item_update(item=item, actor=commander, owner=viewer)
    item.refresh_from_db()
    assert (item.owner, item.version) == (responder, 1)


def test_a_former_owner_already_stored_stays_until_changed(commander, viewer, incident):
    item = ActionItemFactory(incident=incident, owner=viewer, title="Old")
    saved = services_items.action_item_update(item=item, actor=commander, title="New", owner=viewer)
    assert (saved.title, saved.owner) == ("New", viewer)


def test_hindsight_itself_cannot_make_a_viewer_owner_either(viewer, incident):
    # The tracker sweep and the demo loader act as SYSTEM: the rule is about the owner, not the actor.
    item = ActionItemFactory(incident=incident)
    with pytest.raises(ValidationError):
        services_items.action_item_update(item=item, actor=SYSTEM, owner=viewer)


def test_meeting_capture_refuses_a_viewer_as_owner(commander, viewer, incident):
    with pytest.raises(ValidationError) as exc:
        services_items.action_item_quick_add(
            incident=incident, actor=commander, title="Alert on lag", owner=viewer
        )
    assert "owner" in exc.value.message_dict
    assert not ActionItem.objects.exists()


def test_bulk_reassignment_to_a_viewer_is_refused_and_nothing_moves(lead, responder, viewer, incident):
    item = ActionItemFactory(incident=incident, owner=responder)
    with pytest.raises(ValidationError):
        followup_reassign(actor=lead, new_owner=viewer, items=[item])
    item.refresh_from_db()
    assert item.owner == responder


def test_the_api_refuses_a_viewer_and_a_hidden_person_as_owner_on_create_and_edit(
    api_for, commander, responder, viewer, incident, restricted
):
    api = api_for(commander)
    created = api.post(
        "/api/v1/action-items/",
        {"incident": incident.number, "title": "t", "owner": viewer.pk},
        format="json",
    )
    assert created.status_code == 400
    assert created.json() == {
        "owner": [f"Vera Viewer may not record on {incident.reference}: choose someone who may."]
    }
    hidden = api.post(
        "/api/v1/action-items/", {"incident": restricted.number, "title": "t", "owner": responder.pk},
        format="json",
    )  # fmt: skip
    assert hidden.status_code == 400
    item = ActionItemFactory(incident=incident, owner=responder)
    patched = api.patch(f"/api/v1/action-items/{item.pk}/", {"owner": viewer.pk}, format="json")
    assert patched.status_code == 400
    assert "owner" in patched.json()
    item.refresh_from_db()
    assert item.owner == responder
    ok = api.post(
        "/api/v1/action-items/",
        {"incident": incident.number, "title": "t", "owner": responder.pk},
        format="json",
    )
    assert ok.status_code == 201


@pytest.mark.parametrize("visibility", [Visibility.INTERNAL, Visibility.RESTRICTED])
def test_who_may_own_is_exactly_who_may_record_on_an_incident(personas, incident, visibility):
    from incidents.permissions.incident import can_record

    incident.visibility = visibility
    incident.save()
    everyone = list(personas.values())
    owners = set(users_who_may_own(incident))
    assert owners == {u for u in everyone if can_record(u, incident)}
    assert owners == {u for u in everyone if can_own_action_item(u, incident=incident)}


def test_an_item_on_no_incident_is_owned_by_a_member(outsider, viewer, responder):
    assert can_own_action_item(viewer, incident=None)
    assert not can_own_action_item(outsider, incident=None)


def test_the_new_item_form_offers_only_possible_owners_also_without_an_incident(
    client_for, responder, outsider
):
    body = client_for(responder).get(reverse("incidents:action_item_new")).content.decode()
    assert "Rory Responder" in body
    assert "Olive Outsider" not in body
