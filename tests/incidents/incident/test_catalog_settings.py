"""The service catalog in the settings pages (tier, runbook, dashboards, dependencies) and managing tags
(merge, delete with a confirmation that says how many incidents carry the tag)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Membership
from incidents.incident import directory
from incidents.models import Service, Tag, Visibility
from tests.factories import IncidentFactory, MembershipFactory, ServiceFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(team):
    user = UserFactory(email="lead@example.com")
    MembershipFactory(user=user, team=team, role=Membership.Role.LEAD)
    return user


def _post(service, **changes):
    data = {"name": service.name, "slug": service.slug, "team": service.team_id or "", "description": ""}
    data.update(changes)
    return data


def test_a_lead_gives_their_service_a_tier_runbook_dashboards_and_dependencies(client_for, lead, team):
    search = ServiceFactory(name="Search", slug="search", team=team)
    db = ServiceFactory(name="Postgres", slug="postgres")
    response = client_for(lead).post(
        reverse("incidents:service_edit", args=[search.slug]),
        _post(
            search,
            tier="1",
            runbook_url="https://wiki.example.com/search",
            dashboards="Latency p99 https://grafana.example.com/d/1\nhttps://grafana.example.com/d/2",
            depends_on=[db.pk],
        ),
    )
    assert response.status_code == 302
    search.refresh_from_db()
    assert search.get_tier_display() == "Tier 1: customer-facing critical"
    assert search.runbook_url == "https://wiki.example.com/search"
    assert search.dashboards == [
        {"label": "Latency p99", "url": "https://grafana.example.com/d/1"},
        {"label": "grafana.example.com", "url": "https://grafana.example.com/d/2"},
    ]
    assert list(search.depends_on.all()) == [db]
    assert list(db.dependents.all()) == [search]
    page = client_for(lead).get(reverse("incidents:service_edit", args=[search.slug])).content.decode()
    assert "Latency p99 https://grafana.example.com/d/1" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("runbook_url", "javascript:alert(1)", "http:// or https://"),
        ("runbook_url", "ftp://files.example.com/runbook", "http:// or https://"),
        ("dashboards", "Grafana javascript://x%0aalert(1)", "not an http:// or https:// address"),
        ("dashboards", "Grafana only a label", "end it with the dashboard"),
        ("dashboards", "A https://g.example.com/1\nB https://g.example.com/1", "listed twice"),
        ("tier", "7", "Select a valid choice"),
        ("depends_on", "999999", "Choose services from the list"),
    ],
)
def test_bad_catalog_input_is_a_form_error_and_nothing_is_saved(
    client_for, admin_user, field, value, message
):
    service = ServiceFactory(name="Search", slug="search")
    response = client_for(admin_user).post(
        reverse("incidents:service_edit", args=[service.slug]), _post(service, **{field: value})
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    service.refresh_from_db()
    assert (service.tier, service.runbook_url, service.dashboards) == (None, "", [])
    assert not service.depends_on.exists()


def test_a_service_cannot_depend_on_itself(admin_user):
    service = ServiceFactory(name="Search", slug="search")
    with pytest.raises(directory.ValidationError) as refused:
        directory.service_update(
            actor=admin_user, service=service, name="Search", slug="search", team=None, depends_on=[service]
        )
    assert refused.value.message_dict == {"depends_on": ["A service cannot depend on itself."]}
    assert not service.depends_on.exists()


def test_the_edit_form_does_not_offer_the_service_itself(client_for, admin_user):
    service = ServiceFactory(name="Search", slug="search")
    ServiceFactory(name="Postgres", slug="postgres")
    form = client_for(admin_user).get(reverse("incidents:service_edit", args=[service.slug])).context["form"]
    assert [s.name for s in form.fields["depends_on"].queryset] == ["Postgres"]


def test_a_dependency_cycle_is_allowed_and_marked_on_the_list(client_for, admin_user):
    a, b, c, d = (ServiceFactory(name=n, slug=n.lower()) for n in ("Api", "Billing", "Cache", "Docs"))
    a.depends_on.add(b)
    b.depends_on.add(c)
    c.depends_on.add(a)
    d.depends_on.add(a)
    rows = client_for(admin_user).get(reverse("incidents:service_list")).context["rows"]
    marked = {row["cells"][0]: row["cells"][-1] for row in rows}
    assert {name for name, mark in marked.items() if mark} == {"Api", "Billing", "Cache"}
    page = client_for(admin_user).get(reverse("incidents:service_edit", args=[a.slug])).content.decode()
    assert "on a dependency cycle" in page


def test_the_service_list_takes_the_same_queries_for_many_services(
    client_for, admin_user, django_assert_num_queries
):
    client = client_for(admin_user)
    ServiceFactory(name="Only", slug="only")
    client.get(reverse("incidents:service_list"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("incidents:service_list"))
    team = TeamFactory(name="Payments", slug="payments")
    services = [ServiceFactory(name=f"S{i}", slug=f"s{i}", team=team, tier=2) for i in range(8)]
    for first, second in zip(services, services[1:], strict=False):
        first.depends_on.add(second)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("incidents:service_list"))
    assert len(many) == len(one)


def test_a_lead_cannot_edit_another_teams_service_catalog(client_for, lead):
    theirs = ServiceFactory(name="Ledger", slug="ledger", team=TeamFactory(name="Payments", slug="payments"))
    response = client_for(lead).post(
        reverse("incidents:service_edit", args=[theirs.slug]), _post(theirs, tier="1")
    )
    assert response.status_code == 403
    theirs.refresh_from_db()
    assert theirs.tier is None


def test_merging_a_tag_confirms_with_the_count_then_moves_its_incidents(client_for, lead):
    old, kept = Tag.objects.create(name="db"), Tag.objects.create(name="database")
    both, only_old = IncidentFactory(), IncidentFactory()
    both.tags.add(old, kept)
    only_old.tags.add(old)
    client = client_for(lead)
    confirm = client.get(reverse("incidents:tag_merge", args=[old.pk]), {"into": kept.pk})
    assert confirm.status_code == 200
    assert "2 incidents you can see carry db" in confirm.content.decode()
    assert Tag.objects.filter(pk=old.pk).exists()  # the confirmation changes nothing
    response = client.post(reverse("incidents:tag_merge", args=[old.pk]), {"into": kept.pk})
    assert response.status_code == 302
    assert not Tag.objects.filter(pk=old.pk).exists()
    assert [list(i.tags.values_list("name", flat=True)) for i in (both, only_old)] == [
        ["database"],
        ["database"],
    ]


@pytest.mark.parametrize("into", ["", "999999", "self"])
def test_merging_into_nothing_or_itself_is_a_form_error(client_for, lead, into):
    tag = Tag.objects.create(name="db")
    IncidentFactory().tags.add(tag)
    value = str(tag.pk) if into == "self" else into
    response = client_for(lead).post(reverse("incidents:tag_merge", args=[tag.pk]), {"into": value})
    assert response.status_code == 400
    assert "Choose" in response.content.decode()
    assert Tag.objects.filter(pk=tag.pk).exists()


def test_deleting_a_tag_confirms_with_the_count_in_the_viewers_scope(client_for, lead, admin_user):
    tag = Tag.objects.create(name="merger")
    IncidentFactory(visibility=Visibility.RESTRICTED).tags.add(tag)
    kept = IncidentFactory()
    kept.tags.add(tag)
    url = reverse("incidents:tag_delete", args=[tag.pk])
    assert "1 incident you can see carries merger" in client_for(lead).get(url).content.decode()
    assert "2 incidents you can see carry merger" in client_for(admin_user).get(url).content.decode()
    assert client_for(lead).post(url).status_code == 302
    assert not Tag.objects.exists()
    assert not kept.tags.exists()
    assert IncidentFactory._meta.model.objects.count() == 2  # the incidents stay


def test_a_responder_cannot_merge_or_delete_tags(client_for, responder):
    tag, other = Tag.objects.create(name="db"), Tag.objects.create(name="database")
    client = client_for(responder)
    assert client.post(reverse("incidents:tag_merge", args=[tag.pk]), {"into": other.pk}).status_code == 403
    assert client.post(reverse("incidents:tag_delete", args=[tag.pk])).status_code == 403
    assert Tag.objects.count() == 2


def test_the_service_admin_form_accepts_no_javascript_runbook(admin_user):
    service = Service(name="X", slug="x", runbook_url="javascript:alert(1)")
    with pytest.raises(directory.ValidationError):
        service.full_clean()
    assert service.runbook_link == ""


def test_the_django_admin_edits_a_service_with_its_dependencies(client_for, admin_user):
    service = ServiceFactory(name="Search", slug="search")
    page = client_for(admin_user).get(reverse("admin:incidents_service_change", args=[service.pk]))
    assert page.status_code == 200
    assert "depends on" in page.content.decode().lower()
