"""An action item on an incident is owned by someone who may record on it (issue 18)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.models import ActionItem
from tests.factories import ActionItemFactory

pytestmark = pytest.mark.django_db


def test_the_owner_list_offers_who_may_record_not_read_only_viewers(
    client_for, commander, responder, viewer, incident
):
    page = client_for(commander).get(reverse("incidents:action_item_new"), {"incident": incident.number})
    body = page.content.decode()
    assert f'<option value="{responder.pk}">Rory Responder</option>' in body
    assert "Vera Viewer" not in body


def test_a_viewer_as_owner_is_a_form_error_and_nothing_is_created(client_for, commander, viewer, incident):
    response = client_for(commander).post(
        reverse("incidents:action_item_new"),
        {
            "incident": incident.number,
            "title": "Snapshots",
            "owner": viewer.pk,
            "priority": "P2",
            "type": "prevent",
        },
    )
    assert response.status_code == 200
    # Someone the commander may pick is named, with why (an id they may not pick would be "not choosable").
    assert f"{viewer} may not record on {incident.reference}" in response.content.decode()
    assert not ActionItem.objects.exists()


def test_an_owner_who_lost_access_stays_selectable_until_changed(client_for, commander, viewer, incident):
    item = ActionItemFactory(incident=incident, owner=viewer, title="Hourly snapshots")
    url = reverse("incidents:action_item_edit", args=[item.pk])
    client = client_for(commander)
    body = client.get(url).content.decode()
    assert f'<option value="{viewer.pk}" selected>Vera Viewer</option>' in body
    response = client.post(
        url,
        {"title": "Hourly snapshots, checked", "owner": viewer.pk, "priority": "P2", "type": "prevent",
         "due_date": "2030-01-01", "version": item.version},
    )  # fmt: skip
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.title == "Hourly snapshots, checked"
    assert item.owner == viewer
