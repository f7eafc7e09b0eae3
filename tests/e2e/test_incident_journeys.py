"""Journeys during an incident: sign in, declare, record together, resolve."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from incidents.models import Incident, IncidentStatus, TimelineEntry

pytestmark = pytest.mark.django_db(transaction=True)


def test_responder_signs_in_declares_records_and_resolves(live_server, page, sign_in, shot, commander):
    sign_in(page, commander)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    page.get_by_role("link", name="Declare incident").click()
    page.get_by_label("Title").fill("Checkout returns 502 for EU customers")
    page.get_by_label("Severity").select_option("SEV2")
    page.get_by_role("button", name="Declare").click()
    expect(page.get_by_role("heading", name="Checkout returns 502 for EU customers")).to_be_visible()
    incident = Incident.objects.get(title="Checkout returns 502 for EU customers")

    box = page.locator("#qa-body")
    box.fill("Rolled back the payment gateway deploy")
    box.press("Enter")
    expect(page.locator("#timeline").get_by_text("Rolled back the payment gateway deploy")).to_be_visible()
    expect(box).to_have_value("")
    expect(box).to_be_focused()

    page.get_by_role("button", name="Resolve").click()
    expect(page.locator(".badge.status")).to_have_text("Resolved")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.timeline_entries.filter(body="Rolled back the payment gateway deploy").exists()
    shot(page, "declare-record-resolve")


def test_keyboard_only_quick_add(live_server, page, sign_in, shot, commander, incident):
    sign_in(page, commander)
    page.goto(f"{live_server.url}/incidents/{incident.number}/")
    box = page.locator("#qa-body")
    box.focus()
    page.keyboard.type("Paged the database on-call")
    page.keyboard.press("Tab")  # kind
    page.keyboard.type("Escalation")
    page.keyboard.press("Tab")  # time
    page.keyboard.type("-5m")
    page.keyboard.press("Tab")  # Add button
    page.keyboard.press("Enter")
    expect(page.locator("#timeline").get_by_text("Paged the database on-call")).to_be_visible()
    entry = TimelineEntry.objects.get(body="Paged the database on-call")
    assert entry.kind == "escalation"
    assert entry.recorded_at - entry.occurred_at > __import__("datetime").timedelta(minutes=4)
    expect(page.locator("#qa-body")).to_be_focused()
    shot(page, "keyboard-quick-add")


def test_two_responders_see_each_others_entries_within_five_seconds(
    live_server, browser, sign_in, shot, commander, responder, incident
):
    contexts = [browser.new_context(), browser.new_context()]
    pages = [c.new_page() for c in contexts]
    for page, user in zip(pages, (commander, responder), strict=True):
        sign_in(page, user)
        page.goto(f"{live_server.url}/incidents/{incident.number}/")
    texts = ["Cora: error rate back under 1%", "Rory: EU traffic moved to the Dublin region"]
    # Both type at once (without waiting for the other), then each must see the other's entry.
    for page, text in zip(pages, texts, strict=True):
        page.locator("#qa-body").fill(text)
    for page in pages:
        page.locator("#qa-body").press("Enter")
    for page, other in zip(pages, reversed(texts), strict=True):
        expect(page.locator("#timeline").get_by_text(other)).to_be_visible(timeout=5000)
    assert TimelineEntry.objects.filter(incident=incident, body__in=texts).count() == 2
    shot(pages[0], "two-responders-live")
    for c in contexts:
        c.close()


def test_outsider_guessing_an_incident_url_sees_not_found(live_server, page, sign_in, outsider, incident):
    sign_in(page, outsider)
    response = page.goto(f"{live_server.url}/incidents/{incident.number}/")
    assert response.status == 404
    assert incident.title not in page.content()
    assert re.search("not found", page.content(), re.I)
