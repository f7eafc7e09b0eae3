"""Every main page fits a 390 px phone and a 1280 px laptop: nothing overflows sideways.

The demo (the GitLab.com outage, its timeline, postmortem, action items and findings) is loaded, with the
incident's title, an action item's and a finding's title, a timeline entry and a lesson made one unbroken
200-character word each (what a pasted URL or log line does), and each main page is opened as a responder
and as an admin at both widths. On each, the document must not scroll sideways (`scrollWidth <=
clientWidth`); a failure names the elements that stick out. On the incident page nothing is cut off
either: no element that hides its overflow (or ends it with an ellipsis) holds more than it shows, no
placeholder is wider than its box, and no short word is broken over two lines ("unkn / own"). At 1280 px the main
navigation must sit on one line; at 390 px it is a menu behind a button. A full-page screenshot of every
page at both widths (its first 5,000 px) is kept under `test-artifacts/e2e/widths/` (the path is printed).
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from incidents.demo import load_demo
from incidents.demo.people import demo_user
from incidents.models import (
    ActionItem,
    Incident,
    IncidentStatus,
    IncidentType,
    PolicyFinding,
    Postmortem,
    Service,
    TimelineEntry,
)
from incidents.review.services import postmortems as review_svc
from incidents.review.services.factors import factor_create
from tests.e2e.conftest import ARTIFACTS, PASSWORD
from tests.factories import IncidentTypeFactory

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (390, 1280)
SHOTS = ARTIFACTS / "widths"
MAX_SHOT = 5000

# What sticks out: elements whose right edge passes the viewport, innermost first, at most 5.
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1 && !el.closest(".visually-hidden")) {
      const inner = [...el.children].some((c) => c.getBoundingClientRect().right > width + 1);
      if (!inner) out.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}` +
        `${el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : ""}` +
        ` right=${Math.round(box.right)}`);
    }
  }
  return out.slice(0, 5);
}"""


# What is cut off: an element that hides its overflow holding more than it shows, a placeholder wider than
# its box, a word of at most 20 letters broken over two lines (a column squeezed to a few letters).
CLIPPED = """() => {
  const out = [];
  const measure = document.createElement("canvas").getContext("2d");
  // A stacked table's head is hidden for the eye (each cell carries its label) and kept for screen readers.
  const shown = (el) => el.getClientRects().length && !el.closest(".visually-hidden, [hidden], table.stack > thead");
  for (const el of document.querySelectorAll("main *")) {
    if (!shown(el)) continue;
    const cs = getComputedStyle(el);
    const name = `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}`;
    const hides = ["hidden", "clip"].includes(cs.overflowX) || cs.textOverflow === "ellipsis";
    if (hides && el.clientWidth && el.scrollWidth > el.clientWidth + 1 && !el.matches("textarea, select")) {
      out.push(`${name} cuts off "${(el.textContent || "").trim().slice(0, 30)}" (${el.scrollWidth} > ${el.clientWidth})`);
    }
    if (el.matches("input[placeholder]")) {
      measure.font = cs.font;
      const room = el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
      const text = measure.measureText(el.placeholder).width;
      if (text > room + 1) out.push(`${name} cuts off its placeholder "${el.placeholder}" (${Math.round(text)} > ${room})`);
    }
  }
  const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement || !shown(node.parentElement)) continue;
    for (const m of node.data.matchAll(/(?<![\\p{L}\\p{N}_])[\\p{L}\\p{N}_]{2,20}(?![\\p{L}\\p{N}_])/gu)) {
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const lines = new Set([...range.getClientRects()].filter((r) => r.width).map((r) => Math.round(r.top)));
      if (lines.size > 1) out.push(`"${m[0]}" broken over ${lines.size} lines in ${node.parentElement.tagName.toLowerCase()}`);
    }
  }
  return [...new Set(out)].slice(0, 8);
}"""
# One unbroken word of 200 characters: a pasted URL, a log line, a hash.
LONG = "gitlab-database-replication-lag-" + "x" * 168
CLIPPED_CHECKED = {"incident"}


def _pages(incident: Incident, admin: bool) -> dict[str, str]:
    """Every page of the main navigation (each link of base.html's nav but Django's own admin, plus
    Declare and the profile beside it) and the pages of one incident, postmortem, action item and finding
    (the demo's, with the long title)."""
    number = incident.number
    item = ActionItem.objects.filter(title=LONG).get()
    finding = PolicyFinding.objects.filter(title=LONG).get()
    pages = {
        "dashboard": "/",
        "incident-list": "/incidents/",
        "status": "/status/",
        "declare": "/incidents/declare/",
        "incident": f"/incidents/{number}/",
        "postmortem": f"/incidents/{number}/postmortem/",
        "library": "/postmortems/",
        "lessons": "/postmortems/lessons/",
        "my-work": "/my-work/",
        "board": "/action-items/",
        "item": f"/action-items/{item.pk}/",
        "findings": "/findings/",
        "finding": f"/findings/{finding.pk}/",
        "insights": "/insights/",
        "search": "/search/?q=database",
        "subscriptions": "/subscriptions/",
        "profile": "/accounts/profile/",
    }
    if admin:
        service = Service.objects.order_by("slug")[0]
        kind = IncidentType.objects.order_by("slug")[0]
        pages.update(
            {
                "settings": "/settings/",
                "settings-services": "/settings/services/",
                "settings-service": f"/settings/services/{service.slug}/",
                "settings-tags": "/settings/tags/",
                "settings-types": "/settings/types/",
                "settings-type": f"/settings/types/{kind.slug}/",
                "settings-process-rules": "/settings/process-rules/",
                "settings-mailing-lists": "/settings/mailing-lists/",
                "settings-chat": "/settings/chat/",
                "settings-integrations": "/settings/integrations/",
                "settings-trackers": "/settings/trackers/",
                "settings-invitations": reverse("accounts:invitations"),
            }
        )
    return pages


@pytest.fixture
def demo(db):
    load_demo()
    for key in ("dba", "admin"):
        user = demo_user(key)
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    incident = Incident.objects.get(number=1)
    Incident.objects.filter(pk=incident.pk).update(title=LONG)
    ActionItem.objects.filter(pk=ActionItem.objects.filter(incident=incident).order_by("pk")[0].pk).update(
        title=LONG
    )
    PolicyFinding.objects.filter(pk=PolicyFinding.objects.order_by("pk")[0].pk).update(title=LONG)
    entry = TimelineEntry.objects.filter(incident=incident).order_by("occurred_at", "pk")[0]
    entry.body = LONG
    entry.save()
    postmortem = Postmortem.objects.get(incident=incident)
    postmortem.sections = {**postmortem.sections, "lessons": LONG}
    postmortem.save()
    IncidentTypeFactory(name="Data loss", slug="data-loss")  # the demo has none: its settings page is empty
    return incident


def _screenshot(page, path, width: int) -> None:
    """The page from the top, at most `MAX_SHOT` px long (the demo's timeline runs to 20,000 px), keeping
    the caret (hiding it injects a style the CSP refuses: a console error of Playwright's own)."""
    height = min(page.evaluate("() => document.documentElement.scrollHeight"), MAX_SHOT)
    clip = {"x": 0, "y": 0, "width": width, "height": height}
    page.screenshot(path=str(path), full_page=True, clip=clip, caret="initial", timeout=60_000)


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


@pytest.mark.parametrize("persona", ["dba", "admin"])
def test_every_main_page_fits_a_phone_and_a_laptop(live_server, browser, demo, persona):
    user = demo_user(persona)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _sign_in(page, live_server.url, user.email)
    SHOTS.mkdir(parents=True, exist_ok=True)
    print(f"screenshots in {SHOTS}")
    overflow: dict[str, list[str]] = {}
    clipped: dict[str, list[str]] = {}
    pages = _pages(demo, admin=user.is_staff)
    # Every link of the header (nav, Declare, profile) is among the pages checked, but Django's admin.
    header = page.locator("header a[href^='/']").evaluate_all("links => links.map((a) => a.pathname)")
    paths = {path.split("?")[0] for path in pages.values()}
    assert {h for h in header if not h.startswith("/admin/")} <= paths, header
    for name, path in pages.items():
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None
            assert response.status == 200, f"{path} answered {response.status} to {persona}"
            _screenshot(page, SHOTS / f"{persona}-{name}-{width}.png", width)
            sizes = page.evaluate(
                "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            if sizes[0] > sizes[1]:
                overflow[f"{name} at {width}px ({sizes[0]} > {sizes[1]})"] = page.evaluate(OVERFLOWING)
            if name in CLIPPED_CHECKED and (cut := page.evaluate(CLIPPED)):
                clipped[f"{name} at {width}px"] = cut
    context.close()
    assert not overflow, "pages overflow sideways:\n" + "\n".join(f"{k}: {v}" for k, v in overflow.items())
    assert not clipped, "pages cut text off:\n" + "\n".join(f"{k}: {v}" for k, v in clipped.items())


def _overflow(page, width: int) -> list[str]:
    """What sticks out sideways of the page at `width` (nothing when the document fits)."""
    sizes = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    if sizes[0] <= sizes[1]:
        return []
    return [f"{sizes[0]} > {sizes[1]}", *page.evaluate(OVERFLOWING)]


# A contributing factor's title as people write them: a sentence, not a word (its option widens a select).
FACTOR = "The replica's hostname looked just like the primary's"


def test_the_postmortem_editor_and_meeting_mode_fit_with_long_factor_titles(
    live_server, browser, sign_in, commander, incident
):
    Incident.objects.filter(pk=incident.pk).update(status=IncidentStatus.RESOLVED, resolved_at=timezone.now())
    incident.refresh_from_db()
    review_svc.postmortem_start(incident=incident, actor=commander, template=None)
    for category, title in (("configuration", FACTOR), ("infrastructure", LONG)):
        factor_create(incident=incident, actor=commander, category=category, title=title)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, commander)
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = f"{live_server.url}/incidents/{incident.number}/postmortem/"
    overflow: dict[str, list[str]] = {}
    for name, path in (("meeting", "meeting/"), ("postmortem-edit", "edit/")):
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            response = page.goto(base + path)
            assert response is not None
            assert response.status == 200, f"{path} answered {response.status}"
            if name == "meeting":
                expect(page.get_by_label("Addresses factor")).to_contain_text(FACTOR)
            _screenshot(page, SHOTS / f"commander-{name}-{width}.png", width)
            if found := _overflow(page, width):
                overflow[f"{name} at {width}px"] = found
    context.close()
    assert not overflow, "pages overflow sideways:\n" + "\n".join(f"{k}: {v}" for k, v in overflow.items())


def test_the_nav_is_one_line_at_1280_and_a_menu_on_a_phone(live_server, page, demo):
    _sign_in(page, live_server.url, demo_user("admin").email)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/")
    nav = page.locator("nav.main-nav")
    tops = nav.locator("a").evaluate_all(
        "links => links.map((a) => Math.round(a.getBoundingClientRect().top))"
    )
    assert len(set(tops)) == 1, f"the nav wraps at 1280 px: link tops {tops}"
    heights = nav.locator("a").evaluate_all("links => links.map((a) => a.getClientRects().length)")
    assert set(heights) == {1}, "a nav link breaks over two lines at 1280 px"
    edges = page.evaluate(
        """() => {
          const links = [...document.querySelectorAll("nav.main-nav a")].map((a) => a.getBoundingClientRect());
          const mine = document.querySelector(".user-nav").getBoundingClientRect();
          const h = document.querySelector("header.top");
          const overlaps = links.some((r) => r.right > mine.left && r.left < mine.right &&
                                              r.bottom > mine.top && r.top < mine.bottom);
          return {overlaps, right: Math.max(...links.map((r) => r.right)), width: h.clientWidth,
                  scroll: h.scrollWidth};
        }"""
    )
    assert not edges["overlaps"], "a nav link sits under the user's own links at 1280 px"
    assert edges["right"] <= edges["width"], f"the nav runs off the header at 1280 px: {edges}"
    assert edges["scroll"] <= edges["width"], f"the header sticks out sideways at 1280 px: {edges}"
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()

    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{live_server.url}/")
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    expect(nav.get_by_role("link", name="Library")).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    nav.get_by_role("link", name="Library").click()
    page.wait_for_url(f"{live_server.url}/postmortems/")
    expect(page.get_by_role("heading", name="Postmortem library")).to_be_visible()
