"""Reviewers told: a requested reviewer gets one email and sees the review on My work and the dashboard; the
author hears when changes are requested and when every reviewer approved; publishing announces the
postmortem to the incident's responders and subscribers who can see it. Each once, in the recipient's zone."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from accounts.models import Membership
from incidents.models import Subscription, Visibility
from incidents.review.services import postmortems, reviews
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
# How a review comment reads beside the review it was on: rendered Markdown (`|markdown`), not its source.
COMMENT_HTML = '<div class="body review-comment"><p>Clear and blameless.</p></div>'

WHEN = dt.datetime(2026, 3, 10, 1, 30, tzinfo=dt.UTC)  # 14:30 NZDT, 01:30 UTC


@pytest.fixture
def reviewers(team):
    kiri = UserFactory(email="kiri@example.com", display_name="Kiri Reviewer", time_zone="Pacific/Auckland")
    sam = UserFactory(email="sam@example.com", display_name="Sam Reviewer", time_zone="UTC")
    for user in (kiri, sam):
        MembershipFactory(user=user, team=team, role=Membership.Role.RESPONDER)
    return kiri, sam


@pytest.fixture
def send(eager_celery, mailoutbox, django_capture_on_commit_callbacks):
    """`send(fn)` runs `fn` with what it schedules on commit (Celery in-process) and returns the emails it
    sent as {recipient: message}; two emails to one recipient fail the test."""

    def run(fn):
        before = len(mailoutbox)
        with django_capture_on_commit_callbacks(execute=True):
            fn()
        sent = mailoutbox[before:]
        by_recipient = {m.to[0]: m for m in sent}
        assert len(by_recipient) == len(sent), [m.to for m in sent]
        return by_recipient

    return run


def _in_review(incident, author, reviewers, send):
    pm = postmortems.postmortem_start(incident=incident, actor=author)
    pm = postmortems.postmortem_save(
        postmortem=pm,
        actor=author,
        sections={
            "summary": "Checkout returned **502s** for 40 minutes.",
            "impact": "One in five orders failed.",
            "lessons": "Alert on the renewal job, not only on the certificate.",
            "trigger": "The renewal job had no alert when it failed.",
        },
        expected_version=pm.version,
    )
    with time_machine.travel(WHEN, tick=False):
        emails = send(
            lambda: reviews.postmortem_request_review(postmortem=pm, actor=author, reviewers=reviewers)
        )
    pm.refresh_from_db()
    return pm, emails


def _html(message) -> str:
    return message.alternatives[0][0]


def test_each_requested_reviewer_gets_one_email_in_their_zone(incident, responder, reviewers, send):
    kiri, sam = reviewers
    pm, emails = _in_review(incident, responder, reviewers, send)
    assert set(emails) == {kiri.email, sam.email}
    to_kiri = emails[kiri.email]
    assert to_kiri.subject == f"Review requested: the postmortem of {incident.reference} {incident.title}"
    assert "Rory Responder asks for your review" in to_kiri.body
    assert "2026-03-10 14:30 NZDT" in to_kiri.body
    assert "2026-03-10 14:30 NZDT" in _html(to_kiri)
    assert f"/incidents/{incident.number}/postmortem/" in _html(to_kiri)
    assert "2026-03-10 01:30 UTC" in emails[sam.email].body
    # Asking the same people again tells no one twice.
    assert (
        send(lambda: reviews.postmortem_request_review(postmortem=pm, actor=responder, reviewers=reviewers))
        == {}
    )


def test_the_review_waits_on_my_work_and_the_dashboard_until_decided(
    incident, responder, reviewers, send, client_for, django_assert_max_num_queries
):
    kiri, _ = reviewers
    pm, _ = _in_review(incident, responder, reviewers, send)
    client = client_for(kiri)
    with django_assert_max_num_queries(25):
        page = client.get("/my-work/").content.decode()
    section = page[page.index('id="waiting-reviews"') :]
    assert incident.reference in section[: section.index("</section>")]
    dashboard = client.get("/").content.decode()
    assert incident.reference in dashboard[dashboard.index('id="waiting-reviews"') :]
    reviews.postmortem_review_decide(
        postmortem=pm, actor=kiri, decision="approved", expected_version=pm.version
    )
    page = client.get("/my-work/").content.decode()
    assert "No postmortem waits for your review." in page
    assert 'id="waiting-reviews"' not in client.get("/").content.decode()
    # The author is not asked to review their own postmortem.
    assert "No postmortem waits for your review." in client_for(responder).get("/my-work/").content.decode()


def test_the_author_hears_of_requested_changes_and_of_the_approval_once(incident, responder, reviewers, send):
    kiri, sam = reviewers
    pm, _ = _in_review(incident, responder, reviewers, send)
    emails = send(
        lambda: reviews.postmortem_review_decide(
            postmortem=pm,
            actor=kiri,
            decision="changes_requested",
            expected_version=pm.version,
            comment="Say what the alert watches.",
        )
    )
    assert list(emails) == [responder.email]
    assert emails[responder.email].subject.startswith("Changes requested: the postmortem of")
    assert "Say what the alert watches." in emails[responder.email].body
    assert "Say what the alert watches." in _html(emails[responder.email])
    pm = postmortems.postmortem_save(
        postmortem=pm,
        actor=responder,
        sections={"detection": "The alert watches job exits."},
        expected_version=pm.version,
    )
    assert (
        send(
            lambda: reviews.postmortem_review_decide(
                postmortem=pm, actor=kiri, decision="approved", expected_version=pm.version
            )
        )
        == {}
    )
    emails = send(
        lambda: reviews.postmortem_review_decide(
            postmortem=pm, actor=sam, decision="approved", expected_version=pm.version
        )
    )
    assert list(emails) == [responder.email]
    assert emails[responder.email].subject.startswith("Approved: the postmortem of")
    assert "Kiri Reviewer, Sam Reviewer" in emails[responder.email].body


def test_a_reviewer_who_requested_changes_hears_once_that_a_new_version_waits(
    incident, responder, reviewers, send, client_for
):
    kiri, sam = reviewers
    pm, _ = _in_review(incident, responder, reviewers, send)
    send(
        lambda: reviews.postmortem_review_decide(
            postmortem=pm,
            actor=kiri,
            decision="changes_requested",
            expected_version=pm.version,
            comment="Say what the alert watches.",
        )
    )
    asked_on = pm.version

    def edit(text: str):
        nonlocal pm
        pm = postmortems.postmortem_save(
            postmortem=pm, actor=responder, sections={"detection": text}, expected_version=pm.version
        )

    with time_machine.travel(WHEN, tick=False):
        emails = send(lambda: edit("The alert watches job exits."))
    assert list(emails) == [kiri.email]  # not Sam, who had not decided; not the author
    to_kiri = emails[kiri.email]
    assert to_kiri.subject == (
        f"Ready for your review again: the postmortem of {incident.reference} {incident.title}"
    )
    assert f"You requested changes to the postmortem of {incident.reference}" in to_kiri.body
    assert f"(version {asked_on})" in to_kiri.body
    assert f"version {pm.version} (2026-03-10 14:30 NZDT, UTC+13:00)" in to_kiri.body
    assert "2026-03-10 14:30 NZDT" in _html(to_kiri)
    assert f"/incidents/{incident.number}/postmortem/" in _html(to_kiri)
    # A second edit before Kiri decides tells no one again.
    assert send(lambda: edit("The alert watches job exits and the certificate's expiry.")) == {}
    assert incident.reference in client_for(kiri).get("/my-work/").content.decode()


def test_the_ready_again_email_is_checked_at_send(incident, responder, reviewers, send):
    from incidents.models import Notification
    from incidents.notify import reviews as reviews_notify

    kiri, _ = reviewers
    pm, _ = _in_review(incident, responder, reviewers, send)
    send(
        lambda: reviews.postmortem_review_decide(
            postmortem=pm,
            actor=kiri,
            decision="changes_requested",
            expected_version=pm.version,
            comment="More.",
        )
    )
    send(
        lambda: postmortems.postmortem_save(
            postmortem=pm, actor=responder, sections={"detection": "Edited."}, expected_version=pm.version
        )
    )
    row = Notification.objects.get(kind=reviews_notify.READY_AGAIN)
    assert reviews_notify.build_review_ready_again(row) is not None
    kiri.is_active = False  # deactivated before the send: nothing goes out
    kiri.save()
    row.refresh_from_db()
    assert reviews_notify.build_review_ready_again(row) is None


def test_publishing_announces_once_to_responders_and_subscribers_who_can_see_it(
    incident, responder, commander, reviewers, send, team, outsider, viewer
):
    kiri, sam = reviewers
    pm, _ = _in_review(incident, responder, reviewers, send)
    send(
        lambda: reviews.postmortem_review_decide(
            postmortem=pm, actor=kiri, decision="approved", expected_version=pm.version
        )
    )
    send(
        lambda: reviews.postmortem_review_decide(
            postmortem=pm, actor=sam, decision="approved", expected_version=pm.version
        )
    )
    incident.participants.add(responder)
    Subscription.objects.create(user=viewer, team=team)
    Subscription.objects.create(
        user=outsider, incident=incident
    )  # an outsider cannot see an internal incident
    pm.refresh_from_db()
    emails = send(lambda: reviews.postmortem_publish(postmortem=pm, actor=commander))
    assert set(emails) == {responder.email, viewer.email}  # not the publisher, not the outsider
    announcement = emails[viewer.email]
    assert announcement.subject == f"Postmortem published: {incident.reference} {incident.title}"
    for text in ("Checkout returned **502s**", "One in five orders failed.", "Alert on the renewal job"):
        assert text in announcement.body
    assert "<strong>502s</strong>" in _html(announcement)
    assert "One in five orders failed." in _html(announcement)


def test_a_restricted_incident_is_announced_only_to_those_who_can_see_it(
    incident, responder, commander, reviewers, send, team, viewer
):
    kiri, sam = reviewers
    incident.participants.add(responder, kiri, sam)
    pm, _ = _in_review(incident, responder, reviewers, send)
    send(
        lambda: reviews.postmortem_review_decide(
            postmortem=pm, actor=kiri, decision="approved", expected_version=pm.version
        )
    )
    send(
        lambda: reviews.postmortem_review_decide(
            postmortem=pm, actor=sam, decision="approved", expected_version=pm.version
        )
    )
    Subscription.objects.create(user=viewer, team=team)
    incident.visibility = Visibility.RESTRICTED
    incident.save(update_fields=["visibility"])
    pm.refresh_from_db()
    emails = send(lambda: reviews.postmortem_publish(postmortem=pm, actor=commander))
    assert viewer.email not in emails
    assert {responder.email, kiri.email, sam.email} <= set(emails)


def _claim_then_send(fn, capture, between):
    """Run `fn`; claim its deliveries on commit; run `between()`; then send what was claimed."""
    with capture() as first:
        fn()
    with capture() as second:
        for callback in first:
            callback()
    between()
    with capture(execute=True):
        for callback in second:
            callback()


def test_permission_and_state_are_checked_again_when_the_email_is_sent(
    incident,
    responder,
    commander,
    reviewers,
    send,
    team,
    viewer,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    kiri, sam = reviewers
    pm = postmortems.postmortem_start(incident=incident, actor=responder)
    # Kiri decides after her request was claimed and before it is sent: she is not asked any more.
    _claim_then_send(
        lambda: reviews.postmortem_request_review(postmortem=pm, actor=responder, reviewers=[kiri, sam]),
        django_capture_on_commit_callbacks,
        lambda: reviews.postmortem_review_decide(
            postmortem=pm, actor=kiri, decision="approved", expected_version=pm.version
        ),
    )
    assert [m.to for m in mailoutbox] == [[sam.email]]
    send(
        lambda: reviews.postmortem_review_decide(
            postmortem=pm, actor=sam, decision="approved", expected_version=pm.version
        )
    )
    Subscription.objects.create(user=viewer, team=team)
    pm.refresh_from_db()
    mailoutbox.clear()

    # The incident becomes restricted between the claim and the send: the viewer is not told.
    def restrict():
        incident.visibility = Visibility.RESTRICTED
        incident.save(update_fields=["visibility"])

    _claim_then_send(
        lambda: reviews.postmortem_publish(postmortem=pm, actor=commander),
        django_capture_on_commit_callbacks,
        restrict,
    )
    told = {m.to[0] for m in mailoutbox}
    assert viewer.email not in told
    assert responder.email in told


# --- A reset approval is told, and shown as being about an earlier version (issue 18, second pass) -------
def _decide(pm, who, decision="approved", comment=""):
    return reviews.postmortem_review_decide(
        postmortem=pm, actor=who, decision=decision, expected_version=pm.version, comment=comment
    )


def _edit(pm, author, text):
    return postmortems.postmortem_save(
        postmortem=pm, actor=author, sections={"detection": text}, expected_version=pm.version
    )


def test_a_reviewer_whose_approval_a_new_version_resets_gets_one_email(incident, responder, reviewers, send):
    kiri, sam = reviewers
    pm, _ = _in_review(incident, responder, reviewers, send)
    send(lambda: _decide(pm, kiri, comment="Clear and blameless."))
    approved_on = pm.version
    with time_machine.travel(WHEN, tick=False):
        emails = send(lambda: _edit(pm, responder, "The alert watches job exits."))
    assert list(emails) == [kiri.email]  # not Sam, who had not decided; not the author
    to_kiri = emails[kiri.email]
    assert to_kiri.subject == (
        f"Your approval was reset: the postmortem of {incident.reference} {incident.title} changed"
    )
    assert f"You approved version {approved_on} of the postmortem of {incident.reference}" in to_kiri.body
    assert f"version {approved_on + 1} (2026-03-10 14:30 NZDT, UTC+13:00), so your approval was reset" in (
        to_kiri.body
    )
    assert "so your approval was reset" in _html(to_kiri)
    assert f"/incidents/{incident.number}/postmortem/" in _html(to_kiri)
    pm.refresh_from_db()
    # Another edit before Kiri decides again tells no one twice.
    assert send(lambda: _edit(pm, responder, "The alert watches job exits and expiry.")) == {}


def test_a_reset_approval_is_marked_on_my_work_and_beside_the_old_comment(
    incident, responder, reviewers, send, client_for
):
    kiri, _ = reviewers
    pm, _ = _in_review(incident, responder, reviewers, send)
    send(lambda: _decide(pm, kiri, comment="Clear and blameless."))
    approved_on = pm.version
    send(lambda: _edit(pm, responder, "The alert watches job exits."))
    work = client_for(kiri).get("/my-work/").content.decode()
    section = work[work.index('id="waiting-reviews"') :]
    section = section[: section.index("</section>")]
    assert incident.reference in section
    assert f"You approved version {approved_on}, reset since" in section
    page = client_for(kiri).get(f"/incidents/{incident.number}/postmortem/").content.decode()
    row = page[page.index("Kiri Reviewer</td>") :]
    row = row[: row.index("</tr>")]
    assert f'Pending <small class="muted review-reset">(approved version {approved_on}, reset since)' in row
    assert f"On version {approved_on}:</small> {COMMENT_HTML}" in row


def test_the_author_sees_requested_changes_on_my_work_and_the_dashboard_until_a_new_version(
    incident, responder, reviewers, send, client_for
):
    kiri, _ = reviewers
    pm, _ = _in_review(incident, responder, reviewers, send)
    client = client_for(responder)
    assert "No reviewer asks for changes to your postmortems." in client.get("/my-work/").content.decode()
    assert 'id="changes-requested"' not in client.get("/").content.decode()
    send(lambda: _decide(pm, kiri, "changes_requested", "Say what the alert watches."))
    for url in ("/my-work/", "/"):
        page = client.get(url).content.decode()
        section = page[page.index('id="changes-requested"') :]
        assert incident.reference in section, url
        assert f"Kiri Reviewer requested changes to version {pm.version}" in section, url
        assert "Say what the alert watches." in section, url
    # The reviewer does not see it as theirs.
    assert (
        incident.reference
        not in client_for(kiri)
        .get("/my-work/")
        .content.decode()
        .split('id="changes-requested"')[1]
        .split("</section>")[0]
    )
    send(lambda: _edit(pm, responder, "The alert watches job exits."))
    assert "No reviewer asks for changes to your postmortems." in client.get("/my-work/").content.decode()


def test_my_work_stays_flat_with_many_reviews_and_changes(
    team, responder, send, client_for, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import IncidentFactory

    kiri = UserFactory(email="kiri@example.com", display_name="Kiri Reviewer")
    MembershipFactory(user=kiri, team=team, role=Membership.Role.RESPONDER)

    def one_more():
        inc = IncidentFactory(commander=responder, declared_by=responder)
        inc.teams.add(team)
        pm, _ = _in_review(inc, responder, [kiri], send)
        send(lambda: _decide(pm, kiri, "changes_requested", "More."))
        _edit(pm, responder, "Edited.")  # Kiri's review pending again, decided on an earlier version
        inc2 = IncidentFactory(commander=responder, declared_by=responder)
        inc2.teams.add(team)
        pm2, _ = _in_review(inc2, responder, [kiri], send)
        send(lambda: _decide(pm2, kiri, "changes_requested", "Also."))

    def count(user) -> int:
        with CaptureQueriesContext(connection) as ctx:
            client_for(user).get("/my-work/")
        return len(ctx.captured_queries)

    one_more()
    few = {u.pk: count(u) for u in (kiri, responder)}
    for _ in range(4):
        one_more()
    for user in (kiri, responder):
        with django_assert_max_num_queries(few[user.pk]):
            client_for(user).get("/my-work/")


def test_nothing_is_queued_inside_silenced(incident, responder, reviewers, send):
    from incidents.models import Notification
    from incidents.notify import services as notify

    with notify.silenced():
        pm, emails = _in_review(incident, responder, reviewers, send)
        assert notify.is_silenced()
    assert emails == {}
    assert Notification.objects.count() == 0
    assert not notify.is_silenced()
    kiri, _ = reviewers
    assert list(send(lambda: _decide(pm, kiri, "changes_requested", "Say more."))) == [responder.email]


def test_reviewers_of_a_reopened_postmortem_are_asked_again_by_email_and_on_my_work(
    incident, responder, commander, reviewers, send, client_for
):
    kiri, sam = reviewers
    pm, _ = _in_review(incident, responder, reviewers, send)
    send(lambda: _decide(pm, kiri, comment="Clear and blameless."))
    send(lambda: _decide(pm, sam))
    pm.refresh_from_db()
    send(lambda: reviews.postmortem_publish(postmortem=pm, actor=commander))
    pm.refresh_from_db()
    # Reopening alone asks no one yet: the draft is the author's again.
    assert (
        send(
            lambda: reviews.postmortem_reopen(postmortem=pm, actor=commander, reason="A factor was missing.")
        )
        == {}
    )
    assert "No postmortem waits for your review." in client_for(kiri).get("/my-work/").content.decode()
    pm.refresh_from_db()
    approved_on = pm.version
    with time_machine.travel(WHEN, tick=False):
        emails = send(
            lambda: reviews.postmortem_request_review(postmortem=pm, actor=responder, reviewers=[kiri])
        )
    assert set(emails) == {kiri.email, sam.email}  # both approvals were reset; both are needed again
    to_kiri = emails[kiri.email]
    assert to_kiri.subject == (
        f"Review requested again: the postmortem of {incident.reference} {incident.title} was reopened"
    )
    assert f"so your decision on version {approved_on} was reset" in to_kiri.body
    assert "Rory Responder asks for your review again" in to_kiri.body
    assert "2026-03-10 14:30 NZDT" in to_kiri.body
    assert f"/incidents/{incident.number}/postmortem/" in _html(to_kiri)
    assert incident.timeline_entries.filter(
        body="Postmortem review requested again from Kiri Reviewer, Sam Reviewer"
    ).exists()
    work = client_for(kiri).get("/my-work/").content.decode()
    section = work[work.index('id="waiting-reviews"') :]
    section = section[: section.index("</section>")]
    assert incident.reference in section
    assert f"You approved version {approved_on}, reset since" in section
    page = client_for(kiri).get(f"/incidents/{incident.number}/postmortem/").content.decode()
    row = page[page.index("Kiri Reviewer</td>") :]
    row = row[: row.index("</tr>")]
    assert "Pending" in row
    assert f"On version {approved_on}:</small> {COMMENT_HTML}" in row
    # Asking again while in review tells no one twice.
    assert (
        send(lambda: reviews.postmortem_request_review(postmortem=pm, actor=responder, reviewers=[kiri]))
        == {}
    )
