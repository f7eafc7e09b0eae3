"""Roles from the incident page, and a second responder's open page following them live (issue 18): the
picker stays closed after a pick, the tab's title follows a new title, and a page whose incident became
restricted to others says so and stops polling."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from incidents.incident.services.edits import incident_update
from incidents.models import IncidentStatus, TimelineEntry, Visibility
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_assign_a_scribe_hand_over_command_and_a_second_page_follows_within_5s(
    live_server, browser, sign_in, shot, commander, responder, team, incident
):
    url = f"{live_server.url}/incidents/{incident.number}/"
    # A second responder of the team follows on their own open page (their name matches no "Rory" search).
    sam = UserFactory(email="sam@example.com", display_name="Sam Second")
    MembershipFactory(user=sam, team=team, role=Membership.Role.RESPONDER)
    second = browser.new_context().new_page()
    sign_in(second, sam)
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
    # The picker keeps the focus, and its list stays closed until the user types again.
    page.wait_for_timeout(1000)
    expect(page.locator("#pick-scribe-list [data-option]")).to_have_count(0)
    expect(page.locator("#pick-scribe")).to_have_attribute("aria-expanded", "false")

    # The second responder's page shows the new scribe without a reload.
    expect(second.locator("#incident-head [data-role=scribe]")).to_have_text("Rory Responder", timeout=5000)
    expect(second.locator("#people-card [data-role=scribe]")).to_have_text("Rory Responder", timeout=5000)

    # A timeline entry from a box the user resized (its inline size comes from the resize grip): the
    # quick-add form comes back without an inline style the CSP would refuse (a console error).
    page.locator("#qa-body").evaluate("(box) => { box.style.height = '7rem'; }")
    page.locator("#qa-body").fill("Failing over to the replica")
    page.locator("#qa-body").press("Enter")
    expect(page.locator("#timeline-list")).to_contain_text("Failing over to the replica")
    # The header's time box has a visible label of its own (and a unique id beside the severity card's).
    expect(page.locator("#incident-head label[for=status_when]")).to_have_text("When")
    expect(page.locator("#incident-head").get_by_label("When (your time zone")).to_have_id("status_when")
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


@pytest.mark.console_errors_allowed(
    "the polls of a page whose incident became restricted answer 404, which Chromium logs",
    matching=r"status of 404",
)
def test_the_tab_follows_a_new_title_and_a_page_that_lost_sight_of_its_incident_says_so(
    live_server, browser, sign_in, shot, commander, viewer, incident
):
    page = browser.new_context().new_page()
    sign_in(page, viewer)
    page.goto(f"{live_server.url}/incidents/{incident.number}/")
    incident_update(incident=incident, actor=commander, title="Checkout returns 502s")
    expect(page).to_have_title(f"{incident.reference} Checkout returns 502s · Hindsight", timeout=5000)
    expect(page.locator("#incident-head h1")).to_have_text("Checkout returns 502s")

    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/header/" in r.url or "/changes/" in r.url else None)
    incident.refresh_from_db()
    incident_update(incident=incident, actor=commander, visibility=Visibility.RESTRICTED)
    notice = page.get_by_role("alert")
    expect(notice).to_contain_text("This incident is no longer visible to you", timeout=5000)
    expect(page).to_have_title("No longer visible · Hindsight")
    page.wait_for_timeout(500)
    asked = len(polls)
    page.wait_for_timeout(4000)  # both polls ask every 2-3 s: none asks again
    assert len(polls) == asked, f"the page kept polling: {polls[asked:]}"
    assert page.locator("#incident-gone").count() == 1
    shot(page, "people-incident-no-longer-visible")
