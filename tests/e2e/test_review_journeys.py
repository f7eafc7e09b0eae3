"""Journeys after an incident: write the postmortem blamelessly, run the meeting, review and publish."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Membership
from incidents.models import (
    ActionItem,
    ContributingFactor,
    IncidentStatus,
    Postmortem,
    PostmortemRead,
    PostmortemStatus,
    PostmortemVersion,
    Subscription,
)
from incidents.review.services import postmortems as review_svc
from incidents.review.services import reviews
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

BLAMING = "The intern should have checked the host before running the command."
SYSTEM = (
    "The runbook did not ask to confirm the host, and the tool accepted a command "
    "against the primary without a prompt."
)


@pytest.fixture
def resolved(incident):
    incident.status = IncidentStatus.RESOLVED
    incident.resolved_at = timezone.now() - dt.timedelta(minutes=10)
    incident.save()
    return incident


@pytest.fixture
def started(resolved, commander):
    return review_svc.postmortem_start(incident=resolved, actor=commander, template=None)


def test_blameless_warning_appears_while_typing_and_goes_when_reworded(
    live_server, page, sign_in, shot, commander, resolved
):
    sign_in(page, commander)
    page.goto(f"{live_server.url}/incidents/{resolved.number}/postmortem/")
    page.get_by_role("button", name="Start the postmortem").click()
    expect(page.get_by_role("heading", name="Edit the postmortem")).to_be_visible()

    trigger = page.get_by_role("textbox", name="Trigger", exact=True)
    preview = page.locator("#preview-trigger")
    trigger.fill(BLAMING)
    # The HTMX preview runs the blameless check on the server as the writer types.
    warning = preview.locator(".blameless-findings .finding")
    expect(warning.first).to_be_visible(timeout=5000)
    expect(warning.first.locator("mark")).to_have_text(
        ["The intern", "should have"]
    )  # who, and the judgement
    expect(warning.first.locator(".finding-suggestion")).to_contain_text("The host was not checked")

    trigger.fill(SYSTEM)
    expect(preview.locator(".blameless-clean")).to_be_visible(timeout=5000)
    expect(preview.locator(".blameless-findings")).to_have_count(0)
    expect(preview.get_by_text("the tool accepted a command")).to_be_visible()

    page.get_by_role("button", name="Save as version").click()
    expect(page.locator("#section-trigger")).to_contain_text("the tool accepted a command")
    expect(page.locator("#blameless .blameless-clean")).to_be_visible()
    pm = Postmortem.objects.get(incident=resolved)
    assert pm.sections["trigger"] == SYSTEM
    assert "should have" not in " ".join(pm.sections.values())
    shot(page, "postmortem-blameless-rewording")


def test_meeting_mode_captures_factors_and_an_action_item_without_leaving_the_page(
    live_server, page, sign_in, shot, commander, started
):
    incident = started.incident
    sign_in(page, commander)
    url = f"{live_server.url}/incidents/{incident.number}/postmortem/meeting/"
    page.goto(url)
    expect(page.get_by_role("heading", name="Quick capture")).to_be_visible()
    loads = []
    page.on("load", lambda _: loads.append(page.url))

    capture = page.locator("#capture")
    for category, title in (
        ("configuration", "The replica's hostname looked like the primary's"),
        ("access_control", "One engineer could run destructive commands on production alone"),
    ):
        capture.get_by_label("Factor category").select_option(category)
        capture.get_by_role("textbox", name="Contributing factor").fill(title)
        capture.get_by_role("button", name="Add factor").click()
        expect(page.locator("#meeting-factors").get_by_text(title)).to_be_visible()

    capture.get_by_role("textbox", name="Action item").fill(
        "Require a second person for destructive commands"
    )
    capture.get_by_label("Action item type").select_option("prevent")
    access = ContributingFactor.objects.get(incident=incident, category="access_control")
    capture.get_by_label("Addresses factor").select_option(value=str(access.pk))
    capture.get_by_role("button", name="Add action item").click()
    items = page.locator("#meeting-items")
    expect(items.get_by_text("Require a second person for destructive commands")).to_be_visible()
    expect(page.locator("#meeting-factors").get_by_text("(1 action item)")).to_be_visible()
    # Focus is back in the box for the next capture, and the item is owned by the facilitator by default.
    expect(capture.get_by_role("textbox", name="Action item")).to_be_focused()
    expect(items).to_contain_text(str(commander))

    assert page.url == url  # captured through HTMX: no navigation, no reload
    assert loads == []
    factors = ContributingFactor.objects.filter(incident=incident)
    assert sorted(factors.values_list("category", flat=True)) == ["access_control", "configuration"]
    item = ActionItem.objects.get(incident=incident)
    assert item.factor == factors.get(category="access_control")
    assert item.owner == commander
    shot(page, "meeting-quick-capture")


@pytest.mark.console_errors_allowed(
    "the server refuses the unconfirmed past due date with 400 and the form, which Chromium logs",
    matching=r"status of 400 .*/meeting/action/",
)
def test_a_quick_captured_item_due_in_the_past_asks_in_place_and_is_saved_once_confirmed(
    live_server, page, sign_in, commander, started
):
    incident = started.incident
    sign_in(page, commander)
    page.goto(f"{live_server.url}/incidents/{incident.number}/postmortem/meeting/")
    capture = page.locator("#capture")
    capture.get_by_role("textbox", name="Action item").fill("Restore a backup every week")
    capture.get_by_label("Action item type").select_option("detect")
    capture.get_by_label("Due date", exact=True).fill("2020-01-15")
    capture.get_by_role("button", name="Add action item").click()
    # The server answers 400 with the form and the question; htmx shows it in place with what was typed.
    expect(capture.get_by_role("alert")).to_contain_text("15 January 2020 is in the past")
    expect(capture.get_by_role("textbox", name="Action item")).to_have_value("Restore a backup every week")
    expect(capture.get_by_label("Action item type")).to_have_value("detect")
    expect(capture.get_by_label("Due date", exact=True)).to_have_value("2020-01-15")
    assert not ActionItem.objects.filter(incident=incident).exists()

    capture.get_by_label("Yes, keep this due date in the past").check()
    capture.get_by_role("button", name="Add action item").click()
    expect(page.locator("#meeting-items").get_by_text("Restore a backup every week")).to_be_visible()
    expect(capture.get_by_role("alert")).to_have_count(0)
    item = ActionItem.objects.get(incident=incident)
    assert (item.title, item.type, item.due_date) == (
        "Restore a backup every week",
        "detect",
        dt.date(2020, 1, 15),
    )


def test_the_meeting_saved_banner_goes_when_the_meeting_goes_on(
    live_server, page, sign_in, commander, started
):
    sign_in(page, commander)
    page.goto(f"{live_server.url}/incidents/{started.incident.number}/postmortem/meeting/")
    page.get_by_role("button", name="Save meeting").click()
    expect(page.locator(".messages")).to_contain_text("Meeting saved.")
    capture = page.locator("#capture")
    capture.get_by_role("textbox", name="Contributing factor").fill("Backups were never restored in a test")
    capture.get_by_role("button", name="Add factor").click()
    expect(
        page.locator("#meeting-factors").get_by_text("Backups were never restored in a test")
    ).to_be_visible()
    expect(page.locator(".messages")).to_have_count(0)
    expect(capture.get_by_role("textbox", name="Contributing factor")).to_be_focused()


def test_review_requested_approved_by_a_second_person_then_published_and_frozen(
    live_server, browser, sign_in, shot, commander, responder, viewer, outsider, team, started
):
    incident = started.incident
    review_svc.postmortem_save(
        postmortem=started, actor=commander, sections={"summary": SYSTEM}, expected_version=started.version
    )
    url = f"{live_server.url}/incidents/{incident.number}/postmortem/"
    author_ctx, reviewer_ctx = browser.new_context(), browser.new_context()
    author, reviewer = author_ctx.new_page(), reviewer_ctx.new_page()

    sign_in(author, commander)
    author.goto(url)
    review = author.locator("#review")
    review.get_by_label(str(responder)).check()
    review.get_by_role("button", name="Request review").click()
    expect(author.locator(".pm-status")).to_have_text("In review")
    expect(author.get_by_role("button", name="Approve version")).to_have_count(0)  # authors don't approve

    sign_in(reviewer, responder)
    reviewer.goto(url)
    reviewer.locator("#review").get_by_label("Comment").fill("Clear, and it names no one.")
    reviewer.get_by_role("button", name="Approve version").click()
    expect(reviewer.locator(".pm-status")).to_have_text("Approved")
    expect(reviewer.get_by_role("button", name="Publish")).to_have_count(0)  # the commander publishes

    author.reload()
    expect(author.locator(".pm-status")).to_have_text("Approved")
    expect(author.locator("#review")).to_contain_text("Clear, and it names no one.")
    author.once("dialog", lambda d: d.accept())  # "Publish and freeze this version?"
    author.get_by_role("button", name="Publish").click()
    expect(author.locator(".pm-status")).to_have_text("Published")
    expect(author.locator("#versions .badge", has_text="published")).to_have_count(1)
    expect(author.get_by_role("link", name="Edit", exact=True)).to_have_count(0)

    pm = Postmortem.objects.get(pk=started.pk)
    assert pm.status == PostmortemStatus.PUBLISHED
    frozen = PostmortemVersion.objects.get(postmortem=pm, is_published=True)
    assert frozen.sections["summary"] == SYSTEM
    # Frozen: the reviewer sees the postmortem but may not change it until the commander reopens it (403).
    assert reviewer.goto(url + "edit/").status == 403
    shot(author, "review-approve-publish")

    # The published postmortem is in the library for a subscriber of its team, with its summary, and
    # opening it counts them as a reader; an outsider finds neither the card nor the page.
    Subscription.objects.create(user=viewer, team=team)
    subscriber_ctx, outsider_ctx = browser.new_context(), browser.new_context()
    subscriber, stranger = subscriber_ctx.new_page(), outsider_ctx.new_page()
    sign_in(subscriber, viewer)
    subscriber.get_by_role("link", name="Library").click()
    card = subscriber.locator(f"#library-{incident.number}")
    expect(card).to_contain_text("the tool accepted a command")
    card.get_by_role("link", name=incident.title).click()
    expect(subscriber.locator(".read-receipts")).to_contain_text("engineers on the team (Platform) read it")
    shot(subscriber, "library-subscriber-reads-postmortem")
    sign_in(stranger, outsider)
    stranger.goto(f"{live_server.url}/postmortems/")
    expect(stranger.locator(".library-count")).to_have_text("0 published postmortems.")
    expect(stranger.get_by_text(incident.title)).to_have_count(0)
    assert stranger.goto(url).status == 404
    assert (
        PostmortemRead.objects.filter(postmortem=pm).count() == 1 + 1
    )  # the author's visit, the subscriber's
    for ctx in (author_ctx, reviewer_ctx, subscriber_ctx, outsider_ctx):
        ctx.close()


def test_two_reviewers_are_told_one_asks_for_changes_the_author_edits_both_approve_and_it_is_announced(
    live_server,
    browser,
    sign_in,
    shot,
    commander,
    responder,
    viewer,
    outsider,
    team,
    started,
    eager_celery,
    mailoutbox,
):
    """Issue 18's review journey, each step as its people see it, with every email counted."""
    incident = started.incident
    kiri = UserFactory(email="kiri@example.com", display_name="Kiri Reviewer", time_zone="Pacific/Auckland")
    MembershipFactory(user=kiri, team=team, role=Membership.Role.RESPONDER)
    Subscription.objects.create(user=viewer, team=team)
    Subscription.objects.create(user=outsider, incident=incident)  # cannot see it: told nothing
    review_svc.postmortem_save(
        postmortem=started, actor=commander, sections={"summary": SYSTEM}, expected_version=started.version
    )
    url = f"{live_server.url}/incidents/{incident.number}/postmortem/"

    def mails(kind: str) -> dict[str, int]:
        sent: dict[str, int] = {}
        for m in mailoutbox:
            if m.subject.startswith(kind):
                sent[m.to[0]] = sent.get(m.to[0], 0) + 1
        return sent

    contexts = [browser.new_context() for _ in range(3)]
    author, rory, kiri_page = (c.new_page() for c in contexts)
    sign_in(author, commander)
    author.goto(url)
    author.locator("#review").get_by_label(str(responder)).check()
    author.locator("#review").get_by_label(str(kiri)).check()
    author.locator("#review").get_by_role("button", name="Request review").click()
    expect(author.locator(".pm-status")).to_have_text("In review")
    assert mails("Review requested") == {responder.email: 1, kiri.email: 1}

    # Each reviewer finds it on My work.
    for page, user in ((rory, responder), (kiri_page, kiri)):
        sign_in(page, user)
        page.goto(f"{live_server.url}/my-work/")
        expect(page.locator("#waiting-reviews")).to_contain_text(incident.reference)

    # Rory asks for changes; the author is told (once).
    rory.goto(url)
    rory.locator("#review").get_by_label("Comment").fill("Say which prompt was missing.")
    rory.get_by_role("button", name="Request changes").click()
    expect(rory.locator("#review")).to_contain_text("Say which prompt was missing.")
    assert mails("Changes requested") == {commander.email: 1}

    # The author edits; Rory hears once that it waits for him again.
    author.goto(url + "edit/")
    author.get_by_role("textbox", name="Detection", exact=True).fill("The confirmation prompt for the host.")
    author.get_by_role("button", name="Save as version").click()
    expect(author.locator(".pm-status")).to_have_text("In review")
    assert mails("Ready for your review again") == {responder.email: 1}

    # Both approve the new version; the author is told once, when the last one approves.
    for page in (rory, kiri_page):
        page.goto(url)
        page.get_by_role("button", name="Approve version").click()
    expect(kiri_page.locator(".pm-status")).to_have_text("Approved")
    assert mails("Approved") == {commander.email: 1}

    author.reload()
    author.once("dialog", lambda d: d.accept())
    author.get_by_role("button", name="Publish").click()
    expect(author.locator(".pm-status")).to_have_text("Published")
    announced = mails("Postmortem published")
    assert announced.get(viewer.email) == 1
    assert outsider.email not in announced
    assert commander.email not in announced  # the publisher
    assert all(n == 1 for n in announced.values()), announced

    # In the library for the subscriber, not for the outsider.
    subscriber_ctx, outsider_ctx = browser.new_context(), browser.new_context()
    subscriber, stranger = subscriber_ctx.new_page(), outsider_ctx.new_page()
    sign_in(subscriber, viewer)
    subscriber.goto(f"{live_server.url}/postmortems/")
    expect(subscriber.locator(f"#library-{incident.number}")).to_contain_text("the tool accepted a command")
    sign_in(stranger, outsider)
    stranger.goto(f"{live_server.url}/postmortems/")
    expect(stranger.get_by_text(incident.title)).to_have_count(0)
    shot(subscriber, "review-two-reviewers-library")
    for ctx in (*contexts, subscriber_ctx, outsider_ctx):
        ctx.close()


TWO_BLAMES = "Dana forgot to renew the certificate. The outage was caused by human error."
ONE_REWORDED = (
    "The certificate was not renewed: renewal was a manual step with no reminder. "
    "The outage was caused by human error."
)


def test_reviewer_sees_blame_highlighted_author_rewords_one_dismisses_one_and_only_then_it_publishes(
    live_server, browser, sign_in, shot, commander, responder, started
):
    review_svc.postmortem_save(
        postmortem=started,
        actor=commander,
        sections={"trigger": TWO_BLAMES},
        expected_version=started.version,
    )
    reviews.postmortem_request_review(
        postmortem=Postmortem.objects.get(pk=started.pk), actor=commander, reviewers=[responder]
    )
    url = f"{live_server.url}/incidents/{started.incident.number}/postmortem/"
    author_ctx, reviewer_ctx = browser.new_context(), browser.new_context()
    author, reviewer = author_ctx.new_page(), reviewer_ctx.new_page()

    # The reviewer sees the blaming words highlighted in their sentence, why, and a rewording.
    sign_in(reviewer, responder)
    reviewer.goto(url)
    findings = reviewer.locator("#blameless .blameless-findings .finding")
    expect(findings).to_have_count(2)
    person = reviewer.locator('#blameless .finding[data-rule="person_subject"]')
    expect(person.locator(".finding-label")).to_have_text("A person as the cause")
    expect(person.locator("mark")).to_have_text(["Dana", "forgot"])
    expect(person.locator(".finding-suggestion")).to_contain_text("The certificate was not renewed")
    human = reviewer.locator('#blameless .finding[data-rule="human_error"]')
    expect(human.locator(".finding-label")).to_have_text('"Human error" as the cause')
    expect(human.locator("mark")).to_have_text(["human error"])
    expect(reviewer.locator("#blameless")).not_to_contain_text("person_subject")  # no rule ids
    shot(reviewer, "blameless-review-highlights")
    reviewer.get_by_role("button", name="Approve version").click()
    expect(reviewer.locator(".pm-status")).to_have_text("Approved")

    def publish_refused(left: int) -> None:
        author.goto(url)
        author.once("dialog", lambda d: d.accept())
        author.get_by_role("button", name="Publish").click()
        expect(author.locator(".messages")).to_contain_text(
            f"{left} blameless finding(s) are neither reworded"
        )
        expect(author.locator(".pm-status")).to_have_text("Approved")

    sign_in(author, commander)
    publish_refused(2)

    # The author rewords one; the edit goes back to the reviewer, who approves again.
    author.goto(url + "edit/")
    author.get_by_role("textbox", name="Trigger", exact=True).fill(ONE_REWORDED)
    author.get_by_role("button", name="Save as version").click()
    expect(author.locator("#blameless .blameless-findings .finding")).to_have_count(1)
    reviewer.reload()
    reviewer.get_by_role("button", name="Approve version").click()
    expect(reviewer.locator(".pm-status")).to_have_text("Approved")
    publish_refused(1)

    # The author dismisses the other with a reason; reviewers see who and why.
    left = author.locator("#blameless .blameless-findings .finding")
    left.get_by_label("Why this wording is fine here").fill("We quote the vendor's report word for word.")
    left.get_by_role("button", name="Dismiss").click()
    expect(author.locator("#blameless .blameless-clean")).to_be_visible()
    reviewer.reload()
    expect(reviewer.locator(".blameless-dismissals")).to_contain_text(
        "We quote the vendor's report word for word."
    )
    expect(reviewer.locator(".blameless-dismissals")).to_contain_text(str(commander))

    author.once("dialog", lambda d: d.accept())
    author.get_by_role("button", name="Publish").click()
    expect(author.locator(".pm-status")).to_have_text("Published")
    assert Postmortem.objects.get(pk=started.pk).status == PostmortemStatus.PUBLISHED
    shot(author, "blameless-reworded-dismissed-published")
    author_ctx.close()
    reviewer_ctx.close()


def test_a_quiet_hint_while_recording_the_timeline_never_blocks_capture(
    live_server, page, sign_in, shot, commander, incident
):
    sign_in(page, commander)
    page.goto(f"{live_server.url}/incidents/{incident.number}/")
    box = page.locator("#qa-body")
    box.fill("The DBA forgot to drain the node")
    hint = page.locator("#quick-add .blameless-hint")
    expect(hint.locator("mark")).to_have_text(["The DBA", "forgot"], timeout=5000)
    expect(hint).to_contain_text("The node was not drained")
    shot(page, "timeline-blameless-hint")
    box.press("Enter")  # the hint is only a hint: the entry is recorded as written
    expect(page.locator("#timeline").get_by_text("The DBA forgot to drain the node")).to_be_visible()
    assert incident.timeline_entries.filter(body="The DBA forgot to drain the node").exists()
