"""Personas and helpers shared by every test.

Personas (all in team "Platform" unless said otherwise):
- `outsider`: signed in, member of no team: sees no internal incident.
- `viewer`: viewer in Platform: reads, records nothing.
- `responder`: responder in Platform: declares and records.
- `commander`: responder in Platform and commander of `incident`.
- `admin`: staff: sees and manages everything.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from datetime import datetime

import pytest
import time_machine
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Membership
from accounts.tokens import api_token_create
from config.celery import app as celery_app
from tests.factories import IncidentFactory, MembershipFactory, TeamFactory, UserFactory


def pytest_collection_modifyitems(config, items):
    """Browser journeys run last: Playwright keeps an event loop in the main thread for the rest of the
    session, and Django refuses synchronous ORM calls while one is running."""
    items.sort(key=lambda item: "/tests/e2e/" in str(item.path))


@pytest.fixture
def team(db):
    return TeamFactory(name="Platform", slug="platform")


@pytest.fixture
def outsider(db):
    return UserFactory(email="outsider@example.com", display_name="Olive Outsider")


@pytest.fixture
def viewer(team):
    user = UserFactory(email="viewer@example.com", display_name="Vera Viewer")
    MembershipFactory(user=user, team=team, role=Membership.Role.VIEWER)
    return user


@pytest.fixture
def responder(team):
    user = UserFactory(email="responder@example.com", display_name="Rory Responder")
    MembershipFactory(user=user, team=team, role=Membership.Role.RESPONDER)
    return user


@pytest.fixture
def commander(team):
    user = UserFactory(email="commander@example.com", display_name="Cora Commander")
    MembershipFactory(user=user, team=team, role=Membership.Role.RESPONDER)
    return user


@pytest.fixture
def admin_user(db):
    return UserFactory(email="admin@example.com", display_name="Ada Admin", is_staff=True, is_superuser=True)


@pytest.fixture
def incident(commander, team):
    inc = IncidentFactory(commander=commander, declared_by=commander)
    inc.teams.add(team)
    inc.participants.add(commander)
    return inc


@pytest.fixture
def personas(outsider, viewer, responder, commander, admin_user):
    return {
        "outsider": outsider,
        "viewer": viewer,
        "responder": responder,
        "commander": commander,
        "admin": admin_user,
    }


@pytest.fixture
def client_for() -> Callable:
    """`client_for(user)` gives a Django test client signed in as `user` (or anonymous for None)."""

    def make(user) -> Client:
        c = Client()
        if user is not None:
            c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return c

    return make


def require_service(url_var: str) -> None:
    """Skip a test that needs PostgreSQL or Redis when its URL is unset, unless REQUIRE_SERVICES=1 (CI)."""
    if os.environ.get(url_var):
        return
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{url_var} is not set but REQUIRE_SERVICES=1: this test must run here.")
    pytest.skip(f"{url_var} is not set")


@pytest.fixture
def requires_postgres(settings):
    require_service("DATABASE_URL")
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("DATABASE_URL is set but does not point at PostgreSQL")


@pytest.fixture
def requires_redis():
    require_service("REDIS_URL")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Every test starts with an empty cache: the API throttle counts in it, and SQLite reuses ids after a
    test's rollback, so a later test's token or user would inherit an earlier test's request count."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Rows that data migrations seed (postmortem templates) exist in every database test.

    A transactional test (threads, live server, browser) ends by flushing every table, which also removes
    what migrations seeded; later tests would then run against a database no real install has.
    """
    marker = request.node.get_closest_marker("django_db")
    names = request.fixturenames
    transactional = (
        "transactional_db" in names
        or "live_server" in names
        or bool(marker and marker.kwargs.get("transaction"))
    )
    if not (marker or transactional or "db" in names):
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    import importlib

    from django.apps import apps

    importlib.import_module("incidents.migrations.0006_seed_postmortem_templates").seed(apps, None)


@pytest.fixture
def api_for() -> Callable[..., APIClient]:
    """`api_for(user)` gives an APIClient using a fresh read-write token of `user` (anonymous for None);
    `api_for(user, read_only=True)` a read-only token."""

    made = itertools.count(1)

    def make(user, *, read_only: bool = False) -> APIClient:
        client = APIClient()
        if user is not None:
            _, raw = api_token_create(actor=user, name=f"test-token-{next(made)}", read_only=read_only)
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


@pytest.fixture
def eager_celery():
    """Run `apply_async` in-process, so a published notification is delivered at once."""
    from incidents.notify import delivery as notify

    notify._broker_down_until = 0.0
    celery_app.conf.task_always_eager = True
    yield celery_app
    celery_app.conf.task_always_eager = False


@pytest.fixture
def sweep_at(eager_celery, django_capture_on_commit_callbacks) -> Callable:
    """`sweep_at(when)` freezes the clock at `when` (aware), runs one reminder sweep and delivers what it
    claimed; returns the sweep's counts."""
    from incidents.notify.reminders import reminders_sweep

    def run(when: datetime, fn: Callable | None = None) -> dict:
        with time_machine.travel(when, tick=False), django_capture_on_commit_callbacks(execute=True):
            return (fn or reminders_sweep)()

    return run


@pytest.fixture
def outbound_allowed(settings) -> Callable[[str], str]:
    """Let outbound requests reach one local test receiver: `outbound_allowed(url)` adds its host:port to
    OUTBOUND_ALLOWED_TARGETS for this test and returns the URL. Nothing local is reachable otherwise."""
    import urllib.parse

    def allow(url: str) -> str:
        parts = urllib.parse.urlsplit(url)
        settings.OUTBOUND_ALLOWED_TARGETS = [*settings.OUTBOUND_ALLOWED_TARGETS, parts.netloc.lower()]
        return url

    return allow
