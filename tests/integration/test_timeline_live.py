"""Several responders at once: concurrent inserts on PostgreSQL, and two real HTTP clients seeing each
other's entries through the live endpoint within 5 seconds."""

from __future__ import annotations

import html
import re
import threading
import time
import urllib.parse
import urllib.request

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from incidents.models import TimelineEntry
from tests.factories import UserFactory

HX = {"HX-Request": "true"}


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_adding_at_once_on_postgresql_store_every_entry(requires_postgres, incident, team):
    from accounts.models import Membership
    from tests.factories import MembershipFactory

    users = []
    for i in range(20):
        user = UserFactory(email=f"concurrent{i}@example.com")
        MembershipFactory(user=user, team=team, role=Membership.Role.RESPONDER)
        users.append(user)
    url = reverse("incidents:timeline_quick_add", args=[incident.number])
    clients = []
    for user in users:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        clients.append(client)
    barrier = threading.Barrier(20)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def add(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            response = clients[i].post(url, {"body": f"Responder {i} was here", "when": "-1m"}, headers=HX)
            statuses.append(response.status_code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert statuses == [200] * 20
    bodies = set(TimelineEntry.objects.filter(incident=incident).values_list("body", flat=True))
    assert len(bodies) == 20
    assert bodies == {f"Responder {i} was here" for i in range(20)}


class Browser:
    """A minimal HTTP client with its own cookies, talking to the live server like a browser tab."""

    def __init__(self, base: str, session_key: str) -> None:
        self.base = base
        self.cookies = {"sessionid": session_key}
        self.csrf = ""
        self.cursor = ""

    def _open(self, request: urllib.request.Request) -> tuple[int, str]:
        request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        with urllib.request.urlopen(request, timeout=10) as response:
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, response.read().decode()

    def get(self, path: str, **params: str) -> str:
        query = ("?" + urllib.parse.urlencode(params)) if params else ""
        return self._open(urllib.request.Request(self.base + path + query))[1]

    def open_page(self, path: str) -> str:
        page = self.get(path)
        self.csrf = re.search(r'"X-CSRFToken": "([^"]+)"', html.unescape(page)).group(1)
        self.cursor = re.search(r'id="timeline-cursor" name="cursor" value="([^"]+)"', page).group(1)
        return page

    def post(self, path: str, data: dict[str, str]) -> int:
        request = urllib.request.Request(
            self.base + path,
            data=urllib.parse.urlencode(data).encode(),
            headers={"X-CSRFToken": self.csrf, "HX-Request": "true"},
        )
        return self._open(request)[0]

    def poll(self, path: str) -> str:
        """One live poll, as htmx does it every 2 s: send the cursor, keep the next one."""
        body = self.get(path, cursor=self.cursor)
        self.cursor = re.search(r'name="cursor" value="([^"]+)" hx-swap-oob', body).group(1)
        return body


@pytest.mark.django_db(transaction=True)
def test_two_clients_adding_at_once_see_each_others_entries_within_5_seconds(live_server, incident, team):
    from accounts.models import Membership
    from tests.factories import MembershipFactory

    people = []
    for name in ("ana", "ben"):
        user = UserFactory(email=f"{name}@example.com", display_name=name.title())
        MembershipFactory(user=user, team=team, role=Membership.Role.RESPONDER)
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        people.append(Browser(live_server.url, client.cookies["sessionid"].value))
    detail = reverse("incidents:detail", args=[incident.number])
    add = reverse("incidents:timeline_quick_add", args=[incident.number])
    changes = reverse("incidents:timeline_changes", args=[incident.number])
    for browser in people:
        browser.open_page(detail)

    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def type_entry(browser: Browser, text: str) -> None:
        barrier.wait(timeout=10)
        statuses.append(browser.post(add, {"body": text, "kind": "observation"}))

    threads = [
        threading.Thread(target=type_entry, args=(people[0], "Ana: replica lag 40 s")),
        threading.Thread(target=type_entry, args=(people[1], "Ben: failing over to db-2")),
    ]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert statuses == [200, 200]

    seen = {0: "", 1: ""}
    want = {0: "Ben: failing over to db-2", 1: "Ana: replica lag 40 s"}
    while time.monotonic() - started < 5 and not all(want[i] in seen[i] for i in (0, 1)):
        for i in (0, 1):
            seen[i] += people[i].poll(changes)
        time.sleep(0.5)
    elapsed = time.monotonic() - started
    assert want[0] in seen[0], "Ana never saw Ben's entry"
    assert want[1] in seen[1], "Ben never saw Ana's entry"
    assert elapsed < 5
    # After the settle window the feed is quiet: a cursor only brings what changed after it.
    assert TimelineEntry.objects.filter(incident=incident).count() == 2
