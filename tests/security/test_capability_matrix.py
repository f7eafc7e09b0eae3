"""The capability matrix: every route and method of the URL configuration (the API router is included in it)
x every persona x an internal and a restricted incident, against the hand-written policy in
`tests/security/capability_policy.py` (whose table is also the README's access-control table).

Nobody has to remember to add a route: the URL configuration is walked at collection time and a route x
method with no policy rule is a failing test (`test_every_route_and_method_has_one_policy_rule`).

For every cell the answer must be the policy's, and:
- the policy never says 403 where the persona cannot see the object: a hidden object answers 404, with the
  same status and the same body as an id that does not exist (checked by requesting a ghost id);
- no answer (any status, any persona) contains the planted text of an incident, action item or policy finding
  the persona may not see.

The data is built once per module in a transaction rolled back at the end; each request runs in a savepoint
rolled back after it, so writes never pile up. One client per persona.
"""

from __future__ import annotations

import inspect
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken, Invitation, Membership
from accounts.tokens import api_token_create
from incidents import models as m
from tests.factories import (
    ActionItemFactory,
    ContributingFactorFactory,
    IncidentFactory,
    MembershipFactory,
    PolicyFindingFactory,
    ServiceFactory,
    TeamFactory,
    TimelineEntryFactory,
    UserFactory,
    screenshot_attachment,
)
from tests.security import capability_policy as policy
from tests.security.test_permission_matrix import POST_BODIES, Route, _resolver_for, all_routes, build_url
from tests.security.test_permission_matrix import World as MatrixWorld

pytestmark = pytest.mark.django_db

PERSONAS = policy.PERSONAS
TOKENS = ("ro", "rw")
INCIDENTS = ("internal", "restricted")
# Planted text, per incident variant: of the incident (and everything recorded on it), of its action item and
# of its policy finding. Each must never reach a persona who may not see that object.
MARKERS = {
    "internal": {
        "incident": "Heron-internal-4K9",
        "item": "Wren-item-internal-3X",
        "finding": "Lynx-finding-internal-8P",
    },
    "restricted": {
        "incident": "Zebra-restricted-7Q2",
        "item": "Otter-item-restricted-5M",
        "finding": "Ibex-finding-restricted-2D",
    },
}
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass
class World(MatrixWorld):
    """Everything the requests refer to (users, per-variant objects, shared objects), one client per persona."""

    clients: dict[str, Client] = field(default_factory=dict)


# --- Routes and methods ------------------------------------------------------------------------------------


def _closure_methods(fn: Any) -> set[str] | None:
    """The methods a function view's `require_http_methods` (`require_POST`, ...) lets through, or None."""
    found: set[str] | None = None
    seen: set[int] = set()
    while fn is not None and id(fn) not in seen:
        seen.add(id(fn))
        for cell in getattr(fn, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if (
                isinstance(value, list | tuple | set | frozenset)
                and value
                and all(v in HTTP_METHODS + ("HEAD", "OPTIONS") for v in value)
            ):
                methods = set(value) & set(HTTP_METHODS)
                found = methods if found is None else found & methods
        fn = getattr(fn, "__wrapped__", None)
    return found


def _innermost(fn: Any) -> Any:
    while hasattr(fn, "__wrapped__"):
        fn = fn.__wrapped__
    return fn


def route_methods(route: Route) -> list[str]:
    """The methods `route` answers: a viewset's actions, a class view's handlers, a function view's
    `require_http_methods`; an undecorated function view answers GET, and POST when its code reads one."""
    cb = route.callback
    actions = getattr(cb, "actions", None)
    if actions:
        return sorted(a.upper() for a in actions)
    cls = getattr(cb, "cls", None) or getattr(cb, "view_class", None)
    if cls is not None:
        names = getattr(cls, "http_method_names", [m.lower() for m in HTTP_METHODS])
        return [m for m in HTTP_METHODS if m.lower() in names and hasattr(cls, m.lower())]
    methods = _closure_methods(cb)
    if methods:
        return [m for m in HTTP_METHODS if m in methods]
    try:
        source = inspect.getsource(_innermost(cb))
    except (OSError, TypeError):
        source = "POST"
    return ["GET", "POST"] if "POST" in source else ["GET"]


@dataclass(frozen=True)
class Row:
    route: Route
    method: str

    @property
    def key(self) -> str:
        return f"{self.route.name} {self.method}"


ROUTES = [r for r in all_routes() if not r.name.startswith("<unnamed")]
# The methods the matrix asks (unsafe methods join in the next step).
ASKED = ("GET",)
ALL_ROWS = [Row(r, method) for r in ROUTES for method in route_methods(r)]
ROWS = [row for row in ALL_ROWS if row.method in ASKED]


def _scope(route: Route) -> str | None:
    """What object of an incident variant the route's URL names: 'item', 'finding', 'incident' or None."""
    kinds = set()
    for param in route.params:
        resolver = _resolver_for(route, param)
        if getattr(resolver, "incident_bound", False):
            kinds.add(getattr(resolver, "key", "incident"))
    if not kinds:
        return None
    if "item" in kinds:
        return "item"
    if "finding" in kinds:
        return "finding"
    return "incident"


# --- The world ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """Built once per module inside a transaction that is rolled back at the end; each request nests a savepoint."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield _build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            cache.clear()  # the API throttle's cache; user ids are reused after the rollback


def _build_world() -> World:
    team = TeamFactory(name="Platform", slug="platform")
    other_team = TeamFactory(name="Payments", slug="payments")

    def member(email: str, role: str, of: Any = team, **extra: Any) -> Any:
        user = UserFactory(email=email, **extra)
        MembershipFactory(user=user, team=of, role=role)
        return user

    users = {
        "gone": member("former@example.com", Membership.Role.LEAD),
        "lone": UserFactory(email="lone@example.com"),
        "other": member("other@example.com", Membership.Role.RESPONDER, other_team),
        "viewer": member("viewer@example.com", Membership.Role.VIEWER),
        "resp": member("responder@example.com", Membership.Role.RESPONDER),
        "owner": UserFactory(email="owner@example.com"),
        "fown": member("finding-owner@example.com", Membership.Role.VIEWER),
        "verif": member("verifier@example.com", Membership.Role.RESPONDER),
        "lead2": member("lead-payments@example.com", Membership.Role.LEAD, other_team),
        "lead": member("lead@example.com", Membership.Role.LEAD),
        "cmdr": member("commander@example.com", Membership.Role.RESPONDER),
        "admin": UserFactory(email="admin@example.com", is_staff=True, is_superuser=True),
    }
    service = ServiceFactory(name="Checkout", slug="checkout", team=team)
    token = ApiToken.objects.create(
        user=users["cmdr"], name="deploy-bot", key_hash="0" * 64, key_prefix="hst_0000"
    )
    incident_type = m.IncidentType.objects.create(name="Security", slug="security")
    custom_field = m.CustomField.objects.create(
        incident_type=incident_type, label="Customer ticket", key="ticket", kind=m.CustomFieldKind.TEXT
    )
    w = World(
        users=users,
        shared={
            "incident_type": incident_type,
            "custom_field": custom_field,
            "service": service,
            "team": team,
            "token": token,
            "webhook": m.WebhookEndpoint.objects.create(url="https://hooks.example.com/x", secret="s" * 32),
            "change": m.ChangeEvent.objects.create(service=service, summary="Deploy 1.2.3"),
            "tag": m.Tag.objects.create(name="database"),
            "invitation": Invitation.objects.create(
                email="invitee@example.com",
                team=team,
                token_hash="2" * 64,
                expires_at=timezone.now() + timedelta(days=1),
            ),
            "integration": m.AlertIntegration.objects.create(
                name="prod-alertmanager",
                kind="alertmanager",
                team=team,
                key_hash="1" * 64,
                key_prefix="hsi_1111",
            ),
            # Switched off, so "Create in tracker" answers without a network call.
            "tracker": m.TrackerConnection.objects.create(
                team=team,
                kind="github",
                site_url="https://api.github.com",
                project="acme/web",
                is_active=False,
            ),
        },
    )
    for variant in INCIDENTS:
        mark = MARKERS[variant]
        incident = IncidentFactory(
            title=f"{mark['incident']} database outage",
            summary=f"Summary {mark['incident']}",
            customer_impact=f"Impact {mark['incident']}",
            visibility=m.Visibility.RESTRICTED if variant == "restricted" else m.Visibility.INTERNAL,
            commander=users["cmdr"],
            declared_by=users["cmdr"],
            status=m.IncidentStatus.RESOLVED,
            resolved_at=timezone.now(),
            incident_type=incident_type,
        )
        m.CustomFieldValue.objects.create(
            incident=incident, field=custom_field, text=f"Ticket {mark['incident']}"
        )
        incident.teams.add(team)
        incident.services.add(service)
        incident.participants.add(users["cmdr"])
        if variant == "restricted":
            incident.participants.add(users["gone"], users["verif"])
        entry = TimelineEntryFactory(
            incident=incident, body=f"Entry {mark['incident']}", author=users["cmdr"]
        )
        factor = ContributingFactorFactory(
            incident=incident, title=f"Factor {mark['incident']}", description=mark["incident"]
        )
        postmortem = m.Postmortem.objects.create(
            incident=incident, sections={"summary": f"Postmortem {mark['incident']}"}, author=users["cmdr"]
        )
        review = m.PostmortemReview.objects.create(postmortem=postmortem, reviewer=users["verif"])
        item = ActionItemFactory(
            incident=incident, title=f"Item {mark['item']}", owner=users["owner"], factor=factor
        )
        finding = PolicyFindingFactory(
            title=f"Finding {mark['finding']}", owner=users["fown"], verifier=users["verif"], team=team
        )
        finding.incidents.add(incident)
        task = m.IncidentTask.objects.create(incident=incident, title=f"Task {mark['incident']}")
        w.objects[variant] = {
            "incident": incident,
            "entry": entry,
            "attachment": screenshot_attachment(incident, f"Screenshot {mark['incident']}.png"),
            "factor": factor,
            "postmortem": postmortem,
            "review": review,
            "item": item,
            "finding": finding,
            "task": task,
        }
    for persona, user in users.items():
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        w.sessions[persona] = client.cookies[settings.SESSION_COOKIE_NAME].value
        w.clients[persona] = client
    w.clients["anon"] = Client()
    for persona, read_only in (("ro", True), ("rw", False)):
        _, raw = api_token_create(actor=users["cmdr"], name=f"matrix-{persona}", read_only=read_only)
        w.clients[persona] = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    # The deactivated user's session was made while they were active: it must not work any more.
    users["gone"].is_active = False
    users["gone"].deactivated_at = timezone.now()
    users["gone"].save()
    return w


# --- Requests ----------------------------------------------------------------------------------------------


class _Rollback(Exception):
    pass


_CSRF = re.compile(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+')


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def request(world: World, row: Row, persona: str, url: str) -> tuple[int, str, str]:
    """(status, body, Location) of `row.method url` as `persona`, its writes rolled back."""
    client = world.clients[persona]
    client.cookies = SimpleCookie()
    if persona in world.sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[persona]
    method = row.method.lower()
    try:
        with transaction.atomic():
            if row.method == "GET":
                response = client.get(url)
            elif row.route.is_api:
                response = getattr(client, method)(url, data=json.dumps({}), content_type="application/json")
            elif row.method == "POST":
                response = client.post(url, data=POST_BODIES.get(row.route.name, {}))
            else:
                response = getattr(client, method)(url)
            result = (response.status_code, _body(response), response.get("Location", ""))
            raise _Rollback
    except _Rollback:
        pass
    return result


def classify(row: Row, status: int, location: str) -> str:
    """The policy's word for an answer: ok, login, or the status code of a refusal or error."""
    if status == 302 and location.startswith(reverse(settings.LOGIN_URL)):
        return "login"
    if status == 401 and row.route.is_api:
        return "login"
    if status < 400 or status in (400, 409, 422):
        return (
            "ok"  # answered; 400/409/422: the request reached its form or service, which answered its input
        )
    return str(status)


# --- Tests -------------------------------------------------------------------------------------------------


def test_every_route_and_method_has_one_policy_rule():
    problems = []
    for row in ROWS:
        rules = policy.rules_for(row.route.name, row.method)
        if len(rules) != 1:
            problems.append(f"{row.key}: {len(rules)} rules {rules}")
    assert not problems, (
        "Every route x method needs exactly one rule in tests/security/capability_policy.py RULE_ROUTES:\n"
        + "\n".join(problems)
    )
    assert set(policy.RULE_ROUTES) == set(policy.POLICY), "RULE_ROUTES and RULES must name the same rules"
    keys = [(row.route.name, row.method) for row in ROWS]
    for rule, entries in policy.RULE_ROUTES.items():
        for entry in entries:
            assert any(policy._matches(entry, *k) for k in keys), f"{rule!r}: {entry!r} matches no route"


def test_the_walk_finds_routes_of_every_kind():
    keys = {row.key for row in ALL_ROWS}
    assert len(ROUTES) > 150
    for key in (
        "incidents:detail GET",
        "api:incident-list POST",
        "api:webhook-detail DELETE",
        "accounts:two_factor_disable POST",
    ):
        assert key in keys


def test_the_policy_never_says_403_for_what_the_persona_cannot_see():
    problems = []
    for row in ROWS:
        scope = _scope(row.route)
        if scope is None:
            continue
        (rule,) = policy.rules_for(row.route.name, row.method)
        for persona in PERSONAS:
            cell = policy.POLICY[rule][persona]
            answers = dict(
                zip(INCIDENTS, cell.split("/") * 2 if "/" not in cell else cell.split("/"), strict=False)
            )
            for variant, answer in answers.items():
                if (
                    persona in ("anon", "gone")
                    or answer in ("-", "404")
                    or policy.sees(persona, scope, variant)
                ):
                    continue
                problems.append(
                    f"{row.key} ({rule!r}) as {persona}: {answer} for a {variant} {scope} they cannot see"
                )
    assert not problems, "A hidden object answers 404:\n" + "\n".join(problems)


def test_the_readme_shows_the_policy():
    readme = (settings.BASE_DIR / "README.md").read_text()
    start, end = "<!-- capability-matrix:start -->", "<!-- capability-matrix:end -->"
    assert start in readme, f"README.md needs the table between {start} and {end}"
    assert end in readme, f"README.md needs the table between {start} and {end}"
    shown = readme.split(start)[1].split(end)[0].strip()
    assert shown == policy.readme_table(), (
        "README.md's access-control table differs from tests/security/capability_policy.py: "
        "paste the output of `python -m tests.security.capability_policy`"
    )


DUMP = os.environ.get("CAPABILITY_MATRIX_DUMP")


@pytest.mark.parametrize("row", ROWS, ids=[r.key for r in ROWS])
def test_capability_matrix(row: Row, world: World):
    cache.clear()  # a fresh API throttle window per row: the matrix measures permissions, not rates
    scope = _scope(row.route)
    variants = INCIDENTS if scope else ("internal",)
    personas = PERSONAS if row.route.is_api else tuple(p for p in PERSONAS if p not in TOKENS)
    observed: dict[str, list[str]] = {}
    problems: list[str] = []
    for persona in personas:
        for variant in variants:
            url = build_url(row.route, world, variant)
            status, body, location = request(world, row, persona, url)
            got = classify(row, status, location)
            observed.setdefault(persona, []).append(got)
            where = f"{row.method} {url} as {persona} ({variant})"
            if status >= 500:
                problems.append(f"{where}: server error {status}")
            for other in INCIDENTS:
                for kind, mark in MARKERS[other].items():
                    if mark in body + location and not policy.sees(persona, kind, other):
                        problems.append(f"{where}: the answer shows the {kind} of the {other} incident")
            if scope and got == "404" and not policy.sees(persona, scope, variant):
                ghost_url = build_url(row.route, world, variant, ghost=True)
                key = (persona, row.method, ghost_url)
                if key not in world.ghosts:
                    world.ghosts[key] = request(world, row, persona, ghost_url)[:2]
                ghost_status, ghost_body = world.ghosts[key]
                same = _CSRF.sub("", body.replace(url, "")) == _CSRF.sub(
                    "", ghost_body.replace(ghost_url, "")
                )
                if ghost_status != status or not same:
                    problems.append(f"{where}: the 404 differs from the one for an id that does not exist")
    cells = {p: "/".join(v) if len(set(v)) > 1 else v[0] for p, v in observed.items()}
    if DUMP:
        with open(DUMP, "a") as out:
            out.write(json.dumps({"row": row.key, "scope": scope, "cells": cells}) + "\n")
        return
    (rule,) = policy.rules_for(row.route.name, row.method)
    for persona, got in cells.items():
        want = policy.expected(rule, persona, scoped=bool(scope))
        if got != want:
            problems.append(f"{row.key} as {persona}: got {got}, the policy ({rule!r}) says {want}")
    assert not problems, "\n".join(problems)
