"""The timeline entry edit page after a conflict: merged three ways, so saving again never reverts the
other person's edit (issue 15), like the incident, postmortem, action item and finding editors."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from incidents.timefmt import format_time
from incidents.timeline.services import timeline_entry_add
from tests.factories import TimelineEntryFactory

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


def edit_url(entry) -> str:
    return reverse("incidents:timeline_edit", args=[entry.incident.number, entry.pk])


def opened(client, entry) -> dict:
    """The edit form as the browser would post it back unchanged (the checkbox only when checked)."""
    form = client.get(edit_url(entry)).context["form"]
    data = {name: form[name].value() for name in form.fields}
    return {k: ("on" if v is True else v) for k, v in data.items() if v not in (None, False)}


def shown(response) -> dict:
    """What a re-shown form would post when the user presses Save again without touching it."""
    form = response.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("on" if v is True else v) for k, v in data.items() if v not in (None, False)}
    if response.context.get("must_choose"):
        data["must_choose"] = response.context["must_choose"]
    return data


@pytest.fixture
def entry(incident, commander):
    return TimelineEntryFactory(incident=incident, author=commander, body="Restarted db-1", knew_then="")


def test_saving_again_after_a_conflict_keeps_the_other_persons_text(client_for, commander, responder, entry):
    cora, rory = client_for(commander), client_for(responder)
    coras, rorys = opened(cora, entry), opened(rory, entry)
    assert cora.post(edit_url(entry), {**coras, "body": "Restarted db-2 (not db-1)"}).status_code == 302
    # Rory only adds what was known then, from the version he opened.
    refused = rory.post(edit_url(entry), {**rorys, "knew_then": "We thought it was the disk"})
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "Updated by someone else" in html
    assert "Changed by both of you" not in html  # no real conflict: nothing to choose
    again = shown(refused)
    assert again["body"] == "Restarted db-2 (not db-1)"
    assert again["knew_then"] == "We thought it was the disk"
    assert rory.post(edit_url(entry), again).status_code == 302
    entry.refresh_from_db()
    assert (entry.body, entry.knew_then) == ("Restarted db-2 (not db-1)", "We thought it was the disk")


def test_another_persons_new_time_and_key_moment_survive_a_text_edit(
    client_for, commander, responder, incident
):
    entry = timeline_entry_add(incident=incident, actor=commander, body="Failover started")
    cora, rory = client_for(commander), client_for(responder)
    coras, rorys = opened(cora, entry), opened(rory, entry)
    moved = (entry.occurred_at - timedelta(minutes=7)).isoformat(timespec="seconds")
    assert cora.post(edit_url(entry), {**coras, "when": moved, "is_key_moment": "on"}).status_code == 302
    entry.refresh_from_db()
    cora_time = entry.occurred_at
    refused = rory.post(edit_url(entry), {**rorys, "body": "Failover to the standby started"})
    assert refused.status_code == 409
    assert rory.post(edit_url(entry), shown(refused)).status_code == 302
    entry.refresh_from_db()
    assert entry.body == "Failover to the standby started"
    assert entry.occurred_at == cora_time
    assert entry.is_key_moment is True


def test_a_text_both_changed_must_be_chosen_and_saves_the_chosen_one(client_for, commander, responder, entry):
    cora, rory = client_for(commander), client_for(responder)
    coras, rorys = opened(cora, entry), opened(rory, entry)
    assert cora.post(edit_url(entry), {**coras, "body": "Cora's text"}).status_code == 302
    refused = rory.post(edit_url(entry), {**rorys, "body": "Rory's text", "evidence": "diagnosis"})
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "Changed by both of you" in html
    assert 'name="keep_body"' in html
    assert "Rory&#x27;s text" in html
    assert "Cora&#x27;s text" in html
    assert refused.context["must_choose"] == "body"
    again = shown(refused)
    assert again["body"] == "Rory's text"  # the form keeps mine, to edit or choose
    assert again["evidence"] == "diagnosis"
    # Saving without choosing saves nothing and asks again.
    unchosen = rory.post(edit_url(entry), again)
    assert unchosen.status_code == 409
    assert "choose which value to keep" in unchosen.content.decode()
    entry.refresh_from_db()
    assert (entry.body, entry.evidence) == ("Cora's text", "")
    assert rory.post(edit_url(entry), {**again, "keep_body": "theirs"}).status_code == 302
    entry.refresh_from_db()
    assert (entry.body, entry.evidence) == ("Cora's text", "diagnosis")


def test_keeping_mine_after_a_conflict_saves_mine(client_for, commander, responder, entry):
    cora, rory = client_for(commander), client_for(responder)
    coras, rorys = opened(cora, entry), opened(rory, entry)
    cora.post(edit_url(entry), {**coras, "body": "Cora's text"})
    refused = rory.post(edit_url(entry), {**rorys, "body": "Rory's text"})
    assert rory.post(edit_url(entry), {**shown(refused), "keep_body": "mine"}).status_code == 302
    entry.refresh_from_db()
    assert entry.body == "Rory's text"


def test_in_place_editing_gets_the_merged_form_to_swap_in(client_for, commander, responder, entry):
    cora, rory = client_for(commander), client_for(responder)
    coras, rorys = opened(cora, entry), opened(rory, entry)
    cora.post(edit_url(entry), {**coras, "body": "Cora's text"}, headers=HX)
    refused = rory.post(edit_url(entry), {**rorys, "is_key_moment": "on"}, headers=HX)
    assert refused.status_code == 422  # htmx swaps 422 in place
    again = shown(refused)
    assert again["body"] == "Cora's text"
    assert again["is_key_moment"] == "on"
    assert rory.post(edit_url(entry), again, headers=HX).status_code == 200
    entry.refresh_from_db()
    assert entry.body == "Cora's text"
    assert entry.is_key_moment


def test_a_third_edit_after_the_conflict_is_caught_again(client_for, commander, responder, admin_user, entry):
    cora, rory, ada = client_for(commander), client_for(responder), client_for(admin_user)
    coras, rorys = opened(cora, entry), opened(rory, entry)
    cora.post(edit_url(entry), {**coras, "body": "Second"})
    refused = rory.post(edit_url(entry), {**rorys, "knew_then": "Known"})
    ada.post(edit_url(entry), {**opened(ada, entry), "body": "Third"})
    again = rory.post(edit_url(entry), shown(refused))
    assert again.status_code == 409
    assert rory.post(edit_url(entry), shown(again)).status_code == 302
    entry.refresh_from_db()
    assert (entry.body, entry.knew_then) == ("Third", "Known")


def test_a_time_both_changed_is_offered_as_a_time_with_both_times_in_the_readers_zone(
    client_for, commander, responder, incident
):
    entry = timeline_entry_add(
        incident=incident, actor=commander, body="Failover", occurred_at=incident.started_at
    )
    responder.time_zone = "Asia/Kolkata"
    responder.save()
    cora, rory = client_for(commander), client_for(responder)
    coras, rorys = opened(cora, entry), opened(rory, entry)
    theirs = entry.occurred_at + timedelta(minutes=7)
    mine = entry.occurred_at + timedelta(minutes=12)
    assert cora.post(edit_url(entry), {**coras, "when": theirs.isoformat()}).status_code == 302
    refused = rory.post(edit_url(entry), {**rorys, "when": mine.isoformat()})
    assert refused.status_code == 409
    html = refused.content.decode()
    assert 'name="keep_when"' in html
    kolkata = ZoneInfo("Asia/Kolkata")
    assert f"your time ({format_time(mine, kolkata)}) (in the form)" in html
    assert f"the current time ({format_time(theirs, kolkata)})" in html
    assert "your text" not in html
    assert "edit it to combine both" not in html
    assert rory.post(edit_url(entry), {**shown(refused), "keep_when": "mine"}).status_code == 302
    entry.refresh_from_db()
    assert entry.occurred_at == mine
