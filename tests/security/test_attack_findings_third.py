"""What the third attack on issue 14 (an outside tester with only the README and the running app) got
through, each as a test.

The setting: `secret` is a restricted incident INC-4343 whose participants are `insider` (its commander)
and `partner`; `responder` (Platform, outside it) owns `item`, an action item on it.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Membership
from incidents.models import Visibility
from tests.factories import ActionItemFactory, IncidentFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def insider(team):
    user = UserFactory(email="insider@example.com", display_name="Ines Insider")
    MembershipFactory(user=user, team=team, role=Membership.Role.RESPONDER)
    return user


@pytest.fixture
def partner(team):
    user = UserFactory(email="partner@example.com", display_name="Pia Partner")
    MembershipFactory(user=user, team=team, role=Membership.Role.RESPONDER)
    return user


@pytest.fixture
def secret(insider, partner, team):
    inc = IncidentFactory(
        number=4343, title="Secret merger outage", visibility=Visibility.RESTRICTED, commander=insider
    )
    inc.participants.add(insider, partner)
    inc.teams.add(team)
    return inc


@pytest.fixture
def item(secret, responder):
    return ActionItemFactory(incident=secret, owner=responder, title="Rotate the vault keys")


# --- 1. The owner of an item on an incident they cannot see: its edit form and owner changes -------------
def test_the_edit_form_of_an_item_on_a_hidden_incident_names_neither_it_nor_its_people(
    client_for, responder, item, secret
):
    page = client_for(responder).get(reverse("incidents:action_item_edit", args=[item.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert secret.reference not in html
    for person in ("Ines Insider", "insider@example.com", "Pia Partner", "partner@example.com"):
        assert person not in html, f"the owner picker lists {person}, who takes part in the hidden incident"
    assert "Rory Responder" in html  # the owner they are stays shown


@pytest.mark.parametrize("to", ["partner", "viewer", "nobody"])
def test_the_owner_outside_the_incident_cannot_hand_the_item_on_and_learns_nothing_from_trying(
    request, api_for, responder, item, secret, to
):
    """Accepting a participant but refusing anyone else would tell who takes part; every try is refused
    alike, naming the field and no one."""
    person = None if to == "nobody" else request.getfixturevalue(to)
    body = {"owner": person.pk if person else None, "version": item.version}
    r = api_for(responder).patch(f"/api/v1/action-items/{item.pk}/", body, format="json")
    assert r.status_code == 400, r.content
    assert "owner" in r.json()
    assert secret.reference not in r.content.decode()
    item.refresh_from_db()
    assert item.owner == responder


def test_the_refusal_is_the_same_for_a_participant_and_anyone_else(api_for, responder, item, partner, viewer):
    def answer(person):
        r = api_for(responder).patch(f"/api/v1/action-items/{item.pk}/", {"owner": person.pk}, format="json")
        return r.status_code, r.json()

    assert answer(partner) == answer(viewer)


def test_the_form_keeps_the_owner_when_one_outside_the_incident_posts_another(
    client_for, responder, item, partner
):
    url = reverse("incidents:action_item_edit", args=[item.pk])
    data = {
        "title": "Rotate the vault keys now", "owner": partner.pk, "priority": "P2", "type": "prevent",
        "due_date": item.due_date.isoformat(), "version": item.version,
    }  # fmt: skip
    client_for(responder).post(url, data)
    item.refresh_from_db()
    assert item.owner == responder


def test_the_owner_outside_still_edits_the_rest_of_the_item(api_for, responder, item):
    r = api_for(responder).patch(
        f"/api/v1/action-items/{item.pk}/", {"title": "Rotate the vault keys now"}, format="json"
    )
    assert r.status_code == 200, r.content
    item.refresh_from_db()
    assert (item.title, item.owner) == ("Rotate the vault keys now", item.owner)


def test_someone_who_sees_the_incident_still_picks_among_its_participants(
    client_for, api_for, insider, partner, item, secret
):
    html = client_for(insider).get(reverse("incidents:action_item_edit", args=[item.pk])).content.decode()
    assert "Pia Partner" in html
    assert f"Someone who may record on {secret.reference}." in html
    r = api_for(insider).patch(f"/api/v1/action-items/{item.pk}/", {"owner": partner.pk}, format="json")
    assert r.status_code == 200, r.content
    item.refresh_from_db()
    assert item.owner == partner
