"""The postmortem library (/postmortems/), its lessons view and read receipts on a published postmortem."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Membership
from incidents.models import (
    Incident,
    Postmortem,
    PostmortemRead,
    PostmortemStatus,
    Tag,
    Visibility,
)
from incidents.review.services.reads import postmortem_read_record
from tests.factories import (
    ContributingFactorFactory,
    IncidentFactory,
    MembershipFactory,
    ServiceFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LIBRARY = "/postmortems/"
LESSONS = "/postmortems/lessons/"


def publish(incident: Incident, status: str = PostmortemStatus.PUBLISHED, **sections: str) -> Postmortem:
    sections = sections or {
        "summary": f"The **{incident.title}** summary.",
        "impact": "Checkout failed for 12 minutes.",
        "lessons": "Restore a backup every week.",
    }
    return Postmortem.objects.create(
        incident=incident,
        status=status,
        sections=sections,
        published_at=timezone.now() if status == PostmortemStatus.PUBLISHED else None,
    )


@pytest.fixture
def restricted(commander, team):
    inc = IncidentFactory(title="Leaked keys", commander=commander, visibility=Visibility.RESTRICTED)
    inc.teams.add(team)
    return inc


def test_the_library_shows_each_published_postmortem_only_to_those_who_may_see_it(
    client_for, personas, incident, restricted
):
    publish(incident)
    publish(restricted)
    draft = IncidentFactory(title="Still a draft")
    draft.teams.add(*incident.teams.all())
    publish(draft, status=PostmortemStatus.IN_REVIEW)
    seen = {name: client_for(user).get(LIBRARY).content.decode() for name, user in personas.items()}
    for name, page in seen.items():
        assert "Still a draft" not in page, name
    assert incident.title in seen["viewer"]
    assert incident.title in seen["responder"]
    assert "Leaked keys" not in seen["viewer"]
    assert "Leaked keys" not in seen["responder"]
    assert "Leaked keys" in seen["commander"]
    assert "Leaked keys" in seen["admin"]
    assert incident.title not in seen["outsider"]
    assert "0 published postmortems" in seen["outsider"]


def test_a_card_shows_summary_impact_and_lessons_as_sanitised_html(client_for, viewer, incident):
    publish(
        incident,
        summary="The **replica** lagged <script>alert(1)</script>",
        impact="Checkout failed for 12 minutes.",
        lessons="- Restore a backup every week",
    )
    page = client_for(viewer).get(LIBRARY).content.decode()
    assert "<strong>replica</strong>" in page
    assert "**replica**" not in page
    assert "<script>alert(1)" not in page
    assert "Checkout failed for 12 minutes." in page
    assert "<li>Restore a backup every week</li>" in page
    assert "1 published postmortem." in page


@pytest.mark.parametrize(
    ("query", "finds"),
    [
        ("service=payments-api", "Card declines"),
        ("team=payments", "Card declines"),
        ("severity=SEV1", "Card declines"),
        ("category=testing_gap", "Card declines"),
        ("tag=database", "Replica lag"),
        ("q=declines", "Card declines"),
        ("q=backup+weekly", "Replica lag"),  # every word, in any section
        ("q=Payments+API", "Card declines"),  # a service's name
        ("q=payments-api", "Card declines"),  # a service's slug
        ("q=INC-{cards}", "Card declines"),  # the incident's reference
        ("q={lag}", "Replica lag"),  # its number
    ],
)
def test_filters_and_search_narrow_the_library(client_for, admin_user, query, finds):
    payments = TeamFactory(name="Payments", slug="payments")
    api = ServiceFactory(name="Payments API", slug="payments-api", team=payments)
    cards = IncidentFactory(title="Card declines", severity="SEV1")
    cards.services.add(api)
    ContributingFactorFactory(incident=cards, category="testing_gap")
    lag = IncidentFactory(title="Replica lag", severity="SEV3")
    lag.tags.add(Tag.objects.create(name="database"))
    publish(cards, summary="Declines at checkout.")
    publish(lag, summary="Lag.", lessons="Restore a backup weekly.")
    query = query.format(cards=cards.number, lag=lag.number)
    page = client_for(admin_user).get(f"{LIBRARY}?{query}").content.decode()
    other = {"Card declines", "Replica lag"} - {finds}
    assert finds in page
    assert other.pop() not in page
    assert "1 published postmortem matches these filters." in page


def test_the_date_filter_is_the_readers_local_days_of_publication(client_for, admin_user):
    old, new = IncidentFactory(title="Old one"), IncidentFactory(title="New one")
    publish(old).__class__.objects.filter(incident=old).update(
        published_at=dt.datetime(2026, 1, 10, 12, tzinfo=dt.UTC)
    )
    publish(new).__class__.objects.filter(incident=new).update(
        published_at=dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
    )
    page = client_for(admin_user).get(f"{LIBRARY}?since=2026-03-01&until=2026-03-10").content.decode()
    assert "New one" in page
    assert "Old one" not in page


def test_bad_filters_answer_400_with_the_message(client_for, viewer):
    response = client_for(viewer).get(f"{LIBRARY}?since=2026-03-10&until=2026-03-01&severity=SEV9")
    assert response.status_code == 400
    page = response.content.decode()
    assert "The end date must be on or after the start date." in page
    assert "Select a valid choice" in page


def test_the_lessons_view_lists_the_lessons_of_each_review(client_for, viewer, incident, team):
    publish(incident, summary="S", lessons="Rotate the **certificates** by a job.")
    quiet = IncidentFactory(title="No lessons written")
    quiet.teams.add(team)
    publish(quiet, summary="Only a summary.")
    page = client_for(viewer).get(LESSONS).content.decode()
    assert "Rotate the <strong>certificates</strong> by a job." in page
    assert "No lessons written" not in page
    assert "1 postmortem with lessons." in page


def test_the_library_pages_twenty_at_a_time(client_for, admin_user):
    for n in range(23):
        publish(IncidentFactory(title=f"Outage number {n:02d}"))
    first = client_for(admin_user).get(LIBRARY).content.decode()
    second = client_for(admin_user).get(f"{LIBRARY}?page=2").content.decode()
    assert first.count('class="card library-card"') == 20
    assert second.count('class="card library-card"') == 3
    assert "Page 2 of 2" in second
    assert "23 published postmortems" in second


def _library_with(n: int, team) -> None:
    for i in range(n):
        inc = IncidentFactory(title=f"Many {i}")
        inc.teams.add(team)
        inc.services.add(ServiceFactory())
        inc.tags.add(Tag.objects.create(name=f"tag-{i}"))
        pm = publish(inc)
        PostmortemRead.objects.create(postmortem=pm, user=UserFactory())


@pytest.mark.parametrize("n", [1, 25])
def test_the_library_query_count_does_not_grow_with_postmortems(
    client_for, viewer, team, n, django_assert_max_num_queries
):
    _library_with(n, team)
    client = client_for(viewer)
    for url in (LIBRARY, LESSONS):
        # Session and user, the filter choices (3), the count, the page, its prefetches (3): the same for
        # one postmortem as for a full page of them.
        with django_assert_max_num_queries(11):
            assert client.get(url).status_code == 200


def test_opening_a_published_postmortem_records_one_read_per_person_and_shows_the_team_share(
    client_for, viewer, responder, incident, team, django_assert_max_num_queries
):
    publish(incident)
    MembershipFactory(user=UserFactory(is_active=False), team=team)  # a former engineer is not counted
    url = f"/incidents/{incident.number}/postmortem/"
    first = client_for(viewer).get(url).content.decode()
    assert "1 of 3 engineers on the team (Platform) read it" in first  # viewer, responder, commander
    client = client_for(responder)
    client.get(url)
    with django_assert_max_num_queries(60) as later:
        again = client.get(url).content.decode()
    assert "2 of 3 engineers on the team (Platform) read it" in again
    assert PostmortemRead.objects.filter(postmortem__incident=incident).count() == 2
    writes = [q["sql"] for q in later.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]
    assert writes == []  # a repeated visit writes nothing


def test_a_reader_outside_the_team_counts_in_all_but_not_in_the_team_share(client_for, incident):
    publish(incident)
    other = UserFactory()
    MembershipFactory(user=other, team=TeamFactory(), role=Membership.Role.RESPONDER)
    page = client_for(other).get(f"/incidents/{incident.number}/postmortem/").content.decode()
    assert "0 of 1 engineer on the team (Platform) read it; 1 person in all" in page


def test_a_postmortem_not_yet_published_records_no_read(client_for, viewer, incident):
    publish(incident, status=PostmortemStatus.IN_REVIEW)
    page = client_for(viewer).get(f"/incidents/{incident.number}/postmortem/").content.decode()
    assert "read it" not in page
    assert not PostmortemRead.objects.exists()


def test_an_outsider_cannot_record_a_read_of_a_postmortem_they_may_not_see(client_for, outsider, restricted):
    pm = publish(restricted)
    assert client_for(outsider).get(f"/incidents/{restricted.number}/postmortem/").status_code == 404
    with pytest.raises(Exception, match="not found"):
        postmortem_read_record(postmortem=pm, actor=outsider)
    assert not PostmortemRead.objects.exists()


def test_recording_twice_keeps_one_receipt(viewer, incident):
    pm = publish(incident)
    postmortem_read_record(postmortem=pm, actor=viewer)
    postmortem_read_record(postmortem=pm, actor=viewer)
    assert PostmortemRead.objects.filter(postmortem=pm, user=viewer).count() == 1


def test_the_nav_links_the_library(client_for, viewer):
    page = client_for(viewer).get("/").content.decode()
    assert f'href="{LIBRARY}"' in page


# --- The team chip (issue 18, outsider's second pass) --------------------------------------------------
def test_each_card_shows_its_teams_as_chips_that_filter_the_library(client_for, viewer, team):
    database = TeamFactory(name="Database", slug="database")
    owned = IncidentFactory(title="Replica lag")
    owned.services.add(ServiceFactory(name="PostgreSQL", slug="postgresql", team=database))
    publish(owned)  # its team comes from the service it affected
    direct = IncidentFactory(title="Deploy froze")
    direct.teams.add(team)
    publish(direct)
    client = client_for(viewer)
    page = client.get(LIBRARY).content.decode()
    card = page[page.index(f'id="library-{owned.number}"') :]
    card = card[: card.index("</li>")]
    assert '<a class="badge team-chip" href="?team=database"' in card
    assert ">Team Database</a>" in card
    assert "Team Platform" not in card
    assert ">Team Platform</a>" in page[page.index(f'id="library-{direct.number}"') :]
    only = client.get(LIBRARY, {"team": "database"}).content.decode()
    assert "Replica lag" in only
    assert "Deploy froze" not in only
    lessons = client.get(LESSONS).content.decode()
    assert ">Team Database</a>" in lessons


def test_team_chips_keep_the_library_query_count_flat(
    client_for, viewer, team, django_assert_max_num_queries
):
    _library_with(25, team)
    for inc in Incident.objects.all():
        inc.services.add(ServiceFactory(team=TeamFactory()))
    client = client_for(viewer)
    with django_assert_max_num_queries(11):
        page = client.get(LIBRARY).content.decode()
    assert page.count("team-chip") == 40  # 20 cards, each its own team and its service's team
