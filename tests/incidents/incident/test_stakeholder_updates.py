"""Stakeholder updates: a structured update posted on an incident by those who may record on it, stored with
its Markdown sanitised, one timeline entry each; bad input is refused naming the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError

from incidents.errors import AccessDenied
from incidents.incident.services.updates import stakeholder_update_post
from incidents.models import StakeholderUpdate, TimelineEntry, Visibility

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)


def _post(incident, actor, **changes):
    values: dict[str, Any] = {
        "status": "identified",
        "customer_impact": "Checkout fails for **some** EU customers.",
        "doing": "Rolling back deploy 2026.12.03-1.",
        "next_update_at": NOW + timedelta(minutes=30),
    }
    values.update(changes)
    return stakeholder_update_post(incident=incident, actor=actor, **values)


@time_machine.travel(NOW, tick=False)
def test_an_update_is_stored_with_one_communication_entry(commander, incident):
    update = _post(incident, commander)
    assert (update.status, update.posted_by, update.posted_at) == ("identified", commander, NOW)
    assert update.next_update_at == NOW + timedelta(minutes=30)
    assert "<strong>some</strong>" in update.customer_impact_html
    entries = TimelineEntry.objects.filter(incident=incident, kind="communication")
    assert [e.body.splitlines()[0] for e in entries] == ["**Stakeholder update: Identified**"]
    assert "Rolling back deploy" in entries.get().body


@time_machine.travel(NOW, tick=False)
def test_markdown_in_an_update_is_sanitised(commander, incident):
    update = _post(
        incident,
        commander,
        customer_impact='<script>alert(1)</script>[x](javascript:alert(2)) <img src=x onerror="alert(3)">',
        doing="<b onclick='x()'>bold</b>",
    )
    html = update.customer_impact_html + update.doing_html
    for bad in ("<script", "javascript:", "onerror", "onclick"):
        assert bad not in html


@time_machine.travel(NOW, tick=False)
def test_the_communications_lead_may_post_and_a_viewer_may_not(responder, viewer, commander, incident):
    incident.communications_lead = responder
    incident.save()
    assert _post(incident, responder).posted_by == responder
    with pytest.raises(AccessDenied) as refused:
        _post(incident, viewer)
    assert refused.value.visible
    assert StakeholderUpdate.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_someone_outside_a_restricted_incident_is_told_it_does_not_exist(responder, incident):
    incident.visibility = Visibility.RESTRICTED
    incident.save()
    with pytest.raises(AccessDenied) as refused:
        _post(incident, responder)
    assert not refused.value.visible
    assert not StakeholderUpdate.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_empty_fields_and_a_past_next_update_are_refused_naming_each(commander, incident):
    commander.time_zone = "Europe/Amsterdam"
    commander.save()
    with pytest.raises(ValidationError) as refused:
        _post(
            incident,
            commander,
            status="fixed",
            customer_impact="  ",
            doing="",
            next_update_at=NOW - timedelta(minutes=5),
        )
    errors = refused.value.message_dict
    assert set(errors) == {"status", "customer_impact", "doing", "next_update_at"}
    assert "13:55 CET" in errors["next_update_at"][0]  # the past time, in the writer's zone
    assert "must be after now" in errors["next_update_at"][0]
    assert not StakeholderUpdate.objects.exists()
    assert not TimelineEntry.objects.filter(kind="communication").exists()


@time_machine.travel(NOW, tick=False)
def test_only_a_final_update_may_promise_no_next_one(commander, incident):
    with pytest.raises(ValidationError) as refused:
        _post(incident, commander, next_update_at=None)
    assert "next_update_at" in refused.value.message_dict
    with pytest.raises(ValidationError):
        _post(incident, commander, next_update_at=NOW + timedelta(days=8))
    final = _post(incident, commander, status="resolved", next_update_at=None)
    assert final.next_update_at is None
