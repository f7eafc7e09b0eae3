"""History pages show changed times in the reader's zone with the zone label, never raw UTC."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse

from incidents.followup.services.items import action_item_change_status, action_item_update
from incidents.incident.services.edits import incident_update
from tests.factories import ActionItemFactory

pytestmark = pytest.mark.django_db


def test_a_changed_milestone_is_shown_in_the_readers_zone(client_for, commander, incident):
    commander.time_zone = "Europe/Copenhagen"
    commander.save()
    started = incident.started_at
    new = (started - dt.timedelta(minutes=30)).replace(microsecond=199943)
    incident_update(incident=incident, actor=commander, started_at=new)
    text = client_for(commander).get(reverse("incidents:history", args=[incident.number])).content.decode()
    local = new.astimezone(zoneinfo.ZoneInfo("Europe/Copenhagen"))
    assert f"{local:%Y-%m-%d %H:%M} {local.tzname()}" in text
    assert "+00:00" not in text
    assert ".199943" not in text


def test_item_history_shows_times_in_the_readers_zone(client_for, commander, incident):
    commander.time_zone = "Europe/Copenhagen"
    commander.save()
    item = ActionItemFactory(incident=incident, owner=commander)
    action_item_update(item=item, actor=commander, title="Renamed")
    item.refresh_from_db()
    action_item_change_status(item=item, actor=commander, status="done", note="Shipped in 4.2")
    text = client_for(commander).get(reverse("incidents:action_item_detail", args=[item.pk])).content.decode()
    assert "+00:00" not in text
