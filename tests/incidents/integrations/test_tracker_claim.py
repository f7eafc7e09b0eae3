""" "Create in tracker" claims the action item before it calls the tracker (`TrackerIssueClaim`, one per
item): two clicks at once open exactly one tracker issue. The race itself runs on PostgreSQL with two
real threads; the claim's rules (held, stale, released after a refusal) on any database.

A recording server on loopback stands in for GitHub's REST API (tracker_setup.py).
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents.models import TimelineEntry, TrackerIssue, TrackerIssueClaim
from tests.factories import ActionItemFactory
from tests.incidents.integrations import tracker_setup as setup

CREATE = ("POST", "/repos/acme/web/issues")
OPENED = {"id": 1, "number": 12, "html_url": "https://github.com/acme/web/issues/12", "state": "open"}


def _creates(server) -> int:
    return sum(1 for r in server.requests if (r.method, r.path) == CREATE)


def _slow(seconds: float):
    def answer(_request):
        time.sleep(seconds)  # the tracker takes its time: the second click arrives meanwhile
        return 201, OPENED

    return answer


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rounds", range(3))
def test_two_clicks_at_once_on_postgres_open_exactly_one_issue(
    requires_postgres, team, lead, commander, incident, tracker_server, rounds
):
    setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    tracker_server.answers[CREATE] = _slow(0.5)
    url = reverse("incidents:action_item_tracker", args=[item.pk])
    barrier = threading.Barrier(2)
    said: list[str] = []
    errors: list[BaseException] = []

    def click() -> None:
        web = Client()
        web.force_login(commander, backend="django.contrib.auth.backends.ModelBackend")
        try:
            barrier.wait(timeout=30)
            page = web.post(url, follow=True)
            said.append(page.content.decode())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert errors == []
    assert _creates(tracker_server) == 1
    assert TrackerIssue.objects.filter(action_item=item).count() == 1
    assert TrackerIssueClaim.objects.filter(action_item=item).count() == 1
    opened = TimelineEntry.objects.filter(incident=incident, body__contains="opened in GitHub")
    assert opened.count() == 1
    opened_page = [p for p in said if "Opened acme/web#12 in the tracker." in p]
    refused_page = [p for p in said if "right now" in p or "in the tracker already" in p]
    assert (len(opened_page), len(refused_page)) == (1, 1)


@pytest.mark.django_db
def test_a_click_while_another_is_opening_the_issue_opens_nothing(
    client_for, team, lead, commander, incident, tracker_server
):
    connection = setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    tracker_server.answers[CREATE] = (201, OPENED)
    TrackerIssueClaim.objects.create(action_item=item, connection=connection)  # another click, just now
    page = client_for(commander).post(reverse("incidents:action_item_tracker", args=[item.pk]), follow=True)
    assert "right now" in page.content.decode()
    assert _creates(tracker_server) == 0
    assert not TrackerIssue.objects.exists()


@pytest.mark.django_db
def test_a_claim_left_by_a_process_that_died_is_taken_over_after_five_minutes(
    client_for, team, lead, commander, incident, tracker_server
):
    connection = setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    tracker_server.answers[CREATE] = (201, OPENED)
    TrackerIssueClaim.objects.create(
        action_item=item, connection=connection, claimed_at=timezone.now() - timedelta(minutes=6)
    )
    tracker_server.answers[("GET", "/repos/acme/web/issues")] = (200, [])  # it opened nothing
    client_for(commander).post(reverse("incidents:action_item_tracker", args=[item.pk]))
    assert _creates(tracker_server) == 1
    assert TrackerIssue.objects.get(action_item=item).key == "acme/web#12"
    assert TrackerIssueClaim.objects.get(action_item=item).claimed_by == commander


@pytest.mark.django_db
def test_a_tracker_refusal_releases_the_claim_so_it_can_be_tried_again(
    client_for, team, lead, commander, incident, tracker_server
):
    setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    tracker_server.answers[CREATE] = (503, {"message": "Service unavailable"})
    web = client_for(commander)
    web.post(reverse("incidents:action_item_tracker", args=[item.pk]))
    assert not TrackerIssueClaim.objects.exists()
    tracker_server.answers[CREATE] = (201, OPENED)
    page = web.post(reverse("incidents:action_item_tracker", args=[item.pk]), follow=True)
    assert "Opened acme/web#12 in the tracker." in page.content.decode()
    assert TrackerIssue.objects.filter(action_item=item).count() == 1


@pytest.mark.django_db
def test_the_second_and_third_click_while_the_first_is_opening_the_issue_say_who_is_opening_it(
    client_for, team, lead, commander, responder, incident, tracker_server
):
    connection = setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    tracker_server.answers[CREATE] = (201, OPENED)
    TrackerIssueClaim.objects.create(action_item=item, connection=connection, claimed_by=commander)  # click 1
    url = reverse("incidents:action_item_tracker", args=[item.pk])

    for person in (responder, lead):  # clicks 2 and 3, while GitHub is still answering the first
        said = setup.page_text(client_for(person).post(url, follow=True))
        assert "Cora Commander is opening it in the tracker right now: nothing else was opened." in said
        assert "in the tracker already" not in said
        assert "Cora Commander is opening it in GitHub right now" in said  # the panel, reloading itself
    assert _creates(tracker_server) == 0


@pytest.mark.django_db
def test_the_tracker_panel_reloads_itself_every_2_s_until_the_key_appears(
    client_for, team, lead, commander, responder, incident, tracker_server
):
    connection = setup.github(team, lead, tracker_server)
    item = ActionItemFactory(incident=incident, team=team, owner=commander)
    TrackerIssueClaim.objects.create(action_item=item, connection=connection, claimed_by=commander)
    web = client_for(responder)
    panel_url = reverse("incidents:action_item_tracker_panel", args=[item.pk])
    page = web.get(reverse("incidents:action_item_detail", args=[item.pk])).content.decode()
    section = page.split('id="tracker"', 1)[1].split(">", 1)[0]
    assert f'hx-get="{panel_url}"' in section
    assert 'hx-trigger="every 2s"' in section
    assert 'hx-swap="outerHTML"' in section
    assert "Create in tracker" not in page

    panel = web.get(panel_url)
    assert panel.status_code == 200
    assert 'hx-trigger="every 2s"' in panel.content.decode()
    assert "Cora Commander is opening it in GitHub right now" in setup.page_text(panel)

    TrackerIssue.objects.create(
        action_item=item, connection=connection, key="acme/web#12", external_id="12",
        url="https://github.com/acme/web/issues/12", seen={"status": "open"}, agreed={"status": "open"},
    )  # fmt: skip  # the first click's issue is open now
    panel = web.get(panel_url).content.decode()
    assert 'id="tracker-key">acme/web#12</a>' in panel
    assert "hx-trigger" not in panel  # found: it stops asking
    assert "is opening it" not in panel


@pytest.mark.django_db
def test_the_tracker_panel_of_an_item_one_cannot_see_is_not_found(
    client_for, team, lead, incident, tracker_server
):
    from tests.factories import UserFactory

    item = ActionItemFactory(incident=incident, team=team)
    answer = client_for(UserFactory()).get(reverse("incidents:action_item_tracker_panel", args=[item.pk]))
    assert answer.status_code == 404
