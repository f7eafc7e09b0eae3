"""Roles from the incident page, and a second responder's open page following them live (issue 18)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from incidents.models import IncidentStatus, TimelineEntry

pytestmark = pytest.mark.django_db(transaction=True)


def test_assign_a_scribe_hand_over_command_and_a_second_page_follows_within_5s(
    live_server, browser, sign_in, shot, commander, responder, viewer, incident
):
    url = f"{live_server.url}/incidents/{incident.number}/"
    second = browser.new_context().new_page()
    sign_in(second, viewer)
    second.goto(url)
    expect(second.locator("#incident-head [data-role=scribe]")).to_have_text("—")

    page = browser.new_context().new_page()
    sign_in(page, commander)
    page.goto(url)
    # Keyboard only: type in the scribe picker, Down to the suggestion, Enter picks it.
    picker = page.locator("#pick-scribe")
    picker.focus()
    page.keyboard.type("Rory")
    expect(page.locator("#pick-scribe-list [data-option]")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#people-card .notice")).to_have_text("Scribe: Rory Responder.")
    expect(page.locator("#pick-scribe")).to_be_focused()

    # The second responder's page shows the new scribe without a reload.
    expect(second.locator("#incident-head [data-role=scribe]")).to_have_text("Rory Responder", timeout=5000)
    expect(second.locator("#people-card [data-role=scribe]")).to_have_text("Rory Responder", timeout=5000)

    page.get_by_role("button", name="Resolve").click()
    expect(page.locator(".badge.status")).to_have_text("Resolved")
    expect(second.locator("#incident-head .badge.status")).to_have_text("Resolved", timeout=5000)

    # Enter in the box with no suggestion picked first goes to the first suggestion.
    handover = page.locator("#pick-commander")
    handover.fill("Rory")
    expect(page.locator("#pick-commander-list [data-option]")).to_have_count(1)
    handover.press("Enter")
    expect(page.locator("#people-card .notice")).to_have_text("Command handed over to Rory Responder.")
    expect(second.locator("#incident-head [data-role=commander]")).to_have_text(
        "Rory Responder", timeout=5000
    )

    incident.refresh_from_db()
    assert incident.scribe == responder
    assert incident.commander == responder
    assert incident.status == IncidentStatus.RESOLVED
    bodies = list(TimelineEntry.objects.filter(incident=incident).values_list("body", flat=True))
    assert bodies.count("Scribe: Rory Responder") == 1
    assert bodies.count("Commander: Rory Responder") == 1
    shot(page, "people-card-commander")
    shot(second, "people-live-second-responder")
