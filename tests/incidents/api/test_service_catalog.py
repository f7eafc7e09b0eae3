"""`/api/v1/services/`: the catalog's fields (tier, runbook, dashboards, dependencies) typed in the schema;
admins and leads of a service's team add and change services; others and read-only tokens are refused."""

from __future__ import annotations

import pytest
import yaml
from django.urls import reverse

from accounts.models import Membership
from incidents.models import Service
from tests.factories import MembershipFactory, ServiceFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(team):
    user = UserFactory(email="lead@example.com")
    MembershipFactory(user=user, team=team, role=Membership.Role.LEAD)
    return user


def test_a_service_shows_its_catalog_entry(api_for, viewer, team):
    db = ServiceFactory(name="Postgres", slug="postgres")
    web = ServiceFactory(name="Web", slug="web")
    checkout = ServiceFactory(
        name="Checkout",
        slug="checkout",
        team=team,
        tier=1,
        runbook_url="https://wiki.example.com/checkout",
        dashboards=[
            {"label": "p99", "url": "https://grafana.example.com/d/1"},
            {"label": "bad", "url": "javascript:alert(1)"},  # typed around the forms: never shown
        ],
    )
    checkout.depends_on.add(db)
    web.depends_on.add(checkout)
    body = api_for(viewer).get(reverse("api:service-detail", args=["checkout"])).json()
    assert body["tier"] == 1
    assert body["tier_label"] == "Tier 1: customer-facing critical"
    assert body["runbook_url"] == "https://wiki.example.com/checkout"
    assert body["dashboards"] == [{"label": "p99", "url": "https://grafana.example.com/d/1"}]
    assert (body["depends_on"], body["depended_on_by"]) == (["postgres"], ["web"])


def test_the_service_list_takes_the_same_queries_for_many(api_for, viewer, django_assert_max_num_queries):
    client = api_for(viewer)
    ServiceFactory()
    client.get(reverse("api:service-list"))  # the token's first use is recorded once
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("api:service-list"))
    services = [ServiceFactory(tier=2) for _ in range(10)]
    for a, b in zip(services, services[1:], strict=False):
        a.depends_on.add(b)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("api:service-list"))
    assert len(many.captured_queries) == len(one.captured_queries)


def test_a_lead_adds_and_changes_their_teams_service(api_for, lead, team):
    ServiceFactory(name="Postgres", slug="postgres")
    client = api_for(lead)
    created = client.post(
        reverse("api:service-list"),
        {
            "name": "Checkout",
            "team": team.slug,
            "tier": 2,
            "runbook_url": "https://wiki.example.com/checkout",
            "dashboards": [{"label": "", "url": "https://grafana.example.com/d/1"}],
            "depends_on": ["postgres"],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["dashboards"] == [
        {"label": "grafana.example.com", "url": "https://grafana.example.com/d/1"}
    ]
    assert created.json()["depends_on"] == ["postgres"]
    changed = client.patch(reverse("api:service-detail", args=["checkout"]), {"tier": 1}, format="json")
    assert changed.status_code == 200
    assert (changed.json()["tier"], changed.json()["depends_on"], changed.json()["team"]) == (
        1,
        ["postgres"],
        team.slug,
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"runbook_url": "javascript:alert(1)"}, "runbook_url"),
        ({"dashboards": [{"label": "x", "url": "data:text/html,hi"}]}, "dashboards"),
        ({"dashboards": "https://grafana.example.com"}, "dashboards"),
        ({"tier": 5}, "tier"),
        ({"depends_on": ["checkout"]}, "depends_on"),
        ({"depends_on": ["no-such-service"]}, "depends_on"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_catalog_input_is_a_400_naming_the_field(api_for, admin_user, body, field):
    ServiceFactory(name="Checkout", slug="checkout")
    response = api_for(admin_user).patch(
        reverse("api:service-detail", args=["checkout"]), body, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    service = Service.objects.get(slug="checkout")
    assert (service.tier, service.runbook_url, service.dashboards) == (None, "", [])


def test_others_and_read_only_tokens_cannot_write(api_for, lead, responder, admin_user):
    theirs = ServiceFactory(name="Ledger", slug="ledger", team=TeamFactory(name="Payments", slug="payments"))
    url = reverse("api:service-detail", args=[theirs.slug])
    assert api_for(lead).patch(url, {"tier": 1}, format="json").status_code == 403
    assert api_for(responder).patch(url, {"tier": 1}, format="json").status_code == 403
    assert (
        api_for(responder).post(reverse("api:service-list"), {"name": "X"}, format="json").status_code == 403
    )
    assert api_for(admin_user, read_only=True).patch(url, {"tier": 1}, format="json").status_code == 403
    assert api_for(admin_user).delete(url).status_code == 405
    theirs.refresh_from_db()
    assert theirs.tier is None


def test_the_schema_types_the_catalog_fields(client):
    schema = yaml.safe_load(client.get(reverse("api:schema")).content)
    assert set(schema["paths"]["/api/v1/services/"]) >= {"get", "post"}
    assert "patch" in schema["paths"]["/api/v1/services/{slug}/"]
    props = schema["components"]["schemas"]["Service"]["properties"]
    assert props["dashboards"]["type"] == "array"
    assert props["dashboards"]["items"]["$ref"].endswith("/DashboardLink")
    assert props["depends_on"]["type"] == "array"
    assert props["tier_label"]["type"] == "string"
    assert "tier" in props
