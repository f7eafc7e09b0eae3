"""Property-based run over the whole OpenAPI schema (schemathesis), in-process against the WSGI app.

Every operation gets a bounded number of generated requests (valid and invalid) with an admin's read-write
token, against a database holding one of everything. The checks: no 5xx, every status code is documented,
every body and content type matches the schema. `SCHEMATHESIS_MAX_EXAMPLES` raises the bound locally.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.tokens import api_token_create
from config.wsgi import application
from incidents.models import ChangeEvent, Postmortem, WebhookEndpoint
from tests.factories import (
    ActionItemFactory,
    ContributingFactorFactory,
    IncidentFactory,
    PolicyFindingFactory,
    ServiceFactory,
    TeamFactory,
    TimelineEntryFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "15"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

# Figures for the report: operations run, requests sent, status codes seen (written to var/ at the end).
FIGURES: dict = {"operations": 0, "examples": 0, "statuses": {}}

# The coverage phase (every boundary case the schema defines, ~5,700 requests here) is off to keep CI near
# a minute; `SCHEMATHESIS_COVERAGE=1` turns it on for a thorough local run.
CONFIG = schemathesis.Config.from_dict(
    {"phases": {"coverage": {"enabled": os.environ.get("SCHEMATHESIS_COVERAGE") == "1"}}}
)
schema = schemathesis.openapi.from_dict(
    json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True))),
    config=CONFIG,
)
schema.app = application


@pytest.fixture(autouse=True)
def _keep_the_test_database_connection():
    """Django's test client stops each request from closing the database connection; calling the WSGI app
    directly does not, and on PostgreSQL the test's own connection (inside its transaction) would be closed.
    """
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(settings):
    settings.HINDSIGHT_API_THROTTLE_RATE = "100000/min"
    admin = UserFactory(email="fuzz-admin@example.com", is_staff=True, is_superuser=True)
    team = TeamFactory(slug="platform")
    service = ServiceFactory(slug="web", team=team)
    incident = IncidentFactory(number=1, commander=admin)
    incident.services.add(service)
    entry = TimelineEntryFactory(incident=incident)
    ContributingFactorFactory(incident=incident).evidence_entries.add(entry)
    Postmortem.objects.create(incident=incident, sections={"summary": "It *broke*."})
    ActionItemFactory(incident=incident, owner=admin)
    PolicyFindingFactory(owner=admin).incidents.add(incident)
    ChangeEvent.objects.create(service=service, summary="deploy 1", commit_range="a..b")
    WebhookEndpoint.objects.create(
        url="https://hooks.example.com/h", events=["incident.declared"], secret="x" * 20
    )
    _, raw = api_token_create(actor=admin, name="schemathesis", read_only=False)
    return raw


@pytest.fixture(scope="module", autouse=True)
def figures():
    yield
    if FIGURES["operations"]:
        out = Path(os.environ.get("HINDSIGHT_VAR_DIR", "var")) / "schemathesis-figures.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({**FIGURES, "max_examples": MAX_EXAMPLES}, indent=2, sort_keys=True))


@pytest.fixture
def operation_counted():
    FIGURES["operations"] += 1


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, token, operation_counted):
    response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
    FIGURES["examples"] += 1
    code = str(response.status_code)
    FIGURES["statuses"][code] = FIGURES["statuses"].get(code, 0) + 1
