""" "Create in tracker" whose request reached the tracker but got no answer in time (the tracker opened
the issue; Hindsight's side timed out): the claim is kept, marked uncertain, and the next attempt first
looks for an issue carrying the item's link back and adopts it, so no second issue is opened.

A recording server on loopback stands in for GitHub's and Jira's REST APIs (tracker_setup.py); it opens
the issue, then answers only after Hindsight's timeout. Every request is checked against the trackers'
published descriptions ("List repository issues", Jira's JQL search included).
"""

from __future__ import annotations

import time
import urllib.parse
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from incidents.integrations.trackers import base
from incidents.models import TrackerIssue, TrackerIssueClaim
from tests.factories import ActionItemFactory
from tests.incidents.integrations import tracker_setup as setup

pytestmark = pytest.mark.django_db

GITHUB_ISSUES = "/repos/acme/web/issues"
JIRA_CREATE = "/rest/api/3/issue"
JIRA_SEARCH = "/rest/api/3/search/jql"


class SlowTracker:
    """A tracker that opens the issue, then answers after Hindsight has stopped waiting (or at once,
    when `slow` is False). `opened` holds the issues it opened, as its list or search answers them."""

    def __init__(self, opens):
        self.opens = opens  # (request, how many opened so far) -> (the issue as listed, the create's answer)
        self.opened: list[dict] = []
        self.slow = True

    def __call__(self, request):
        listed, answer = self.opens(request, len(self.opened))
        self.opened.append(listed)
        if self.slow:
            time.sleep(0.8)  # past the client's timeout: the issue is open, Hindsight never hears of it
        return 201, answer


@pytest.fixture
def short_timeout(monkeypatch):
    monkeypatch.setattr(base, "TIMEOUT_SECONDS", 0.3)


def _github_opens(request, count):
    number = 12 + count
    issue = {"id": number, "number": number, "html_url": f"https://github.com/acme/web/issues/{number}",
             "state": "open", "title": request.json["title"], "body": request.json["body"]}  # fmt: skip
    return issue, issue


def _click(web, item):
    return setup.page_text(web.post(reverse("incidents:action_item_tracker", args=[item.pk]), follow=True))


def _sent(server, method, path):
    return [r for r in server.requests if (r.method, urllib.parse.urlsplit(r.path).path) == (method, path)]


def test_a_github_create_that_timed_out_is_found_and_adopted_on_the_retry_not_opened_twice(
    client_for, short_timeout, team, lead, commander, incident, tracker_server
):
    setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander, title="Add a second check")
    other = ActionItemFactory(incident=incident, team=team, title="Another item")
    github = SlowTracker(_github_opens)
    tracker_server.answers[("POST", GITHUB_ISSUES)] = github
    tracker_server.answers[("GET", GITHUB_ISSUES)] = lambda r: (200, list(reversed(github.opened)))
    web = client_for(commander)

    said = _click(web, item)
    assert "GitHub did not answer in time, so it may have opened the issue." in said
    assert not TrackerIssue.objects.exists()
    assert TrackerIssueClaim.objects.get(action_item=item).uncertain
    page = setup.item_page_text(web, item)
    assert "Create in tracker" in page  # not "is opening it right now"
    assert "The last “Create in tracker” got no answer from GitHub, so it may have opened the issue" in page

    github.slow = False
    _click(web, other)  # another item's issue, #13, is listed too: it is not this item's
    said = _click(web, item)
    assert "Opened acme/web#12 in the tracker." in said
    assert len(_sent(tracker_server, "POST", GITHUB_ISSUES)) == 2  # item's (timed out) and other's
    assert TrackerIssue.objects.get(action_item=item).key == "acme/web#12"
    assert TrackerIssue.objects.get(action_item=other).key == "acme/web#13"
    listed = _sent(tracker_server, "GET", GITHUB_ISSUES)[-1]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(listed.path).query)
    assert query["state"] == ["all"]  # an issue closed meanwhile is found too
    assert not TrackerIssueClaim.objects.get(action_item=item).uncertain
    assert "got no answer" not in setup.item_page_text(web, other)
    assert [e for e in setup.entries(incident) if "acme/web#12" in e] == [
        "Action item Add a second check opened in GitHub as acme/web#12."
    ]


def test_a_github_create_that_timed_out_before_github_opened_anything_is_opened_on_the_retry(
    client_for, short_timeout, team, lead, commander, incident, tracker_server
):
    setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    github = SlowTracker(_github_opens)
    tracker_server.answers[("POST", GITHUB_ISSUES)] = github
    tracker_server.answers[("GET", GITHUB_ISSUES)] = (200, [])  # nothing carries the item's link
    web = client_for(commander)
    _click(web, item)
    github.slow = False
    assert "Opened acme/web#13 in the tracker." in _click(web, item)
    assert len(_sent(tracker_server, "GET", GITHUB_ISSUES)) == 1
    assert TrackerIssue.objects.get(action_item=item).key == "acme/web#13"


def test_a_retry_that_cannot_look_for_the_issue_opens_nothing_and_stays_uncertain(
    client_for, short_timeout, team, lead, commander, incident, tracker_server
):
    setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    github = SlowTracker(_github_opens)
    tracker_server.answers[("POST", GITHUB_ISSUES)] = github
    tracker_server.answers[("GET", GITHUB_ISSUES)] = (503, {"message": "Service unavailable"})
    web = client_for(commander)
    _click(web, item)
    github.slow = False
    said = _click(web, item)
    assert "Hindsight could not look for it (GitHub answered 503: Service unavailable)" in said
    assert len(_sent(tracker_server, "POST", GITHUB_ISSUES)) == 1  # nothing opened a second time
    assert TrackerIssueClaim.objects.get(action_item=item).uncertain


def test_a_jira_create_that_timed_out_is_found_by_jql_on_the_marker_and_adopted(
    client_for, short_timeout, team, lead, commander, incident, tracker_server
):
    setup.jira(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    link = f"/action-items/{item.pk}/"

    def opens(request, count):
        issue = {"id": "10002", "key": "OPS-7", "self": f"{tracker_server.url}/rest/api/3/issue/10002"}
        return {**issue, "fields": {"description": request.json["fields"]["description"]}}, issue

    jira = SlowTracker(opens)
    decoy = {"id": "10001", "key": "OPS-6", "fields": {"description": {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": f"See {link}7/ for the older item"}]}]}}}  # fmt: skip
    tracker_server.answers[("POST", JIRA_CREATE)] = jira
    tracker_server.answers[("GET", JIRA_SEARCH)] = lambda r: (
        200, {"issues": [decoy, *jira.opened], "isLast": True}
    )  # fmt: skip
    web = client_for(commander)

    assert "Jira did not answer in time" in _click(web, item)
    jira.slow = False
    assert "Opened OPS-7 in the tracker." in _click(web, item)
    assert len(_sent(tracker_server, "POST", JIRA_CREATE)) == 1
    jql = urllib.parse.parse_qs(
        urllib.parse.urlsplit(_sent(tracker_server, "GET", JIRA_SEARCH)[0].path).query
    )
    assert jql["jql"][0].startswith('project = "OPS" AND description ~ "\\"http')
    assert jql["jql"][0].endswith(f'{link}\\"" ORDER BY created ASC')
    assert TrackerIssue.objects.get(action_item=item).key == "OPS-7"


def test_a_claim_left_by_a_process_that_died_looks_for_the_issue_before_opening_one(
    client_for, team, lead, commander, incident, tracker_server
):
    connection = setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    TrackerIssueClaim.objects.create(
        action_item=item, connection=connection, claimed_at=timezone.now() - timedelta(minutes=6)
    )
    link = settings.SITE_URL.rstrip("/") + reverse("incidents:action_item_detail", args=[item.pk])

    def listed(number, body):
        return {"number": number, "html_url": f"https://github.com/acme/web/issues/{number}", "body": body}

    tracker_server.answers[("GET", GITHUB_ISSUES)] = (200, [
        listed(14, base.link_line(link + "edit/")),  # a longer link: not this item's
        listed(13, "Why it matters\n\n---\n" + base.link_line(link) + "\nDue: 2026-12-20"),
        {**listed(15, base.link_line(link)), "pull_request": {"url": "..."}},  # a pull request, never adopted
    ])  # fmt: skip
    assert "Opened acme/web#13 in the tracker." in _click(client_for(commander), item)
    assert _sent(tracker_server, "POST", GITHUB_ISSUES) == []


def test_a_redmine_create_that_timed_out_is_found_among_the_projects_new_issues_and_adopted(
    client_for, short_timeout, team, lead, commander, incident, tracker_server
):
    setup.redmine(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)

    def opens(request, count):
        issue = {"id": 12, "subject": request.json["issue"]["subject"]}
        # Redmine keeps the description as typed, with Windows line ends from its own form
        return {**issue, "description": request.json["issue"]["description"].replace("\n", "\r\n")}, {
            "issue": issue
        }

    redmine = SlowTracker(opens)
    tracker_server.answers[("POST", "/issues.json")] = redmine
    tracker_server.answers[("GET", "/issues.json")] = lambda r: (
        200,
        {"issues": redmine.opened, "total_count": 1},
    )
    web = client_for(commander)
    assert "Redmine did not answer in time" in _click(web, item)
    redmine.slow = False
    assert "Opened ops#12 in the tracker." in _click(web, item)
    assert len(_sent(tracker_server, "POST", "/issues.json")) == 1
    query = urllib.parse.parse_qs(
        urllib.parse.urlsplit(_sent(tracker_server, "GET", "/issues.json")[0].path).query
    )
    assert (query["project_id"], query["status_id"]) == (["ops"], ["*"])
    assert query["created_on"][0].startswith(">=")


def test_the_sweep_adopts_the_issue_an_unanswered_create_opened_and_opens_none_itself(
    client_for, short_timeout, team, lead, commander, incident, tracker_server
):
    from incidents.integrations.trackers.services import tracker_reconcile

    setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander, title="Add a second check")
    github = SlowTracker(_github_opens)
    tracker_server.answers[("POST", GITHUB_ISSUES)] = github
    listed: list[dict] = []
    tracker_server.answers[("GET", GITHUB_ISSUES)] = lambda r: (200, listed)
    _click(client_for(commander), item)  # GitHub opens #12; Hindsight hears nothing

    assert tracker_reconcile().adopted == 0  # not listed yet: nothing adopted, nothing opened
    assert TrackerIssueClaim.objects.get(action_item=item).uncertain
    listed.extend(github.opened)
    tracker_server.answers[("GET", "/repos/acme/web/issues/12")] = (
        200,
        {**github.opened[0], "updated_at": setup.LATE},
    )
    assert tracker_reconcile().adopted == 1
    assert TrackerIssue.objects.get(action_item=item).key == "acme/web#12"
    assert len(_sent(tracker_server, "POST", GITHUB_ISSUES)) == 1
    assert setup.entries(incident)[-1] == "Action item Add a second check opened in GitHub as acme/web#12."
