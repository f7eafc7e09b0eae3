"""The writes matrix: every unsafe route and method of the URL configuration (the API router included) x
representative personas x an internal and a restricted incident, each sent an empty body, against the
write rules of `tests/security/capability_policy.py` (WRITE_RULES).

An empty body asks only the permission: since pages and API views ask it before they read the input
(`incidents.api.checks`, `_get_to_change`, `versioned_view(check=)`), a persona who may not act is refused
(403, 404 for what they cannot see, sign-in for the anonymous), and one who may gets an answer about their
input (`ok`: a 400 with field errors, a redirect with a message). A refused request must change nothing:
its SQL is captured and any INSERT, UPDATE or DELETE fails the row, except security events (the record of
the refusal), sessions, sign-in attempts (django-axes) and an API token's last-used time.

A route x method without a write rule is a failing test (`test_every_unsafe_route_has_one_write_rule`).

Budget: it shares the GET matrix's world (`test_capability_matrix.world`: built once per module, one
savepoint per request, rolled back) and asks WRITE_PERSONAS (14 of the GET matrix's 15, all but `other`):
anonymous, a deactivated lead's session, a user of no team, a Platform viewer and responder, an item owner
who sees neither incident, a finding owner, its verifier, a lead of Payments and of Platform, the
commander, an admin, and the commander's read-only and read-write API tokens (API rows only).
"""

from __future__ import annotations

import json
import os
import re
from http.cookies import SimpleCookie

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership
from tests.factories import MembershipFactory, TeamFactory
from tests.security import capability_policy as policy
from tests.security.test_capability_matrix import (
    ALL_ROWS,
    INCIDENTS,
    MARKERS,
    Row,
    World,
    _body,
    _scope,
    classify,
)
from tests.security.test_capability_matrix import world as world  # noqa: F401  (the shared module fixture)
from tests.security.test_permission_matrix import build_url

pytestmark = pytest.mark.django_db

PERSONAS = policy.WRITE_PERSONAS
TOKENS = ("ro", "rw")
WRITE_ROWS = [row for row in ALL_ROWS if row.method != "GET"]

# Writes a refused request may make: the record of the refusal and of who asked.
ALLOWED_WRITES = re.compile(
    r'^(INSERT INTO|UPDATE|DELETE FROM) "?(accounts_securityevent|django_session|axes_\w+)"?'
    r'|^UPDATE "?accounts_apitoken"? SET "?last_used_at"?'
    # Signing out (here or everywhere) ends sessions: its own records, and the session generation.
    r'|^UPDATE "?accounts_usersession"? SET "?ended_at"?'
    r'|^UPDATE "?accounts_user"? SET "?session_generation"?',
    re.IGNORECASE,
)
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


class _Rollback(Exception):
    pass


def send(world: World, row: Row, persona: str, url: str) -> tuple[int, str, str, list[str]]:
    """(status, body, Location, the writes it made) of `row.method url` as `persona` with an empty body,
    rolled back."""
    client = world.clients[persona]
    client.cookies = SimpleCookie()
    if persona in world.sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[persona]
    method = row.method.lower()
    try:
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            if row.route.is_api:
                response = getattr(client, method)(url, data="{}", content_type="application/json")
            else:
                response = getattr(client, method)(url)
            writes = [q["sql"] for q in queries.captured_queries if WRITE.match(q["sql"])]
            result = (response.status_code, _body(response), response.get("Location", ""), writes)
            raise _Rollback
    except _Rollback:
        pass
    return result


def test_every_unsafe_route_has_one_write_rule():
    problems = []
    for row in WRITE_ROWS:
        rules = policy.write_rules_for(row.route.name, row.method)
        if len(rules) != 1:
            problems.append(f"{row.key}: {len(rules)} write rules {rules}")
    assert not problems, (
        "Every unsafe route x method needs exactly one rule in capability_policy.py WRITE_RULE_ROUTES:\n"
        + "\n".join(problems)
    )
    assert set(policy.WRITE_RULE_ROUTES) == set(policy.WRITE_POLICY)
    keys = [(row.route.name, row.method) for row in WRITE_ROWS]
    for rule, entries in policy.WRITE_RULE_ROUTES.items():
        for entry in entries:
            assert any(policy._matches(entry, *k) for k in keys), f"{rule!r}: {entry!r} matches no route"


def test_the_readme_shows_the_write_policy():
    """README.md's writes table is WRITE_RULES, cell for cell, so neither can drift from the other."""
    readme = (settings.BASE_DIR / "README.md").read_text()
    start, end = "<!-- capability-matrix-writes:start -->", "<!-- capability-matrix-writes:end -->"
    assert start in readme, f"README.md needs the writes table between {start} and {end}"
    assert end in readme, f"README.md needs the writes table between {start} and {end}"
    shown = readme.split(start)[1].split(end)[0].strip()
    assert shown == policy.readme_write_table(), (
        "README.md's writes table differs from WRITE_RULES in tests/security/capability_policy.py: run "
        "`python -m tests.security.capability_policy --write-readme`"
    )
    assert policy.readme_with_tables(readme) == readme


def test_the_walk_finds_the_unsafe_routes_of_pages_and_the_api():
    keys = {row.key for row in WRITE_ROWS}
    for key in ("incidents:status POST", "api:incident-status POST", "api:webhook-detail DELETE"):
        assert key in keys
    assert len(WRITE_ROWS) > 100


DUMP = os.environ.get("CAPABILITY_MATRIX_DUMP")


@pytest.mark.parametrize("row", WRITE_ROWS, ids=[r.key for r in WRITE_ROWS])
def test_writes_matrix(row: Row, world: World):
    cache.clear()  # a fresh API throttle window per row
    scope = _scope(row.route)
    variants = INCIDENTS if scope else ("internal",)
    personas = PERSONAS if row.route.is_api else tuple(p for p in PERSONAS if p not in TOKENS)
    rule = None if DUMP else policy.write_rules_for(row.route.name, row.method)[0]
    observed: dict[str, list[str]] = {}
    problems: list[str] = []
    for persona in personas:
        for variant in variants:
            url = build_url(row.route, world, variant)
            status, body, location, writes = send(world, row, persona, url)
            got = classify(row, status, location)
            observed.setdefault(persona, []).append(got)
            where = f"{row.method} {url} as {persona} ({variant})"
            if status >= 500:
                problems.append(f"{where}: server error {status}")
            for other in INCIDENTS:
                for kind, mark in MARKERS[other].items():
                    if mark in body + location and not policy.sees(persona, kind, other):
                        problems.append(f"{where}: the answer shows the {kind} of the {other} incident")
            if got != "ok":
                changed = [sql[:160] for sql in writes if not ALLOWED_WRITES.match(sql.lstrip())]
                if changed:
                    problems.append(f"{where}: refused ({got}) but wrote: {changed}")
    cells = {p: "/".join(v) if len(set(v)) > 1 else v[0] for p, v in observed.items()}
    if DUMP:
        with open(DUMP, "a") as out:
            out.write(
                json.dumps({"row": row.key, "scope": scope, "cells": cells, "problems": problems}) + "\n"
            )
        return
    assert rule is not None
    for persona, got in cells.items():
        want = policy.write_expected(rule, persona, scoped=bool(scope))
        if got != want:
            problems.append(f"{row.key} as {persona}: got {got}, the write policy ({rule!r}) says {want}")
    assert not problems, "\n".join(problems)


# --- Fields that need more than the right to edit (FIELD_RULES) ---------------------------------------------


def _field_value(world: World, rule: str) -> tuple[str, dict]:
    """The field a FIELD_RULES row is about and the value sent: for the team, Ops (a team `lead` and `lead2`
    lead, made inside the request's rolled-back transaction); for the people, the commander as verifier."""
    if rule.startswith("change a finding's team"):
        ops = TeamFactory(name="Ops", slug="ops")
        for persona in ("lead", "lead2"):
            MembershipFactory(user=world.users[persona], team=ops, role=Membership.Role.LEAD)
        return "team", {"team": ops.pk}
    return "verifier", {"verifier": world.users["cmdr"].pk}


@pytest.mark.parametrize("rule", list(policy.FIELD_POLICY))
def test_field_rules(rule: str, world: World):
    cache.clear()
    problems = []
    for persona in PERSONAS:
        got = []
        for variant in INCIDENTS:
            finding = world.objects[variant]["finding"]
            client = world.clients[persona]
            client.cookies = SimpleCookie()
            if persona in world.sessions:
                client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[persona]
            try:
                with transaction.atomic():
                    field, body = _field_value(world, rule)
                    before = getattr(type(finding).objects.get(pk=finding.pk), f"{field}_id")
                    response = client.patch(
                        f"/api/v1/policy-findings/{finding.pk}/",
                        data=json.dumps({**body, "version": finding.version}),
                        content_type="application/json",
                    )
                    after = getattr(type(finding).objects.get(pk=finding.pk), f"{field}_id")
                    raise _Rollback
            except _Rollback:
                pass
            status = response.status_code
            word = {200: "ok", 401: "login"}.get(status, str(status))
            if status == 400 and field not in response.json():
                word = f"400 not naming {field}: {response.content[:120]!r}"
            if (word == "ok") != (after != before):
                problems.append(f"{persona} ({variant}): answered {word} but {field} {before} -> {after}")
            got.append(word)
        cell = "/".join(got) if len(set(got)) > 1 else got[0]
        if cell != policy.FIELD_POLICY[rule][persona]:
            problems.append(f"{persona}: got {cell}, FIELD_RULES says {policy.FIELD_POLICY[rule][persona]}")
    assert not problems, f"{rule}:\n" + "\n".join(problems)
