"""The incident page links what is affected: each service with its tier, owner, runbook, dashboards and
its dependencies one level each way, in a query count that does not grow with them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.models import ServiceTier
from tests.factories import ServiceFactory, TeamFactory

pytestmark = pytest.mark.django_db


def _card(client, incident) -> str:
    page = client.get(reverse("incidents:detail", args=[incident.number])).content.decode()
    start = page.index('id="affected-services"')
    return page[start : page.index("</div>", start)]


def test_each_affected_service_shows_its_tier_runbook_dashboards_and_dependencies(
    client_for, commander, incident
):
    payments = TeamFactory(name="Payments", slug="payments")
    checkout = ServiceFactory(
        name="Checkout",
        slug="checkout",
        team=payments,
        tier=ServiceTier.TIER_1,
        runbook_url="https://wiki.example.com/checkout",
        dashboards=[{"label": "Checkout p99", "url": "https://grafana.example.com/d/7"}],
    )
    db, web, ledger = (ServiceFactory(name=n, slug=n.lower()) for n in ("Postgres", "Storefront", "Ledger"))
    checkout.depends_on.add(db, ledger)
    web.depends_on.add(checkout)
    ledger.depends_on.add(checkout)  # a two-service cycle: allowed, and said
    incident.services.add(checkout)
    card = _card(client_for(commander), incident)
    assert "Tier 1: customer-facing critical" in card
    assert "Payments" in card
    assert '<a href="https://wiki.example.com/checkout" rel="noopener noreferrer">' in card
    assert '<a href="https://grafana.example.com/d/7" rel="noopener noreferrer">Checkout p99</a>' in card
    depends = card[card.index("Depends on") : card.index("Depended on by")]
    assert ("Ledger" in depends, "Postgres" in depends, "Storefront" in depends) == (True, True, False)
    assert "(which depends on it too)" in depends
    depended = card[card.index("Depended on by") :]
    assert ("Storefront" in depended, "Ledger" in depended, "Postgres" in depended) == (True, True, False)
    assert f"{reverse('incidents:list')}?service=postgres" in card


def test_a_link_that_is_not_http_never_becomes_an_href(client_for, commander, incident):
    # Written around the forms (the Django admin's JSON box, a script): the page still refuses to link it.
    sneaky = ServiceFactory(
        name="Sneaky",
        slug="sneaky",
        runbook_url="javascript:alert(1)",
        dashboards=[{"label": "<b>x</b>", "url": "javascript:alert(2)"}, "not a mapping"],
    )
    incident.services.add(sneaky)
    card = _card(client_for(commander), incident)
    assert "javascript:" not in card
    assert "<b>x</b>" not in card


def test_the_incident_page_takes_the_same_queries_for_one_service_as_for_many_with_dependencies(
    client_for, commander, incident
):
    client = client_for(commander)
    url = reverse("incidents:detail", args=[incident.number])
    incident.services.add(ServiceFactory(tier=2))
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    team = TeamFactory(name="Payments", slug="payments")
    services = [ServiceFactory(team=team, tier=1 + i % 4) for i in range(6)]
    for first, second in zip(services, services[1:], strict=False):
        first.depends_on.add(second)
        second.depends_on.add(ServiceFactory())
    incident.services.add(*services)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(one)
