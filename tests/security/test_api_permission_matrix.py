"""Every endpoint × persona: the status each one gets. Invisible things are 404, never 403."""

from __future__ import annotations

import pytest

from incidents.models import Postmortem, Visibility
from tests.factories import (
    ActionItemFactory,
    ContributingFactorFactory,
    IncidentFactory,
    PolicyFindingFactory,
    ServiceFactory,
    TimelineEntryFactory,
)

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "outsider", "viewer", "responder", "commander", "admin"]


def row(*codes: int) -> dict[str, int]:
    return dict(zip(PERSONAS, codes, strict=True))


# (name, method, path template, body, expected status per persona)
MATRIX = [
    ("incident list", "get", "/api/v1/incidents/", None, row(401, 200, 200, 200, 200, 200)),
    ("incident detail", "get", "/api/v1/incidents/{n}/", None, row(401, 404, 200, 200, 200, 200)),
    ("restricted incident detail", "get", "/api/v1/incidents/{r}/", None, row(401, 404, 404, 404, 200, 200)),
    ("declare", "post", "/api/v1/incidents/", {"title": "Checkout failing", "severity": "SEV2"},
     row(401, 403, 403, 201, 201, 201)),
    # Who may declare is asked before the input is read: bad input is 400 only for those who may declare.
    ("declare with bad input", "post", "/api/v1/incidents/", {"title": "", "severity": "SEV9"},
     row(401, 403, 403, 400, 400, 400)),
    ("edit", "patch", "/api/v1/incidents/{n}/", {"title": "Renamed"}, row(401, 404, 403, 403, 200, 200)),
    ("replace", "put", "/api/v1/incidents/{n}/", {"title": "Renamed"}, row(401, 404, 403, 403, 200, 200)),
    ("edit restricted", "patch", "/api/v1/incidents/{r}/", {"title": "Renamed"},
     row(401, 404, 404, 404, 200, 200)),
    ("status", "post", "/api/v1/incidents/{n}/status/", {"status": "identified"},
     row(401, 404, 403, 403, 200, 200)),
    ("severity", "post", "/api/v1/incidents/{n}/severity/", {"severity": "SEV1", "reason": "spreading"},
     row(401, 404, 403, 403, 200, 200)),
    ("resolve", "post", "/api/v1/incidents/{n}/resolve/", {}, row(401, 404, 403, 403, 200, 200)),
    ("reopen an active incident", "post", "/api/v1/incidents/{n}/reopen/", {"reason": "again"},
     row(401, 404, 403, 403, 400, 400)),
    ("roles", "post", "/api/v1/incidents/{n}/roles/", {"scribe": None}, row(401, 404, 403, 403, 200, 200)),
    ("incident postmortem", "get", "/api/v1/incidents/{n}/postmortem/", None,
     row(401, 404, 200, 200, 200, 200)),
    ("timeline list", "get", "/api/v1/timeline-entries/?incident={n}", None,
     row(401, 200, 200, 200, 200, 200)),
    ("timeline entry", "get", "/api/v1/timeline-entries/{e}/", None, row(401, 404, 200, 200, 200, 200)),
    ("add timeline entry", "post", "/api/v1/timeline-entries/", {"incident": "{n}", "body": "Restarted pod"},
     row(401, 403, 403, 201, 201, 201)),
    ("factor list", "get", "/api/v1/contributing-factors/", None, row(401, 200, 200, 200, 200, 200)),
    ("factor", "get", "/api/v1/contributing-factors/{f}/", None, row(401, 404, 200, 200, 200, 200)),
    ("record factor", "post", "/api/v1/contributing-factors/",
     {"incident": "{n}", "category": "process", "title": "No runbook"}, row(401, 403, 403, 201, 201, 201)),
    ("start postmortem", "post", "/api/v1/incidents/{n}/postmortem/", {}, row(401, 404, 403, 200, 200, 200)),
    ("save postmortem", "patch", "/api/v1/postmortems/{p}/", {"sections": {"summary": "x"}, "version": 1},
     row(401, 404, 403, 200, 200, 200)),
    # Only the commander or an admin publishes (403 for others who see it); a draft is a conflict (409).
    ("publish a draft postmortem", "post", "/api/v1/postmortems/{p}/publish/", {},
     row(401, 404, 403, 403, 409, 409)),
    ("postmortem list", "get", "/api/v1/postmortems/", None, row(401, 200, 200, 200, 200, 200)),
    ("postmortem", "get", "/api/v1/postmortems/{p}/", None, row(401, 404, 200, 200, 200, 200)),
    ("action item list", "get", "/api/v1/action-items/", None, row(401, 200, 200, 200, 200, 200)),
    ("action item", "get", "/api/v1/action-items/{a}/", None, row(401, 404, 200, 200, 200, 200)),
    ("create action item", "post", "/api/v1/action-items/", {"title": "Test restores", "incident": "{n}"},
     row(401, 403, 403, 201, 201, 201)),
    ("action item status", "post", "/api/v1/action-items/{a}/status/", {"status": "in_progress"},
     row(401, 404, 403, 200, 200, 200)),
    ("edit action item", "patch", "/api/v1/action-items/{a}/", {"title": "Test restores weekly"},
     row(401, 404, 403, 200, 200, 200)),
    ("verify an open finding", "post", "/api/v1/policy-findings/{pf}/verify/", {"evidence": "checked"},
     row(401, 404, 404, 404, 400, 400)),
    ("finding list", "get", "/api/v1/policy-findings/", None, row(401, 200, 200, 200, 200, 200)),
    ("finding on a restricted incident", "get", "/api/v1/policy-findings/{pf}/", None,
     row(401, 404, 404, 404, 200, 200)),
    ("service list", "get", "/api/v1/services/", None, row(401, 200, 200, 200, 200, 200)),
    ("service", "get", "/api/v1/services/{s}/", None, row(401, 200, 200, 200, 200, 200)),
    ("service change log", "get", "/api/v1/services/{s}/changes/", None, row(401, 200, 200, 200, 200, 200)),
    ("team list", "get", "/api/v1/teams/", None, row(401, 200, 200, 200, 200, 200)),
    ("me", "get", "/api/v1/users/me/", None, row(401, 200, 200, 200, 200, 200)),
    ("change log", "get", "/api/v1/changes/", None, row(401, 200, 200, 200, 200, 200)),
    ("report a change", "post", "/api/v1/changes/",
     {"service": "{s}", "summary": "deploy 1.2.3", "commit_range": "abc..def"},
     row(401, 403, 403, 201, 201, 201)),
    ("alert", "post", "/api/v1/alerts/", {"dedup_key": "cpu-high", "title": "CPU high", "severity": "SEV3"},
     row(401, 403, 403, 201, 201, 201)),
    ("webhook list", "get", "/api/v1/webhooks/", None, row(401, 403, 403, 403, 403, 200)),
    ("register webhook", "post", "/api/v1/webhooks/",
     {"url": "https://hooks.example.com/h", "events": ["incident.declared"]},
     row(401, 403, 403, 403, 403, 201)),
]  # fmt: skip


@pytest.fixture
def world(incident, commander):
    service = ServiceFactory(slug="checkout")
    incident.services.add(service)
    restricted = IncidentFactory(visibility=Visibility.RESTRICTED, commander=commander)
    restricted.participants.add(commander)
    entry = TimelineEntryFactory(incident=incident)
    factor = ContributingFactorFactory(incident=incident)
    postmortem = Postmortem.objects.create(incident=incident, sections={"summary": "It broke."})
    item = ActionItemFactory(incident=incident)
    finding = PolicyFindingFactory()
    finding.incidents.add(restricted)
    return {
        "n": incident.number,
        "r": restricted.number,
        "e": entry.pk,
        "f": factor.pk,
        "p": postmortem.pk,
        "a": item.pk,
        "pf": finding.pk,
        "s": service.slug,
    }


def fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "method", "path", "body", "expected"), MATRIX, ids=[m[0] for m in MATRIX])
def test_endpoint_status_for_persona(name, method, path, body, expected, persona, personas, world, api_for):
    user = None if persona == "anonymous" else personas[persona]
    client = api_for(user)
    url = fill(path, world)
    data = fill(body, world)
    if data and "incident" in data:
        data["incident"] = int(data["incident"])
    response = (
        getattr(client, method)(url, data, format="json")
        if data is not None
        else getattr(client, method)(url)
    )
    assert response.status_code == expected[persona], response.content[:300]
