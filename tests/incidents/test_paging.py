"""Every paged list answers a bad `?page=` the same way (issue 18, outsider's second pass: the library
said "No published postmortem yet" for `?page=abc`): not a page number shows the first page, past the end
the last, each saying so; never an empty list or an error page (`incidents.paging`)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident, Postmortem, PostmortemStatus
from incidents.paging import page_notice, page_number
from tests.factories import IncidentFactory, PolicyFindingFactory

pytestmark = pytest.mark.django_db


def _published(n: int) -> None:
    for i in range(n):
        Postmortem.objects.create(
            incident=IncidentFactory(title=f"Outage {i:02d}"),
            status=PostmortemStatus.PUBLISHED,
            sections={"summary": "Summary.", "lessons": "Restore a backup every week."},
            published_at=timezone.now(),
        )


def _incidents(n: int) -> None:
    IncidentFactory.create_batch(n, title="Otter outage")


def _findings(n: int) -> None:
    PolicyFindingFactory.create_batch(n)


def _deleted(n: int) -> None:
    _incidents(n)
    Incident.objects.update(deleted_at=timezone.now())


# (url, params, make two pages of rows, where the page number shown is read from the context)
LISTS: dict[str, tuple[str, dict, Callable[[], None], Callable]] = {
    "incidents": ("incidents:list", {}, lambda: _incidents(26), lambda c: c["page"].number),
    "library": ("incidents:postmortem_library", {}, lambda: _published(21), lambda c: c["page"].number),
    "lessons": ("incidents:postmortem_lessons", {}, lambda: _published(21), lambda c: c["page"].number),
    "findings": ("incidents:finding_list", {}, lambda: _findings(101), lambda c: c["page"].number),
    "deleted": ("incidents:deleted_list", {}, lambda: _deleted(51), lambda c: c["page"].number),
    "search": ("incidents:search", {"q": "otter"}, lambda: _incidents(21), lambda c: c["results"].page),
}


@pytest.mark.parametrize("name", list(LISTS))
@pytest.mark.parametrize(
    ("asked", "shown", "notice"),
    [
        ("abc", 1, "“abc” is not a page number (pages count from 1): showing page 1."),
        ("-1", 1, "“-1” is not a page number (pages count from 1): showing page 1."),
        ("999", 2, "There is no page 999: the last is page 2, shown here."),
        ("2", 2, ""),
    ],
)
def test_a_bad_page_shows_the_first_or_last_page_and_says_so(
    client_for, admin_user, name, asked, shown, notice
):
    url, params, make, number = LISTS[name]
    make()
    response = client_for(admin_user).get(reverse(url), {**params, "page": asked})
    assert response.status_code == 200
    assert number(response.context) == shown
    body = response.content.decode()
    if notice:
        assert f'<p class="notice page-notice" role="status">{notice}</p>' in body
    else:
        assert "page-notice" not in body
    assert "No published postmortem yet" not in body


@pytest.mark.parametrize("name", list(LISTS))
def test_a_bad_page_costs_no_more_queries_than_the_first(
    client_for, admin_user, name, django_assert_max_num_queries
):
    url, params, make, _ = LISTS[name]
    make()
    client = client_for(admin_user)
    client.get(reverse(url), params)  # warm the session and caches
    with CaptureQueriesContext(connection) as first:
        client.get(reverse(url), {**params, "page": "1"})
    for asked in ("abc", "999"):
        with django_assert_max_num_queries(len(first.captured_queries)):
            client.get(reverse(url), {**params, "page": asked})


def test_the_library_with_one_postmortem_shows_it_for_any_page(client_for, admin_user):
    _published(1)
    for asked in ("abc", "999", "-1"):
        body = client_for(admin_user).get("/postmortems/", {"page": asked}).content.decode()
        assert body.count('class="card library-card"') == 1, asked


def test_page_numbers_are_ascii_whole_numbers_from_one():
    assert page_number(None) == (1, True)
    assert page_number(" 3 ") == (3, True)
    for bad in ("0", "-1", "2.5", "１", "+2", "1_0", "abc"):
        assert page_number(bad) == (1, False), bad
    assert page_notice("999", 1, 1) == "There is no page 999: there is only one page, shown here."
    assert page_notice("", 1, 0) == ""
