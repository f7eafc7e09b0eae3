"""The People card on the incident page: roles, participants, the people picker and their posts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.models import TimelineEntry, Visibility
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def entries(incident) -> list[str]:
    return list(TimelineEntry.objects.filter(incident=incident).order_by("id").values_list("body", flat=True))


def test_the_card_shows_roles_and_participants_with_pickers_for_the_commander(
    client_for, commander, incident
):
    page = client_for(commander).get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert 'id="people-card"' in page
    assert "Cora Commander" in page
    assert 'placeholder="Hand over command to…"' in page
    assert 'id="pick-scribe"' in page
    assert 'id="pick-participant"' in page


def test_a_viewer_sees_the_people_but_no_picker(client_for, viewer, incident):
    page = client_for(viewer).get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert 'id="people-card"' in page
    assert "Cora Commander" in page
    assert "data-picker" not in page


def test_giving_the_scribe_role_from_the_page_writes_one_entry(client_for, commander, responder, incident):
    before = len(entries(incident))
    url = reverse("incidents:role", args=[incident.number])
    response = client_for(commander).post(url, {"role": "scribe", "person": responder.pk}, **HTMX)
    assert response.status_code == 200
    assert "Scribe: Rory Responder." in response.content.decode()
    incident.refresh_from_db()
    assert incident.scribe == responder
    assert entries(incident)[before:] == ["Scribe: Rory Responder"]


def test_handing_over_command_without_htmx_redirects_with_a_message(
    client_for, commander, responder, incident
):
    url = reverse("incidents:role", args=[incident.number])
    response = client_for(commander).post(url, {"role": "commander", "person": responder.pk}, follow=True)
    assert "Command handed over to Rory Responder." in response.content.decode()
    incident.refresh_from_db()
    assert incident.commander == responder


def test_enter_without_a_pick_changes_nothing_and_says_so(client_for, commander, responder, incident):
    incident.scribe = responder
    incident.save()
    before = len(entries(incident))
    url = reverse("incidents:role", args=[incident.number])
    response = client_for(commander).post(url, {"role": "scribe", "q": "ror", "person": ""}, **HTMX)
    assert response.status_code == 422
    assert "Choose a person from the suggestions" in response.content.decode()
    incident.refresh_from_db()
    assert incident.scribe == responder
    assert len(entries(incident)) == before


def test_clearing_a_role_is_its_own_button(client_for, commander, responder, incident):
    incident.scribe = responder
    incident.save()
    url = reverse("incidents:role", args=[incident.number])
    response = client_for(commander).post(url, {"role": "scribe", "clear": "1"}, **HTMX)
    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.scribe is None
    assert entries(incident)[-1] == "Scribe: nobody"


def test_a_person_you_may_not_pick_is_a_form_error(client_for, commander, incident):
    incident.visibility = Visibility.RESTRICTED
    incident.save()
    stranger = UserFactory(display_name="Sam Stranger")  # in no team: not even a commander picks them
    url = reverse("incidents:role", args=[incident.number])
    response = client_for(commander).post(url, {"role": "scribe", "person": stranger.pk}, **HTMX)
    assert response.status_code == 422
    assert "Choose a person from the suggestions" in response.content.decode()
    incident.refresh_from_db()
    assert incident.scribe is None


def test_a_responder_who_may_not_command_cannot_change_roles(client_for, responder, viewer, incident):
    url = reverse("incidents:role", args=[incident.number])
    response = client_for(responder).post(url, {"role": "scribe", "person": viewer.pk}, **HTMX)
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.scribe is None


def test_adding_and_removing_a_participant_from_the_page(client_for, responder, viewer, incident):
    client = client_for(responder)
    url = reverse("incidents:participant", args=[incident.number])
    added = client.post(url, {"action": "add", "person": viewer.pk}, **HTMX)
    assert added.status_code == 200
    assert "Vera Viewer added as a participant." in added.content.decode()
    assert 'aria-label="Remove Vera Viewer from the participants"' in added.content.decode()
    removed = client.post(url, {"action": "remove", "person": viewer.pk}, **HTMX)
    assert "Vera Viewer removed from the participants." in removed.content.decode()
    assert [e for e in entries(incident) if "Participant" in e] == [
        "Participant added: Vera Viewer",
        "Participant removed: Vera Viewer",
    ]


def test_on_a_restricted_incident_a_responder_taking_part_may_not_add_people(
    client_for, responder, viewer, incident
):
    incident.visibility = Visibility.RESTRICTED
    incident.save()
    incident.participants.add(responder)
    url = reverse("incidents:participant", args=[incident.number])
    response = client_for(responder).post(url, {"action": "add", "person": viewer.pk}, **HTMX)
    assert response.status_code == 403
    assert not incident.participants.filter(pk=viewer.pk).exists()
    page = client_for(responder).get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert 'id="pick-participant"' not in page


def test_suggestions_are_at_most_eight_people_you_may_pick(client_for, commander, team, incident):
    for i in range(12):
        MembershipFactory(user=UserFactory(display_name=f"Pat {i:02}"), team=team)
    UserFactory(display_name="Pat Loner")  # in no team: never offered
    url = reverse("incidents:people_suggestions", args=[incident.number])
    body = client_for(commander).get(url, {"q": "pat", "for": "scribe"}).content.decode()
    assert body.count("data-option") == 8
    assert "Pat 00" in body
    assert "Pat Loner" not in body
    assert "More match" in body


def test_suggestions_search_by_email(client_for, commander, viewer, incident):
    url = reverse("incidents:people_suggestions", args=[incident.number])
    body = client_for(commander).get(url, {"q": "viewer@", "for": "participant"}).content.decode()
    assert body.count("data-option") == 1
    assert "Vera Viewer" in body


def test_a_viewer_gets_no_suggestions(client_for, viewer, incident):
    url = reverse("incidents:people_suggestions", args=[incident.number])
    assert client_for(viewer).get(url, {"q": "a"}).status_code == 403


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_people_card_keeps_the_page_query_count_flat(
    client_for, commander, team, incident, django_assert_max_num_queries
):
    client = client_for(commander)
    url = reverse("incidents:detail", args=[incident.number])
    one = _count(client, url)
    for i in range(20):
        person = UserFactory(display_name=f"Helper {i}")
        MembershipFactory(user=person, team=team)
        incident.participants.add(person)
    with django_assert_max_num_queries(17):  # the incident page's DETAIL_BUDGET
        page = client.get(url).content.decode()
    assert page.count("from the participants") == 20
    assert _count(client, url) == one


def test_the_incident_page_has_unique_ids_and_labelled_severity_and_reopen_boxes(
    client_for, commander, incident
):
    import re
    from collections import Counter

    incident.status = "resolved"
    incident.resolved_at = incident.started_at
    incident.save()
    page = client_for(commander).get(reverse("incidents:detail", args=[incident.number])).content.decode()
    ids = Counter(re.findall(r'\sid="([^"]+)"', page))
    assert [i for i, n in ids.items() if n > 1] == []
    for control in ("severity_reason", "severity_severity", "reopen_reason"):
        assert f'<label for="{control}">' in page
