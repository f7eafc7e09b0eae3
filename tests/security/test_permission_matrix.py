"""The permission matrix, generated from the URL configuration (and so from the API router, which is included
in it): every named route x persona x {restricted, internal} incident, GET and POST.

Nobody has to remember to add a route: `get_resolver()` is walked at collection time. A route whose URL
parameters the matrix cannot fill fails with a message naming the table to extend (`PARAM_OBJECTS` for a
parameter name, `ROUTE_PARAM_OBJECTS` for one route's parameter). A route that needs more than "may see the
incident" (record, command, admin, ...) is described in `ACCESS`; routes not listed there still get every
invariant below.

Invariants checked for every request:
- no 5xx, ever;
- anonymous and deactivated users get the login redirect (web) or 401/403 (API), except `PUBLIC_ROUTES`;
- a persona who cannot see the incident gets 404 (or 405 for a method the route never takes), never 403, and
  the same status and page as for an incident that does not exist;
- a persona who sees it but lacks the capability is refused (403 from the service, or 404);
- no response (any status, any persona) contains text of an incident its viewer cannot see;
- a persona who may do what the route needs is not refused (no 401/403/404).

Personas: anonymous, deactivated (a former responder and participant of the restricted incident), outsider
(member of no team), viewer, responder, commander (commander and participant of both incidents), admin.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import ApiToken, Invitation, Membership, Team
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

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "deactivated", "outsider", "viewer", "responder", "commander", "admin")
INCIDENTS = ("restricted", "internal")
# Text planted in every field of each incident and its records; it must never reach someone who cannot see it.
MARKERS = {"restricted": "Zebra-restricted-7Q2", "internal": "Heron-internal-4K9"}

# Who may see each incident (hand-written: the matrix does not ask the permission module what to expect).
VISIBLE = {
    "restricted": {"commander", "admin"},
    "internal": {"viewer", "responder", "commander", "admin"},
}
# What each capability needs, before intersecting with VISIBLE for incident-scoped routes.
CAPABLE: dict[str, set[str]] = {
    "signed_in": {"outsider", "viewer", "responder", "commander", "admin"},
    "view": {"outsider", "viewer", "responder", "commander", "admin"},
    "member": {"viewer", "responder", "commander", "admin"},
    "record": {"responder", "commander", "admin"},
    "declare": {"responder", "commander", "admin"},
    "command": {"commander", "admin"},
    "admin": {"admin"},
    # Alert intake takes an integration's token only: every person (session or API token) is refused.
    "integration": set(),
}

# Routes that anonymous visitors may reach.
# The OpenAPI schema and its Swagger UI page describe endpoints and hold no data (Hindsight is open source).
PUBLIC_ROUTES = {"accounts:login", "accounts:logout", "api:docs", "api:schema"}
# Signed-out self-service: password reset, the two-factor code step and the invitation link.
PUBLIC_ROUTES |= {
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "accounts:login_code",
    "accounts:invitation_open",
    "sso_start",
    "sso_callback",
}
# A tracker's webhook is authenticated by the tracker's signature, not a session (401 without one).
PUBLIC_ROUTES |= {"incidents:tracker_webhook"}
# Slack's and Mattermost's requests are authenticated by Slack's signature or Mattermost's token (401 without).
PUBLIC_ROUTES |= {"incidents:slack_command", "incidents:slack_interactivity", "incidents:mattermost_command"}
PUBLIC_ROUTES |= {"incidents:mattermost_dialog"}  # authenticated by the dialog state Hindsight signed
# Namespaces with their own, separately tested guard (Django's admin requires is_staff).
EXCLUDED_NAMESPACES = {"admin"}

# route name -> {method: capability}. Unlisted: GET needs "view" (incident-scoped) or "signed_in";
# POST gets the invariants only (no refusal check).
ACCESS: dict[str, dict[str, str]] = {
    "incidents:declare": {"GET": "declare", "POST": "declare"},
    "incidents:edit": {"GET": "command", "POST": "command"},
    "incidents:status": {"POST": "command"},
    "incidents:severity": {"POST": "command"},
    "incidents:reopen": {"POST": "command"},
    # The People card: roles need command; participants and the picker need record (on a restricted
    # incident only those who may command add people, and every persona who sees one here may).
    "incidents:role": {"POST": "command"},
    "incidents:participant": {"POST": "record"},
    "incidents:people_suggestions": {"GET": "record"},
    # Custom field values: those who may record on the incident.
    "incidents:custom_fields": {"GET": "record", "POST": "record"},
    "incidents:tasks": {"POST": "record"},
    "incidents:stakeholder_update": {"POST": "record"},
    "api:incident-updates": {"POST": "record"},
    "api:incident-tasks": {"POST": "record"},
    "api:incident-task": {"PATCH": "record"},
    # Attachments: those who may record upload; everyone who sees the incident downloads (GET: "view").
    "incidents:attachment_upload": {"POST": "record"},
    # Removing one: who uploaded it (Hindsight itself here) and those who may command the incident.
    "incidents:attachment_remove": {"POST": "command"},
    "api:incident-attachment": {"DELETE": "command"},
    # The review meeting's invitations: those who may write the review (who may record, or its author).
    "incidents:meeting_invite": {"POST": "record"},
    "incidents:meeting_invite_cancel": {"POST": "record"},
    "api:incident-review-meetings": {"POST": "record"},
    "api:incident-review-meeting-cancel": {"POST": "record"},
    "api:incident-attachments": {"POST": "record"},
    "incidents:timeline_quick_add": {"POST": "record"},
    "incidents:timeline_when": {"GET": "record"},
    "incidents:timeline_edit": {"GET": "record", "POST": "record"},
    "incidents:timeline_remove": {"POST": "record"},
    "incidents:timeline_restore": {"POST": "record"},
    "incidents:timeline_import": {"GET": "record", "POST": "record"},
    "incidents:delete": {"GET": "admin", "POST": "admin"},
    "incidents:restore": {"GET": "admin", "POST": "admin"},
    "incidents:deleted_list": {"GET": "admin", "POST": "admin"},
    "incidents:security_events_csv": {"GET": "admin", "POST": "admin"},
    "api:webhook-list": {"GET": "admin", "POST": "admin"},
    "api:integration-alertmanager": {"GET": "integration", "POST": "integration"},
    "api:integration-grafana": {"GET": "integration", "POST": "integration"},
    "api:integration-pagerduty": {"GET": "integration", "POST": "integration"},
    "api:integration-opsgenie": {"GET": "integration", "POST": "integration"},
    "api:webhook-detail": {"GET": "admin", "POST": "admin"},
    "api:webhook-deliveries": {"GET": "admin", "POST": "admin"},
    "api:webhook-rotate-secret": {"GET": "admin", "POST": "admin"},
    # Follow-through: creating needs a responder; editing needs "record" (the owner, a commander here, too).
    "incidents:action_item_new": {"GET": "declare", "POST": "declare"},
    "incidents:action_item_edit": {"GET": "record", "POST": "record"},
    "incidents:finding_new": {"GET": "declare", "POST": "declare"},
    "incidents:finding_edit": {"GET": "record", "POST": "record"},
    "incidents:reassign": {"GET": "admin"},
    "incidents:bulk_reassign": {"POST": "admin"},
    "incidents:postmortem_edit": {"GET": "record", "POST": "record"},
    "incidents:postmortem_import": {"GET": "record", "POST": "record"},
    "incidents:factor_add": {"GET": "record", "POST": "record"},
    "incidents:factor_edit": {"GET": "record", "POST": "record"},
    # Settings pages: team leads and admins (the matrix has no lead persona; leads are tested in their module).
    "incidents:settings": {"GET": "admin", "POST": "admin"},
    "incidents:service_list": {"GET": "admin", "POST": "admin"},
    "incidents:service_edit": {"GET": "admin", "POST": "admin"},
    "incidents:tag_list": {"GET": "admin", "POST": "admin"},
    "incidents:incident_type_list": {"GET": "admin", "POST": "admin"},
    "incidents:incident_type_edit": {"GET": "admin", "POST": "admin"},
    "incidents:custom_field_edit": {"GET": "admin", "POST": "admin"},
    "incidents:process_rule_list": {"GET": "admin", "POST": "admin"},
    "incidents:process_rule_edit": {"GET": "admin", "POST": "admin"},
    # Waiving a required postmortem: admins and leads of the incident's teams (no lead persona here;
    # leads are tested in tests/incidents/incident/test_process_rules.py).
    "incidents:postmortem_waiver": {"POST": "admin"},
    "api:incident-process-waiver": {"POST": "admin"},
    "incidents:tag_edit": {"GET": "admin", "POST": "admin"},
    "incidents:tag_merge": {"GET": "admin", "POST": "admin"},
    # The service catalog through the API: everyone signed in reads it; admins (and team leads) write.
    "api:service-list": {"GET": "signed_in", "POST": "admin"},
    "incidents:tag_delete": {"GET": "admin", "POST": "admin"},
    "incidents:mailing_lists": {"GET": "admin", "POST": "admin"},
    "incidents:team_chat_list": {"GET": "admin", "POST": "admin"},
    "incidents:team_chat_edit": {"GET": "admin", "POST": "admin"},
    "incidents:integration_list": {"GET": "admin", "POST": "admin"},
    "incidents:integration_edit": {"GET": "admin", "POST": "admin"},
    "incidents:integration_rotate": {"POST": "admin"},
    "incidents:tracker_list": {"GET": "admin", "POST": "admin"},
    "incidents:tracker_edit": {"GET": "admin", "POST": "admin"},
    "accounts:invitations": {"GET": "admin", "POST": "admin"},
    "accounts:invitation_withdraw": {"POST": "admin"},
}


# route name -> the form a POST sends: enough for the write to reach its service, so a persona who lacks
# the capability is refused by the service's check (403), not by an empty form (a redirect with a message).
POST_BODIES: dict[str, dict[str, str]] = {
    "incidents:status": {"status": "closed"},
    "incidents:severity": {"severity": "SEV1", "reason": "spreading"},
    "incidents:reopen": {"reason": "errors are back"},
    "incidents:postmortem_waiver": {"reason": "reviewed with INC-3"},
    "incidents:tasks": {"title": "Page the DBA"},
    "incidents:stakeholder_update": {
        "status": "identified",
        "customer_impact": "Slow",
        "doing": "Rolling back",
    },
    "api:incident-updates": {"status": "resolved", "customer_impact": "None left", "doing": "Watching"},
    "api:incident-tasks": {"title": "Page the DBA"},
    "api:incident-process-waiver": {"reason": "reviewed with INC-3"},
    "incidents:timeline_add": {"body": "Restarted the primary", "kind": "note"},
    "incidents:timeline_quick_add": {"body": "Restarted the primary", "kind": "note", "when": "now"},
}


@dataclass
class World:
    """Everything the matrix requests refer to, per incident variant."""

    users: dict[str, Any]
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    shared: dict[str, Any] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)
    ghosts: dict[tuple[str, str, str], tuple[int, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Ref:
    """A URL parameter's value: attribute `attr` of world object `key` (per incident variant unless `shared`)."""

    key: str
    attr: str = "pk"
    shared: bool = False

    def __call__(self, world: World, variant: str) -> Any:
        obj = world.shared[self.key] if self.shared else world.objects[variant][self.key]
        return getattr(obj, self.attr)

    @property
    def incident_bound(self) -> bool:
        return not self.shared


@dataclass(frozen=True)
class Const:
    value: Any
    incident_bound: bool = False

    def __call__(self, world: World, variant: str) -> Any:
        return self.value


Resolver = Ref | Const


# URL parameter name -> value. Incident-bound objects live in `world.objects[variant]`; shared ones in
# `world.shared`. Extend this (or ROUTE_PARAM_OBJECTS) when you add a route with a new parameter name.
PARAM_OBJECTS: dict[str, Resolver] = {
    "number": Ref("incident", "number"),
    "incident_number": Ref("incident", "number"),
    "incident_id": Ref("incident"),
    "entry_id": Ref("entry"),
    "attachment_id": Ref("attachment"),
    "factor_id": Ref("factor"),
    "postmortem_id": Ref("postmortem"),
    "item_id": Ref("item"),
    "action_item_id": Ref("item"),
    "finding_id": Ref("finding"),
    "review_id": Ref("review"),
    "task_id": Ref("task"),
    "service_id": Ref("service", shared=True),
    "slug": Ref("service", "slug", shared=True),
    "service_slug": Ref("service", "slug", shared=True),
    "team_slug": Ref("team", "slug", shared=True),
    "team_id": Ref("team", shared=True),
    "format": Const("json"),
    "severity": Const("SEV2"),
    "tag_id": Ref("tag", shared=True),
    "integration_id": Ref("integration", shared=True),
    "tracker_id": Ref("tracker", shared=True),
    "type_slug": Ref("incident_type", "slug", shared=True),
    "field_id": Ref("custom_field", shared=True),
}
# (route name, parameter) -> value, for generic names such as `pk` on a plain Django view.
ROUTE_PARAM_OBJECTS: dict[tuple[str, str], Resolver] = {
    ("accounts:token_revoke", "pk"): Ref("token", shared=True),
    ("incidents:insights_csv", "figure"): Const("incidents"),
    ("accounts:password_reset_confirm", "uidb64"): Const("MQ"),
    ("accounts:password_reset_confirm", "token"): Const("set-password"),
    ("accounts:invitation_open", "token"): Const("no-such-invitation"),
    ("accounts:invitation_withdraw", "pk"): Ref("invitation", shared=True),
    ("accounts:session_end", "session_id"): Const(987654),
    ("api:incident-participant", "user_id"): Ref("incident", "commander_id"),
}
# Which world object a model's `pk`/lookup parameter means (DRF viewsets and Django generic views).
MODEL_OBJECTS: dict[type, str] = {
    m.Incident: "incident",
    m.TimelineEntry: "entry",
    m.ContributingFactor: "factor",
    m.Postmortem: "postmortem",
    m.PostmortemReview: "review",
    m.IncidentTask: "task",
    m.ActionItem: "item",
    m.PolicyFinding: "finding",
}
SHARED_MODEL_OBJECTS: dict[type, str] = {
    m.Service: "service",
    Team: "team",
    m.WebhookEndpoint: "webhook",
    m.ChangeEvent: "change",
}


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    params: tuple[str, ...]
    callback: Any
    namespace: str = ""

    @property
    def is_api(self) -> bool:
        return hasattr(self.callback, "cls") or self.pattern.startswith("api/")


def _walk(
    patterns: list, prefix: str = "", namespace: str = "", params: tuple[str, ...] = ()
) -> Iterator[Route]:
    for p in patterns:
        own = tuple(p.pattern.regex.groupindex)
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns, params + own)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or "")
            yield Route(name, prefix + str(p.pattern), params + own, p.callback, namespace)


def all_routes() -> list[Route]:
    """Every route of the URL configuration outside EXCLUDED_NAMESPACES, one per name.

    DRF's format-suffix twins (`...\\.(?P<format>...)`) reach the same view as their plain route and are folded in.
    """
    seen: dict[str, Route] = {}
    unnamed: list[Route] = []
    for route in _walk(get_resolver().url_patterns):
        if route.namespace.split(":")[0] in EXCLUDED_NAMESPACES:
            continue
        if not route.name:
            unnamed.append(route)
            continue
        if route.name in seen and "format" in route.params:
            continue
        if route.name in seen and "format" in seen[route.name].params:
            seen[route.name] = route
            continue
        seen.setdefault(route.name, route)
    routes = sorted(seen.values(), key=lambda r: r.name)
    routes += [Route(f"<unnamed {r.pattern}>", r.pattern, r.params, r.callback) for r in unnamed]
    return routes


ROUTES = all_routes()


def _view_model(callback: Any) -> tuple[type | None, str, str]:
    """(model, lookup field, lookup URL kwarg) of a DRF viewset or Django generic view, or (None, '', '')."""
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is None:
        return None, "", ""
    model = getattr(cls, "model", None)
    queryset = getattr(cls, "queryset", None)
    if model is None and queryset is not None:
        model = queryset.model
    serializer = getattr(cls, "serializer_class", None)
    if model is None and serializer is not None and hasattr(serializer, "Meta"):
        model = getattr(serializer.Meta, "model", None)
    lookup_field = getattr(cls, "lookup_field", "pk") or "pk"
    lookup_kwarg = getattr(cls, "lookup_url_kwarg", None) or lookup_field
    return model, lookup_field, lookup_kwarg


def _resolver_for(route: Route, param: str) -> Resolver | None:
    if (route.name, param) in ROUTE_PARAM_OBJECTS:
        return ROUTE_PARAM_OBJECTS[(route.name, param)]
    model, lookup_field, lookup_kwarg = _view_model(route.callback)
    if model is not None and param in {lookup_kwarg, "pk"}:
        attr = "pk" if lookup_field in {"pk", "id"} else lookup_field
        if model in MODEL_OBJECTS:
            return Ref(MODEL_OBJECTS[model], attr)
        if model in SHARED_MODEL_OBJECTS:
            return Ref(SHARED_MODEL_OBJECTS[model], attr, shared=True)
    return PARAM_OBJECTS.get(param)


def _scoped(route: Route) -> bool:
    """True when the route's URL names an incident or something recorded on one."""
    return any(getattr(_resolver_for(route, p), "incident_bound", False) for p in route.params)


def build_url(route: Route, world: World, variant: str, *, ghost: bool = False) -> str:
    """Reverse `route` with parameters filled from `world`; `ghost` fills ids that match nothing."""
    if route.name.startswith("<unnamed"):
        pytest.fail(
            f"Route {route.pattern!r} has no name, so the permission matrix cannot reverse it. "
            "Give it a name in its urls module."
        )
    kwargs = {}
    for param in route.params:
        resolver = _resolver_for(route, param)
        if resolver is None:
            pytest.fail(
                f"The permission matrix cannot fill URL parameter {param!r} of route {route.name!r} "
                f"({route.pattern}). Add a mapping for it in tests/accounts/test_permission_matrix.py: "
                f"PARAM_OBJECTS[{param!r}] (every route with that parameter name) or "
                f"ROUTE_PARAM_OBJECTS[({route.name!r}, {param!r})], creating the object in `world` if needed."
            )
        value = resolver(world, variant)
        if ghost and param != "format":
            value = 987654 if isinstance(value, int) else "ghost-no-such-thing"
        kwargs[param] = value
    return reverse(route.name, kwargs=kwargs)


def capability(route: Route, method: str) -> str | None:
    if route.name in ACCESS:
        return ACCESS[route.name].get(method, ACCESS[route.name].get("GET") if method == "HEAD" else None)
    if method == "GET":
        return "view" if _scoped(route) else "signed_in"
    return None


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """Built once per module inside a transaction that is rolled back at the end; each test nests a savepoint."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield _build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            # Hundreds of requests fill the API throttle's cache; user ids are reused after the rollback.
            cache.clear()


def _build_world() -> World:
    team = TeamFactory(name="Platform", slug="platform")
    other_team = TeamFactory(name="Payments", slug="payments")

    def member(email: str, role: str, **extra: Any) -> Any:
        user = UserFactory(email=email, **extra)
        MembershipFactory(user=user, team=team, role=role)
        return user

    users = {
        "outsider": UserFactory(email="outsider@example.com"),
        "viewer": member("viewer@example.com", Membership.Role.VIEWER),
        "responder": member("responder@example.com", Membership.Role.RESPONDER),
        "commander": member("commander@example.com", Membership.Role.RESPONDER),
        "deactivated": member("former@example.com", Membership.Role.LEAD),
        "admin": UserFactory(email="admin@example.com", is_staff=True, is_superuser=True),
    }
    service = ServiceFactory(name="Checkout", slug="checkout", team=team)
    token = ApiToken.objects.create(
        user=users["commander"], name="deploy-bot", key_hash="0" * 64, key_prefix="hst_0000"
    )
    webhook = m.WebhookEndpoint.objects.create(url="https://hooks.example.com/x", secret="s" * 32)
    change = m.ChangeEvent.objects.create(service=service, summary="Deploy 1.2.3")
    tag = m.Tag.objects.create(name="database")
    invitation = Invitation.objects.create(
        email="invitee@example.com",
        team=other_team,
        token_hash="2" * 64,
        expires_at=timezone.now() + timedelta(days=1),
    )
    integration = m.AlertIntegration.objects.create(
        name="prod-alertmanager", kind="alertmanager", team=team, key_hash="1" * 64, key_prefix="hsi_1111"
    )
    # Switched off, so "Create in tracker" answers without a network call (its service is tested on its own).
    tracker = m.TrackerConnection.objects.create(
        team=team, kind="github", site_url="https://api.github.com", project="acme/web", is_active=False
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
            "team": other_team,
            "token": token,
            "webhook": webhook,
            "change": change,
            "tag": tag,
            "integration": integration,
            "invitation": invitation,
            "tracker": tracker,
        },
    )
    for variant in INCIDENTS:
        mark = MARKERS[variant]
        incident = IncidentFactory(
            title=f"{mark} database outage",
            summary=f"Summary {mark}",
            customer_impact=f"Impact {mark}",
            visibility=m.Visibility.RESTRICTED if variant == "restricted" else m.Visibility.INTERNAL,
            commander=users["commander"],
            declared_by=users["commander"],
            status=m.IncidentStatus.RESOLVED,
            resolved_at=timezone.now(),
            incident_type=incident_type,
        )
        m.CustomFieldValue.objects.create(incident=incident, field=custom_field, text=f"Ticket {mark}")
        incident.teams.add(team)
        incident.services.add(service)
        incident.participants.add(users["commander"])
        if variant == "restricted":
            incident.participants.add(users["deactivated"])
        entry = TimelineEntryFactory(incident=incident, body=f"Entry {mark}", author=users["commander"])
        factor = ContributingFactorFactory(incident=incident, title=f"Factor {mark}", description=mark)
        postmortem = m.Postmortem.objects.create(
            incident=incident, sections={"summary": f"Postmortem {mark}"}, author=users["commander"]
        )
        review = m.PostmortemReview.objects.create(postmortem=postmortem, reviewer=users["commander"])
        item = ActionItemFactory(
            incident=incident, title=f"Item {mark}", owner=users["commander"], factor=factor
        )
        finding = PolicyFindingFactory(title=f"Finding {mark}", owner=users["commander"])
        finding.incidents.add(incident)
        task = m.IncidentTask.objects.create(incident=incident, title=f"Task {mark}")
        w.objects[variant] = {
            "incident": incident,
            "entry": entry,
            "attachment": screenshot_attachment(incident, f"Screenshot {mark}.png"),
            "factor": factor,
            "postmortem": postmortem,
            "review": review,
            "item": item,
            "finding": finding,
            "task": task,
        }
    # One session per persona, made before deactivation: the deactivated user's old session must not work.
    for persona, user in users.items():
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        w.sessions[persona] = client.cookies[settings.SESSION_COOKIE_NAME].value
    users["deactivated"].is_active = False
    users["deactivated"].deactivated_at = timezone.now()
    users["deactivated"].save()
    return w


class _Rollback(Exception):
    pass


_CSRF = re.compile(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+')


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _request(route: Route, session: str | None, method: str, url: str) -> tuple[int, str, str]:
    client = Client()
    if session is not None:
        client.cookies[settings.SESSION_COOKIE_NAME] = session
    try:
        with transaction.atomic():
            if method == "GET":
                response = client.get(url)
            elif route.is_api:
                response = client.post(url, data=json.dumps({}), content_type="application/json")
            else:
                response = client.post(url, data=POST_BODIES.get(route.name, {}))
            result = (response.status_code, _body(response), response.get("Location", ""))
            raise _Rollback
    except _Rollback:
        pass
    return result


def _expectation(route: Route, persona: str, variant: str, method: str) -> tuple[str, set[int] | None]:
    """(why, allowed statuses); None means "anything but 401/403/404 and 5xx"."""
    anonymous = persona in {"anonymous", "deactivated"}
    if route.name in PUBLIC_ROUTES:
        return "public route", set(range(200, 500))
    if anonymous:
        return ("signed out", {401, 403, 405}) if route.is_api else ("signed out", {302, 405})
    scoped = _scoped(route)
    if scoped and persona not in VISIBLE[variant]:
        return "cannot see the incident", {404, 405}
    cap = capability(route, method)
    if cap is None:
        return "no ACCESS entry: invariants only", set(range(200, 500)) - {401}
    allowed = CAPABLE[cap] & (VISIBLE[variant] if scoped else CAPABLE[cap])
    if persona in allowed:
        return f"may {cap}", None
    # A service refuses what the persona sees but may not do with 403; a page that shows an editor's form
    # may still answer 404 for it.
    return f"lacks {cap}", {403, 404, 405}


def _check(route: Route, world: World, persona: str, variant: str, method: str) -> list[str]:
    problems: list[str] = []
    session = world.sessions.get(persona)
    url = build_url(route, world, variant)
    status, body, location = _request(route, session, method, url)
    why, allowed = _expectation(route, persona, variant, method)
    where = f"{method} {url} as {persona} ({variant} incident, {why})"
    if status >= 500:
        problems.append(f"{where}: server error {status}")
    elif allowed is None:
        if status in {401, 403, 404}:
            problems.append(f"{where}: refused with {status}")
    elif status not in allowed:
        problems.append(f"{where}: got {status}, expected one of {sorted(allowed)[:6]}")
    signed_out = persona in {"anonymous", "deactivated"} and route.name not in PUBLIC_ROUTES
    if signed_out and status == 302 and not location.startswith(reverse(settings.LOGIN_URL)):
        problems.append(f"{where}: redirected to {location}, not to sign-in")
    for other in INCIDENTS:
        if persona not in VISIBLE[other] and MARKERS[other] in body + location:
            problems.append(f"{where}: response shows text of the {other} incident")
    if why == "cannot see the incident" and status == 404:
        ghost_url = build_url(route, world, variant, ghost=True)
        key = (persona, method, ghost_url)
        if key not in world.ghosts:
            world.ghosts[key] = _request(route, session, method, ghost_url)[:2]
        ghost_status, ghost_body = world.ghosts[key]
        same = _CSRF.sub("", body.replace(url, "")) == _CSRF.sub("", ghost_body.replace(ghost_url, ""))
        if ghost_status != status or not same:
            problems.append(f"{where}: the 404 differs from the one for a record that does not exist")
    return problems


def test_matrix_walks_every_route_including_the_api_router():
    names = {r.name for r in ROUTES}
    assert "incidents:detail" in names
    routers = []
    for resolver_module in _included_modules(get_resolver()):
        routers += [v for v in vars(resolver_module).values() if _is_router(v)]
    for router in routers:
        for pattern in router.urls:
            if pattern.name and not any(n.endswith(":" + pattern.name) or n == pattern.name for n in names):
                pytest.fail(f"API route {pattern.name} of {router} is not reached from the URL configuration")


def _included_modules(resolver: URLResolver) -> Iterator[Any]:
    module = resolver.urlconf_module
    if not isinstance(module, list | tuple):
        yield module
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            yield from _included_modules(p)


def _is_router(value: Any) -> bool:
    try:
        from rest_framework.routers import BaseRouter
    except ImportError:  # pragma: no cover
        return False
    return isinstance(value, BaseRouter)


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_permission_matrix(route: Route, world: World):
    cache.clear()  # a fresh API throttle window per route: the matrix measures permissions, not rates
    problems: list[str] = []
    for variant in INCIDENTS:
        for persona in PERSONAS:
            for method in ("GET", "POST"):
                problems += _check(route, world, persona, variant, method)
    assert not problems, "\n".join(problems)


def test_admin_site_sends_non_staff_to_its_sign_in(world: World):
    for persona in ("outsider", "viewer", "responder", "commander"):
        client = Client()
        client.force_login(world.users[persona], backend="django.contrib.auth.backends.ModelBackend")
        response = client.get(reverse("admin:index"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
