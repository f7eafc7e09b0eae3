"""Every field of the API's write serializers that takes a person is a `PersonField`: a whole-number id,
and one message for an id that names nobody and for a person the caller may not pick (issue 18: the
roles endpoint said `Invalid pk "100"` for a made-up id and "Choose an active person" for a real one)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.urls import reverse
from rest_framework import serializers

import incidents
from accounts.models import Membership, User
from incidents.api.fields import PersonField
from incidents.incident.person_fields import NOT_PICKABLE
from incidents.models import Visibility
from incidents.permissions.people import NOT_CHOOSABLE
from tests.factories import (
    ActionItemFactory,
    IncidentFactory,
    MembershipFactory,
    PolicyFindingFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _write_serializers() -> list[type[serializers.Serializer]]:
    for module in pkgutil.walk_packages(incidents.__path__, "incidents."):
        if module.name.endswith(("serializers", "api")) or ".api." in module.name:
            importlib.import_module(module.name)
    found: list[type[serializers.Serializer]] = []
    stack: list[Any] = [serializers.Serializer]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("incidents."):
                found.append(sub)
    return found


def _person_fields(serializer_class: type[serializers.Serializer]):
    try:
        fields = serializer_class().fields
    except Exception:  # a serializer that needs arguments to build is not a write form
        return
    for name, field in fields.items():
        target = field.child_relation if isinstance(field, serializers.ManyRelatedField) else field
        target = target.child if isinstance(target, serializers.ListField) else target
        if getattr(target, "read_only", False):
            continue
        queryset = getattr(target, "queryset", None)
        if queryset is not None and queryset.model is User:
            yield name, target


def test_every_person_field_of_a_write_serializer_is_a_person_field():
    checked = []
    for cls in _write_serializers():
        for name, field in _person_fields(cls):
            checked.append(f"{cls.__name__}.{name}")
            assert isinstance(field, PersonField), (
                f"{cls.__module__}.{cls.__name__}.{name} is not a PersonField"
            )
    # Never vacuous: the roles, participants, action-item and finding serializers are walked.
    assert {"RolesSerializer.scribe", "ParticipantSerializer.user", "ActionItemWriteSerializer.owner"} <= set(
        checked
    )


# --- One answer for people the caller may not pick (issue 14, fifth attack) -----------------------------
#
# Every field that takes a person, on the API's write serializers and on the page forms, is walked; each
# must have a case below (a new field without one fails), and each case is asked three ways by the same
# caller: an id that names nobody, an id of someone they may not pick (not listed for them by
# `/api/v1/users/?incident=N`, or `/api/v1/users/` for a field on no incident), and someone they may pick
# who may not hold the field. The first two must be answered with the same status and the same bytes, and
# never accepted; the third is refused with its own message, naming that person and nobody else.

UNKNOWN_ID = 999_999
# How a person who cannot be chosen is refused: the API and the services, the page forms, and the pages
# that say it in their own words (bulk reassignment, asking for a review, a task's owner).
REFUSALS = (
    NOT_CHOOSABLE,
    NOT_PICKABLE,
    "Choose an active person to give the work to.",
    "Choose at least one reviewer.",
    "Choose an owner from the list, or none.",
)


def _form_classes() -> list[type[forms.BaseForm]]:
    for module in pkgutil.walk_packages(incidents.__path__, "incidents."):
        if module.name.rsplit(".", 1)[-1] in ("forms", "type_forms") or ".forms." in module.name:
            importlib.import_module(module.name)
    found: list[type[forms.BaseForm]] = []
    stack: list[Any] = [forms.BaseForm]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("incidents."):
                found.append(sub)
    return found


# Form fields over users that choose nobody: filters narrowing a list the viewer already sees.
NOT_CHOOSING = {"FindingFilters.owner", "ItemFilters.owner"}


def _form_person_fields() -> set[str]:
    names = set()
    for cls in _form_classes():
        for name, field in getattr(cls, "base_fields", {}).items():
            queryset = getattr(field, "queryset", None)
            if queryset is not None and queryset.model is User:
                names.add(f"{cls.__name__}.{name}")
    return names


def _api_person_fields() -> set[str]:
    return {f"{cls.__name__}.{name}" for cls in _write_serializers() for name, _ in _person_fields(cls)}


@dataclass
class World:
    me: User  # the caller: a Platform responder, commander of `incident` and of `restricted`
    viewer: User  # a Platform viewer: the caller may pick them; they record nothing
    mate: User  # a Platform responder taking part in nothing
    stranger: User  # active, in no team, on no incident: nobody's to pick but an admin's
    other_team: User  # a Support responder: pickable on an internal incident, not on no incident
    incident: Any
    restricted: Any
    finding: Any  # a Platform finding seen in `restricted`, owned by `me`
    item: Any  # an action item on `incident`
    own_item: Any  # an action item on no incident
    pm: Any  # the postmortem of `incident` (written by `me`)


@pytest.fixture
def world(team, responder, viewer) -> World:
    from incidents.review.services.postmortems import postmortem_start

    lead = responder
    lead_membership = Membership.objects.get(user=lead, team=team)
    lead_membership.role = Membership.Role.LEAD  # a lead: reassigns work in bulk, moves team findings
    lead_membership.save()
    mate = UserFactory(display_name="Mo Mate")
    MembershipFactory(user=mate, team=team, role=Membership.Role.RESPONDER)
    support = TeamFactory(name="Support", slug="support")
    other_team = UserFactory(display_name="Sol Support")
    MembershipFactory(user=other_team, team=support, role=Membership.Role.RESPONDER)
    stranger = UserFactory(display_name="Stella Stranger")
    incident = IncidentFactory(commander=lead, declared_by=lead)
    incident.teams.add(team)
    incident.participants.add(lead)
    restricted = IncidentFactory(commander=lead, declared_by=lead, visibility=Visibility.RESTRICTED)
    restricted.participants.add(lead)
    finding = PolicyFindingFactory(team=team, owner=lead, title="No guard on prod shell")
    finding.incidents.add(restricted)
    item = ActionItemFactory(incident=incident, owner=lead, title="Snapshots")
    own_item = ActionItemFactory(incident=None, owner=lead, title="Runbook review")
    pm = postmortem_start(incident=incident, actor=lead)
    return World(lead, viewer, mate, stranger, other_team, incident, restricted, finding, item, own_item, pm)


def _api(world: World, method: str, url: str, body: dict[str, Any]) -> tuple[int, bytes]:
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(world.me)
    r = getattr(client, method)(url, body, format="json")
    return r.status_code, r.content


def _page(world: World, url: str, body: dict[str, Any], field: str, *, form: str = "form") -> tuple[int, str]:
    from django.test import Client

    client = Client()
    client.force_login(world.me, backend="django.contrib.auth.backends.ModelBackend")
    r = client.post(url, body, HTTP_HX_REQUEST="true" if form == "error" else "")
    if r.status_code == 302:
        said = [str(m) for m in get_messages(r.wsgi_request)]
        return r.status_code, " ".join(said)
    if form == "error":
        return r.status_code, str(r.context["error"])
    return r.status_code, " ".join(r.context[form].errors.get(field, []))


def _version(obj: Any) -> int:
    obj.refresh_from_db()
    return obj.version


# Each case: (how to send `person` (an id) for that field, the people it is on no incident for whom
# `other_team` is also not pickable, who the caller may pick but may not hold it (None: anyone they may
# pick may hold it)).
Send = Callable[[World, int], tuple[int, Any]]
CASES: dict[str, tuple[Send, Callable[[World], User] | None]] = {
    # --- API -------------------------------------------------------------------------------------------
    "ActionItemCreateSerializer.owner": (
        lambda w, p: _api(
            w, "post", "/api/v1/action-items/", {"title": "x", "incident": w.incident.number, "owner": p}
        ),
        lambda w: w.viewer,
    ),
    "ActionItemWriteSerializer.owner": (
        lambda w, p: _api(w, "patch", f"/api/v1/action-items/{w.item.pk}/", {"owner": p}),
        lambda w: w.viewer,
    ),
    "ActionItemCreateSerializer.owner (on no incident)": (
        lambda w, p: _api(w, "post", "/api/v1/action-items/", {"title": "x", "owner": p}),
        None,
    ),
    "ActionItemWriteSerializer.owner (on no incident)": (
        lambda w, p: _api(w, "patch", f"/api/v1/action-items/{w.own_item.pk}/", {"owner": p}),
        None,
    ),
    "PolicyFindingCreateSerializer.owner": (
        lambda w, p: _api(
            w,
            "post",
            "/api/v1/policy-findings/",
            {"area": "access_control", "title": "x", "incidents": [w.restricted.number], "owner": p},
        ),
        lambda w: w.mate,
    ),
    "PolicyFindingCreateSerializer.verifier": (
        lambda w, p: _api(
            w,
            "post",
            "/api/v1/policy-findings/",
            {"area": "access_control", "title": "x", "incidents": [w.restricted.number], "verifier": p},
        ),
        lambda w: w.mate,
    ),
    "PolicyFindingWriteSerializer.owner": (
        lambda w, p: _api(w, "patch", f"/api/v1/policy-findings/{w.finding.pk}/", {"owner": p}),
        lambda w: w.mate,
    ),
    "PolicyFindingWriteSerializer.verifier": (
        lambda w, p: _api(w, "patch", f"/api/v1/policy-findings/{w.finding.pk}/", {"verifier": p}),
        lambda w: w.mate,
    ),
    "RolesSerializer.commander": (
        lambda w, p: _api(w, "post", f"/api/v1/incidents/{w.incident.number}/roles/", {"commander": p}),
        lambda w: w.viewer,
    ),
    "RolesSerializer.communications_lead": (
        lambda w, p: _api(
            w, "post", f"/api/v1/incidents/{w.incident.number}/roles/", {"communications_lead": p}
        ),
        lambda w: w.viewer,
    ),
    "RolesSerializer.scribe": (
        lambda w, p: _api(w, "post", f"/api/v1/incidents/{w.restricted.number}/roles/", {"scribe": p}),
        lambda w: w.mate,
    ),
    "ParticipantSerializer.user": (
        lambda w, p: _api(w, "post", f"/api/v1/incidents/{w.incident.number}/participants/", {"user": p}),
        None,
    ),
    "IncidentTaskCreateSerializer.owner": (
        lambda w, p: _api(
            w, "post", f"/api/v1/incidents/{w.incident.number}/tasks/", {"title": "x", "owner": p}
        ),
        lambda w: w.viewer,
    ),
    "ReviewMeetingScheduleSerializer.attendees": (
        lambda w, p: _api(
            w,
            "post",
            f"/api/v1/incidents/{w.incident.number}/review-meetings/",
            {"starts_at": "2099-01-05T10:00:00Z", "duration_minutes": 30, "attendees": [w.me.pk, p]},
        ),
        lambda w: w.viewer,
    ),
    "RequestReviewSerializer.reviewers": (
        lambda w, p: _api(w, "post", f"/api/v1/postmortems/{w.pm.pk}/request-review/", {"reviewers": [p]}),
        lambda w: w.viewer,
    ),
    # --- Pages -----------------------------------------------------------------------------------------
    "ActionItemForm.owner": (
        lambda w, p: _page(
            w,
            reverse("incidents:action_item_new"),
            {"incident": w.incident.number, "title": "x", "owner": p, "priority": "P2", "type": "prevent"},
            "owner",
        ),
        lambda w: w.viewer,
    ),
    "ActionItemForm.owner (from a finding)": (
        lambda w, p: _page(
            w,
            reverse("incidents:action_item_new"),
            {"finding": w.finding.pk, "title": "x", "owner": p, "priority": "P2", "type": "prevent"},
            "owner",
        ),
        lambda w: w.mate,
    ),
    "FindingForm.owner": (
        lambda w, p: _page(
            w,
            reverse("incidents:finding_edit", args=[w.finding.pk]),
            {**_finding_body(w), "owner": p},
            "owner",
        ),
        lambda w: w.mate,
    ),
    "FindingForm.verifier": (
        lambda w, p: _page(
            w,
            reverse("incidents:finding_edit", args=[w.finding.pk]),
            {**_finding_body(w), "verifier": p},
            "verifier",
        ),
        lambda w: w.mate,
    ),
    "QuickActionForm.owner": (
        lambda w, p: _page(
            w,
            reverse("incidents:meeting_action", args=[w.incident.number]),
            {"title": "x", "type": "detect", "owner": p},
            "owner",
            form="error",
        ),
        lambda w: w.viewer,
    ),
    "RequestReviewForm.reviewers": (
        lambda w, p: _page(
            w,
            reverse("incidents:postmortem_request_review", args=[w.incident.number]),
            {"reviewers": [p]},
            "reviewers",
            form="review_form",
        ),
        lambda w: w.viewer,
    ),
    "MeetingForm.attendees": (
        lambda w, p: _page(
            w,
            reverse("incidents:meeting", args=[w.incident.number]),
            {"attendees": [w.me.pk, p], "notes": "", "open_questions": ""},
            "attendees",
        ),
        None,
    ),
    "MeetingInviteForm.attendees": (
        lambda w, p: _page(
            w,
            reverse("incidents:meeting_invite", args=[w.incident.number]),
            {"starts_at": "2099-01-05T10:00", "duration_minutes": "30", "attendees": [w.me.pk, p]},
            "attendees",
        ),
        lambda w: w.viewer,
    ),
    "RoleForm.person": (
        lambda w, p: _page(
            w, reverse("incidents:role", args=[w.incident.number]), {"role": "scribe", "person": p}, "person"
        ),
        lambda w: w.viewer,
    ),
    "ParticipantForm.person": (
        lambda w, p: _page(
            w,
            reverse("incidents:participant", args=[w.incident.number]),
            {"action": "add", "person": p},
            "person",
        ),
        None,
    ),
    "TaskForm.owner": (
        lambda w, p: _page(
            w, reverse("incidents:tasks", args=[w.incident.number]), {"title": "x", "owner": p}, "owner"
        ),
        None,
    ),
    "ReassignForm.new_owner": (
        lambda w, p: _page(
            w, reverse("incidents:bulk_reassign"), {"new_owner": p, "items": [w.own_item.pk]}, "new_owner"
        ),
        None,
    ),
}
# Fields on no incident: there someone of another team is not the caller's to pick either.
ON_NO_INCIDENT = {
    "ActionItemCreateSerializer.owner (on no incident)",
    "ActionItemWriteSerializer.owner (on no incident)",
    "ReassignForm.new_owner",
}


def _finding_body(w: World) -> dict[str, Any]:
    f = w.finding
    return {
        "area": f.area, "title": f.title, "description": "", "risk": f.risk, "owner": f.owner_id or "",
        "verifier": f.verifier_id or "", "team": f.team_id or "", "due_date": "", "version": _version(f),
    }  # fmt: skip


def test_every_person_field_has_a_case():
    fields = (_api_person_fields() | _form_person_fields()) - NOT_CHOOSING
    cased = {name.split(" (")[0] for name in CASES}
    assert fields - cased == set(), "a person field without a case in CASES"
    assert cased - fields == set(), "a case for a field that no longer takes a person"


def test_every_page_form_person_field_is_a_person_field():
    from incidents.incident.person_fields import PeopleField as FormPeopleField
    from incidents.incident.person_fields import PersonField as FormPersonField

    for cls in _form_classes():
        for name, field in getattr(cls, "base_fields", {}).items():
            queryset = getattr(field, "queryset", None)
            if queryset is None or queryset.model is not User or f"{cls.__name__}.{name}" in NOT_CHOOSING:
                continue
            assert isinstance(field, FormPersonField | FormPeopleField), f"{cls.__name__}.{name}"


def _stored(world: World) -> tuple:
    from incidents.models import ActionItem, IncidentTask, PolicyFinding, PostmortemReview

    return (
        ActionItem.objects.count(),
        PolicyFinding.objects.count(),
        IncidentTask.objects.count(),
        PostmortemReview.objects.count(),
        tuple(ActionItem.objects.order_by("pk").values_list("owner_id", flat=True)),
        tuple(PolicyFinding.objects.order_by("pk").values_list("owner_id", "verifier_id")),
        tuple(world.incident.participants.order_by("pk").values_list("pk", flat=True)),
        tuple(type(world.incident).objects.order_by("pk").values_list("commander_id", "communications_lead_id", "scribe_id")),
        tuple(world.pm.meeting_attendees.values_list("pk", flat=True)),
        world.pm.review_meetings.count() if hasattr(world.pm, "review_meetings") else 0,
    )  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_someone_the_caller_may_not_pick_is_answered_as_an_id_that_names_nobody(world, case):
    send, _ = CASES[case]
    before = _stored(world)
    unknown = send(world, UNKNOWN_ID)
    said = unknown[1].decode() if isinstance(unknown[1], bytes) else unknown[1]
    assert any(refusal in said for refusal in REFUSALS), f"{case}: {unknown} is no person refused"
    hidden = [world.stranger] + ([world.other_team] if case in ON_NO_INCIDENT else [])
    for person in hidden:
        answer = send(world, person.pk)
        assert answer == unknown, f"{case}: {person} answered {answer}, an unknown id {unknown}"
        assert person.display_name not in str(answer[1])
    assert _stored(world) == before, f"{case}: something was stored"


@pytest.mark.parametrize("case", sorted(c for c, (_, who) in CASES.items() if who is not None))
def test_someone_the_caller_may_pick_who_may_not_hold_it_is_told_why_by_name(world, case):
    send, who = CASES[case]
    assert who is not None
    person = who(world)
    before = _stored(world)
    unknown = send(world, UNKNOWN_ID)
    answer = send(world, person.pk)
    assert answer != unknown, f"{case}: {person} answered as an unknown id"
    said = answer[1].decode() if isinstance(answer[1], bytes) else answer[1]
    assert person.display_name in said, f"{case}: {said}"
    for hidden in (world.stranger, world.other_team):
        assert hidden.display_name not in said
    assert _stored(world) == before, f"{case}: something was stored"


def test_the_item_from_a_finding_form_offers_only_people_who_may_own_it(world, client_for):
    # The finding is seen only in a restricted incident: its item's owner must be able to see the finding.
    page = client_for(world.me).get(reverse("incidents:action_item_new"), {"finding": world.finding.pk})
    offered = set(page.context["form"].fields["owner"].widget.choices.queryset)
    assert offered == {world.me}
    select = str(page.context["form"]["owner"])
    assert f'value="{world.me.pk}"' in select
    for hidden in (world.viewer, world.mate, world.other_team, world.stranger):
        assert f'value="{hidden.pk}"' not in select
        assert hidden.display_name not in page.content.decode()


def test_a_finding_keeps_an_owner_now_outside_the_rules_when_edited_without_touching_them(
    world, client_for, api_for
):
    # Mo Mate cannot see the restricted incident the finding was seen in (set before the rule, say).
    type(world.finding).objects.filter(pk=world.finding.pk).update(owner=world.mate)
    world.finding.refresh_from_db()
    body = {**_finding_body(world), "title": "No guard on the prod shell, still"}
    response = client_for(world.me).post(reverse("incidents:finding_edit", args=[world.finding.pk]), body)
    assert response.status_code == 302, response.context["form"].errors
    world.finding.refresh_from_db()
    assert (world.finding.title, world.finding.owner) == ("No guard on the prod shell, still", world.mate)
    patched = api_for(world.me).patch(
        f"/api/v1/policy-findings/{world.finding.pk}/",
        {"title": "Guard the prod shell", "owner": world.mate.pk, "version": world.finding.version},
        format="json",
    )
    assert patched.status_code == 200, patched.content
    world.finding.refresh_from_db()
    assert (world.finding.title, world.finding.owner) == ("Guard the prod shell", world.mate)
    # Choosing them again, once someone else holds it, is refused by name (the editor may pick them).
    world.finding.owner = world.me
    world.finding.save()
    again = api_for(world.me).patch(
        f"/api/v1/policy-findings/{world.finding.pk}/",
        {"owner": world.mate.pk, "version": world.finding.version},
        format="json",
    )
    assert again.status_code == 400
    assert again.json() == {
        "owner": [f"{world.mate} may not see {world.restricted.reference}: choose someone who may."]
    }
