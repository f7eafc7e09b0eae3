"""Every public write service refuses an outsider before it touches a row: found by introspection, not listed.

The services authorize (README "Permissions"): each one that writes takes the actor and checks it through
`incidents/permissions/`. This test finds them instead of trusting a list: every public function of the
services modules (`incidents/<area>/services.py`, `incidents/<area>/services/*.py`) and every public
function anywhere in `incidents` that takes an `actor`. Each is called by an outsider (an active user in
no team and on no incident) against a restricted and an internal incident, and must raise AccessDenied
and leave every table as it was. For something recorded on an incident the outsider cannot see, the
refusal must be "not found" (`visible=False`): a 404, never a 403 that confirms it exists.

A new service without a check fails here. A function that is not a person's write (a pure helper, a
read, a system task, the check itself) goes in NOT_ACTOR_WRITES with its reason; a new parameter name
goes in ARGUMENTS (or FUNCTION_ARGUMENTS for one function).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership
from incidents import models as m
from incidents.errors import AccessDenied
from incidents.timeline.services import ImportRow
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

ROOT = Path(__file__).resolve().parents[2]

# Public functions found below that are not a person's write, each with why it needs no check of its own.
NOT_ACTOR_WRITES: dict[str, str] = {
    "incidents.incident.services.custom_values.clean_custom_values": "validates values; writes nothing",
    "incidents.incident.services.custom_values.store_custom_values": (
        "stores values for incident_declare_once and incident_custom_fields_set, after they authorize"
    ),
    "incidents.incident.services.types.clean_options": "cleans a select's options; writes nothing",
    # The checks themselves and the actor helper.
    "incidents.permissions.checks.actor_user": "names the person behind an actor; writes nothing",
    "incidents.permissions.checks.authorize": "the check every service calls",
    "incidents.permissions.checks.require_declare": "a check",
    "incidents.permissions.checks.require_record": "a check",
    "incidents.permissions.checks.require_command": "a check",
    "incidents.permissions.checks.require_remove_attachment": "a check",
    "incidents.permissions.checks.require_admin": "a check",
    "incidents.permissions.checks.require_write_review": "a check",
    "incidents.permissions.checks.require_edit_action_item": "a check",
    "incidents.permissions.checks.require_edit_finding": "a check",
    "incidents.permissions.checks.require_send_action_item_to_tracker": "a check",
    "incidents.permissions.checks.require_manage_team": "a check",
    "incidents.permissions.checks.require_manage_participants": "a check",
    "incidents.permissions.checks.require_report_change": "a check",
    "incidents.permissions.checks.require_create_finding": "a check",
    "incidents.permissions.checks.require_create_action_item": "a check",
    "incidents.permissions.checks.require_move_finding": "a check",
    "incidents.permissions.checks.require_verify_finding": "a check",
    "incidents.permissions.checks.require_accept_finding_risk": "a check",
    "incidents.permissions.checks.require_decide_review": "a check",
    "incidents.permissions.checks.require_conclude_review": "a check",
    "incidents.permissions.checks.require_edit_postmortem": "a check",
    "incidents.permissions.checks.require_dismiss_blameless": "a check",
    "incidents.permissions.checks.require_waive_postmortem": "a check",
    "incidents.permissions.checks.person_refusal": "the check of a person chosen for a field; writes nothing",
    "incidents.permissions.checks.refuse_people": "the check of people chosen for fields; writes nothing",
    "incidents.incident.services.checklist.runbook_titles": "reads a type's runbook",
    "incidents.incident.services.attachments.megabytes": "formats a size",
    "incidents.incident.services.attachments.clean_name": "sanitises a file name",
    "incidents.incident.services.attachments.prepare_upload": "reads and re-encodes an upload; writes nothing",
    "incidents.incident.services.updates.update_timeline_text": "formats an update's timeline text",
    "incidents.incident.services.checklist.add_runbook_tasks": (
        "the runbook step of incident_declare_once, after it authorizes"
    ),
    "incidents.integrations.services.configuration.can_manage_integrations": "a predicate",
    # Steps the services share, called only by services that checked their actor first.
    "incidents.incident.services.common.check_declared_after_start": "validates two instants; writes nothing",
    "incidents.incident.services.common.numbered": "names a repeatable system row; reads the timeline, writes nothing",
    "incidents.incident.services.lifecycle.check_state_change_time": "validates a time; writes nothing",
    "incidents.incident.services.repairs.timeline_findings": "an operator command's read; writes nothing",
    "incidents.incident.services.repairs.timeline_findings_repair": "an operator command's repair (manage.py)",
    "incidents.followup.services.common.change_reason": "formats a history reason",
    "incidents.followup.services.common.refuse_unknown_fields": "validates field names",
    "incidents.followup.services.common.lock_work": "locks a row for the calling service",
    "incidents.followup.services.common.apply_edits": "sets attributes on an unsaved row",
    "incidents.followup.services.common.is_status_change": "compares statuses",
    "incidents.followup.services.common.require_transition": "checks the lifecycle table",
    "incidents.followup.services.common.required_note": "validates a note",
    "incidents.followup.services.common.newly_assigned": "compares owners",
    "incidents.followup.services.common.create_work": "the insert of action_item_create / policy_finding_create",
    "incidents.followup.services.common.save_work": "the save of every item and finding service",
    "incidents.followup.services.common.edit_work": "the edit of action_item_update / policy_finding_update",
    "incidents.integrations.trackers.inbound.apply_field": "applies a tracker's value through "
    "action_item_change_status / action_item_update (which check the actor), for sync_issue as Hindsight "
    "and for tracker_conflict_resolve after its own check",
    "incidents.incident.services.common.check_aware": "validates times",
    "incidents.incident.services.common.check_when": "validates a time",
    "incidents.incident.services.common.record_security_event": "the security event of a service that checked",
    "incidents.incident.services.common.lock_incident": "locks a row for the calling service",
    "incidents.incident.services.common.save_incident": "the save of every incident service",
    "incidents.review.services.postmortems.lock_postmortem": "locks a row for the calling service",
    "incidents.review.services.postmortems.refuse_if_published": "checks a state",
    "incidents.review.services.postmortems.snapshot_version": "the version row of a service that checked",
    "incidents.review.services.postmortems.reset_approvals": "the approval reset of a service that checked",
    "incidents.timeline.services.system_entry": "the record a service writes of its own, authorized change",
    "incidents.timeline.services.system_entry_move": "moves the record of a milestone its service edited",
    "incidents.review.services.blameless.dismiss": "the dismissal step of blameless_dismiss and postmortem_publish",
    "incidents.review.services.blameless.guard_publish": "the publish step of postmortem_publish",
    "incidents.review.services.blameless.sync": "keeps the check's records in step with text a service saved",
    # What people hear about a change its calling service authorized (sent on commit).
    "incidents.notify.services.incident_declared": "tells people of a declaration incident_declare authorized",
    "incidents.notify.services.incident_severity_raised": "tells people of a change its service authorized",
    "incidents.notify.services.incident_status_changed": "tells people of a change its service authorized",
    "incidents.notify.services.incident_severity_changed": "posts to linked channels a change its service authorized",
    "incidents.notify.services.timeline_entry_added": "posts to linked channels an entry its service authorized",
    "incidents.notify.services.stakeholder_update_posted": "emails an update its service authorized",
    "incidents.notify.services.review_meeting_changed": "emails the invitations its service authorized",
    "incidents.notify.services.postmortem_published": "tells people of a change its service authorized",
    "incidents.notify.services.action_item_assigned": "tells the new owner of a change its service authorized",
    "incidents.notify.services.action_item_changed": "records the tracker push of a save its service authorized",
    "incidents.notify.services.tracker_pushes_queue": "queues tracker pushes that saves their services authorized recorded",
    "incidents.notify.services.policy_finding_assigned": "tells the new owner of a change its service authorized",
    "incidents.notify.services.policy_finding_reopened": "tells people of a change its service authorized",
    "incidents.notify.services.postmortem_review_requested": "tells reviewers of a request its service authorized",
    "incidents.notify.services.postmortem_review_requested_again": "tells reviewers of a request its service authorized",
    "incidents.notify.services.postmortem_review_ready_again": "tells reviewers of an edit its service authorized",
    "incidents.notify.services.postmortem_approval_reset": "tells reviewers of an edit its service authorized",
    "incidents.notify.services.postmortem_review_decided": "tells people of a decision its service authorized",
    "incidents.notify.services.postmortem_approved": "tells people of a change its service authorized",
    "incidents.notify.services.silenced": "a context in which nothing is queued; writes nothing",
    "incidents.notify.services.is_silenced": "reads a flag",
    # Reads and pure computations.
    "incidents.followup.services.items.default_due_date": "computes a date",
    "incidents.review.services.blameless.findings": "reads",
    "incidents.review.services.blameless.open_findings": "reads",
    "incidents.review.services.blameless.dismissals": "reads",
    "incidents.review.services.factors.factors_seen_counts": "reads",
    "incidents.review.services.postmortems.postmortem_blameless_findings": "reads",
    "incidents.integrations.services.configuration.alert_integration_authenticate": "looks a token up",
    "incidents.integrations.services.intake.alert_entry_body": "formats text",
    # Hindsight acting on its own.
    "incidents.followup.services.findings.policy_finding_expire_acceptances": "the periodic sweep (SYSTEM)",
    "incidents.integrations.services.intake.alert_notification_receive": (
        "acts for the integration its token authenticated; writes through the services as SYSTEM"
    ),
    "incidents.demo.history.history_generate": "the demo history generator (a management command)",
}


def _is_services_module(path: Path) -> bool:
    parts = path.relative_to(ROOT / "incidents").parts
    return len(parts) >= 2 and (parts[1] == "services.py" or parts[1] == "services")


def discovered() -> list[str]:
    """Dotted names of the public functions this test must call (see the module docstring)."""
    found = []
    for path in sorted((ROOT / "incidents").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        name = ".".join(parts)
        module = importlib.import_module(name)
        for attr, fn in vars(module).items():
            if attr.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != name:
                continue
            if _is_services_module(path) or "actor" in inspect.signature(fn).parameters:
                found.append(f"{name}.{attr}")
    return found


FUNCTIONS = [f for f in discovered() if f not in NOT_ACTOR_WRITES]


@dataclass
class World:
    """An outsider, and one incident of the variant with something of every kind recorded on it."""

    outsider: Any
    responder: Any
    team: Any
    service: Any
    incident: Any
    other_incident: Any
    entry: Any
    factor: Any
    earlier_factor: Any
    postmortem: Any
    item: Any
    finding: Any
    integration: Any
    tag: Any


def build_world(variant: str) -> World:
    team = TeamFactory(name="Platform", slug="platform")
    commander = UserFactory(email="commander@example.com")
    responder = UserFactory(email="responder@example.com")
    for user in (commander, responder):
        MembershipFactory(user=user, team=team, role=Membership.Role.RESPONDER)
    service = ServiceFactory(name="Checkout", slug="checkout", team=team)
    visibility = m.Visibility.RESTRICTED if variant == "restricted" else m.Visibility.INTERNAL

    def incident() -> m.Incident:
        inc = IncidentFactory(visibility=visibility, commander=commander, declared_by=commander)
        inc.teams.add(team)
        inc.services.add(service)
        inc.participants.add(commander)
        return inc

    main, other = incident(), incident()
    postmortem = m.Postmortem.objects.create(
        incident=main, sections={"summary": "What happened"}, author=commander
    )
    m.PostmortemReview.objects.create(postmortem=postmortem, reviewer=responder)
    factor = ContributingFactorFactory(incident=main)
    finding = PolicyFindingFactory(owner=commander)
    finding.incidents.add(main)
    return World(
        outsider=UserFactory(email="outsider@example.com"),
        responder=responder,
        team=team,
        service=service,
        incident=main,
        other_incident=other,
        entry=TimelineEntryFactory(incident=main, author=commander),
        factor=factor,
        earlier_factor=ContributingFactorFactory(incident=other),
        postmortem=postmortem,
        item=ActionItemFactory(incident=main, factor=factor, owner=commander),
        finding=finding,
        integration=m.AlertIntegration.objects.create(
            name="prod-alertmanager", kind="alertmanager", team=team, key_hash="1" * 64, key_prefix="hsi_1111"
        ),
        tag=m.Tag.objects.create(name="database"),
    )


Value = Callable[[World], Any]
# Parameter name -> the value passed. Objects recorded on the incident are passed even where optional.
ARGUMENTS: dict[str, Value] = {
    "actor": lambda w: w.outsider,
    "incident": lambda w: w.incident,
    "entry": lambda w: w.entry,
    "factor": lambda w: w.factor,
    "postmortem": lambda w: w.postmortem,
    "item": lambda w: w.item,
    "finding": lambda w: w.finding,
    "earlier": lambda w: w.earlier_factor,
    "items": lambda w: [w.item],
    "findings": lambda w: [w.finding],
    "incidents": lambda w: [w.incident],
    "service": lambda w: w.service,
    "team": lambda w: w.team,
    "integration": lambda w: w.integration,
    "tag": lambda w: w.tag,
    "into": lambda w: w.tag,
    "new_owner": lambda w: w.outsider,
    "person": lambda w: w.outsider,
    "reviewers": lambda w: [w.responder],
    "title": lambda w: "Written by an outsider",
    "body": lambda w: "Written by an outsider",
    "summary": lambda w: "Deploy 1.2.3",
    "name": lambda w: "outsider-was-here",
    "slug": lambda w: "outsider-was-here",
    "reason": lambda w: "Because I can",
    "note": lambda w: "Because I can",
    "evidence": lambda w: "I checked",
    "text": lambda w: "carelessly",
    "section": lambda w: "summary",
    "rule": lambda w: "judgement",
    "severity": lambda w: "SEV1",
    "category": lambda w: "process",
    "area": lambda w: "access_control",
    "kind": lambda w: "alertmanager",
    "decision": lambda w: "approved",
    "sections": lambda w: {"summary": "Rewritten by an outsider"},
    "expected_version": lambda w: None,
    "worked": lambda w: False,
    "subscribed": lambda w: True,
    "addresses": lambda w: "outsider@example.com",
    "until": lambda w: timezone.now().date() + timedelta(days=30),
    "rows": lambda w: [ImportRow(line=1, occurred_at=timezone.now(), author="outsider", text="Imported")],
    "commit_range": lambda w: "abc..def",
}
# Arguments that differ for one function (a status is a status of that function's lifecycle).
FUNCTION_ARGUMENTS: dict[str, dict[str, Value]] = {
    "incidents.incident.services.custom_values.incident_custom_fields_set": {
        "values": lambda w: {"ticket": "Written by an outsider"}
    },
    "incidents.incident.services.types.custom_field_save": {
        "incident_type": lambda w: m.IncidentType.objects.get_or_create(name="Security", slug="security")[0],
        "label": lambda w: "Outsider field",
        "kind": lambda w: "text",
    },
    "incidents.incident.services.process.process_rule_save": {
        "incident_type": lambda w: None,
        "severity": lambda w: "SEV3",
        "postmortem_required": lambda w: True,
        "postmortem_due_days": lambda w: 3,
    },
    "incidents.incident.services.process.incident_postmortem_waive": {"reason": lambda w: "Outsider says no"},
    "incidents.review.services.meetings.review_meeting_schedule": {
        "starts_at": lambda w: timezone.now() + timedelta(days=2),
        "duration_minutes": lambda w: 60,
        "attendees": lambda w: [w.responder],
    },
    "incidents.incident.services.attachments.attachment_add": {
        "upload": lambda w: SimpleUploadedFile("outsider.txt", b"Written by an outsider"),
    },
    "incidents.incident.services.attachments.attachment_remove": {
        "attachment": lambda w: screenshot_attachment(w.incident, "outsider.png"),
    },
    "incidents.incident.services.checklist.incident_task_set_done": {
        "task": lambda w: m.IncidentTask.objects.create(incident=w.incident, title="Page the DBA"),
        "done": lambda w: True,
    },
    "incidents.incident.services.updates.stakeholder_update_post": {
        "status": lambda w: "identified",
        "customer_impact": lambda w: "Written by an outsider",
        "doing": lambda w: "Written by an outsider",
        "next_update_at": lambda w: timezone.now() + timedelta(hours=1),
    },
    "incidents.incident.services.updates.stakeholder_update_post_once": {
        "status": lambda w: "identified",
        "customer_impact": lambda w: "Written by an outsider",
        "doing": lambda w: "Written by an outsider",
        "next_update_at": lambda w: timezone.now() + timedelta(hours=1),
    },
    "incidents.incident.services.lifecycle.incident_change_status": {"status": lambda w: "identified"},
    "incidents.incident.services.edits.incident_update": {"title": lambda w: "Renamed by an outsider"},
    "incidents.incident.services.edits.incident_assign_roles": {"commander": lambda w: w.outsider},
    "incidents.followup.services.items.action_item_change_status": {"status": lambda w: "in_progress"},
    "incidents.followup.services.items.action_item_update": {"title": lambda w: "Renamed by an outsider"},
    "incidents.followup.services.findings.policy_finding_transition": {"status": lambda w: "remediating"},
    "incidents.followup.services.findings.policy_finding_update": {
        "title": lambda w: "Renamed by an outsider"
    },
    "incidents.review.services.postmortems.postmortem_answer_questions": {
        "single_person_change": lambda w: True
    },
    "incidents.review.services.postmortems.postmortem_meeting_update": {"notes": lambda w: "Outsider notes"},
    "incidents.notify.services.subscription_set": {},
    "incidents.timeline.services.timeline_entry_edit": {"body": lambda w: "Rewritten by an outsider"},
    "incidents.integrations.trackers.conflicts.tracker_conflict_resolve": {
        "field": lambda w: "status",
        "keep": lambda w: "tracker",
        "version": lambda w: 1,
        "shown": lambda w: '["closed", ""]',
    },
}
# Whether the outsider's refusal must be "not found": True where the call names something on the incident.
INCIDENT_BOUND = {
    "incident",
    "task",
    "entry",
    "factor",
    "postmortem",
    "item",
    "finding",
    "incidents",
    "items",
    "findings",
}


def _resolve(dotted: str) -> Callable[..., Any]:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def call_arguments(dotted: str, world: World) -> dict[str, Any]:
    """The keyword arguments for `dotted`: every required parameter, and the incident-bound optional ones."""
    fn = _resolve(dotted)
    special = FUNCTION_ARGUMENTS.get(dotted, {})
    kwargs = {}
    for name, param in inspect.signature(fn).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        required = param.default is inspect.Parameter.empty
        if name in special:
            kwargs[name] = special[name](world)
        elif name in ARGUMENTS and (required or name in INCIDENT_BOUND):
            kwargs[name] = ARGUMENTS[name](world)
        elif required:
            pytest.fail(
                f"{dotted} takes {name!r}, which this test cannot fill: add it to ARGUMENTS (any function) "
                f"or FUNCTION_ARGUMENTS[{dotted!r}] in {__file__}."
            )
    for name, value in special.items():  # keyword-only extras such as `**changes`
        kwargs.setdefault(name, value(world))
    return kwargs


def database_state() -> str:
    """A digest of every row of every table (history tables included)."""
    digest = hashlib.sha256()
    for model in apps.get_models():
        rows = model._default_manager.order_by("pk").values_list()
        digest.update(f"{model._meta.label}:{list(rows)!r}".encode())
    return digest.hexdigest()


def test_the_services_are_found():
    """The discovery reaches every area's services, the modules outside `services` that write, and no view."""
    names = set(FUNCTIONS)
    for expected in (
        "incidents.incident.services.declare.incident_declare",
        "incidents.timeline.services.timeline_entry_add",
        "incidents.timeline.changes.change_event_record",
        "incidents.review.services.factors.factor_create",
        "incidents.review.services.reviews.postmortem_publish",
        "incidents.followup.services.items.action_item_create",
        "incidents.followup.services.findings.policy_finding_accept_risk",
        "incidents.incident.directory.service_create",
        "incidents.integrations.services.configuration.alert_integration_create",
        "incidents.notify.services.subscription_set",
    ):
        assert expected in names
    assert not [f for f in names if ".views" in f or ".api" in f]


def test_every_allowed_function_still_exists():
    assert sorted(set(NOT_ACTOR_WRITES) - set(discovered())) == []


@pytest.mark.parametrize("variant", ["restricted", "internal"])
@pytest.mark.parametrize("dotted", FUNCTIONS)
def test_an_outsider_is_refused_and_nothing_changes(dotted: str, variant: str):
    world = build_world(variant)
    kwargs = call_arguments(dotted, world)
    bound = bool(INCIDENT_BOUND & set(kwargs))
    before = database_state()
    with transaction.atomic():
        savepoint = transaction.savepoint()
        try:
            with pytest.raises(AccessDenied) as refusal:
                _resolve(dotted)(**kwargs)
        except pytest.fail.Exception:
            pytest.fail(f"{dotted} let an outsider through: check the actor with incidents.permissions")
        finally:
            after = database_state()
            transaction.savepoint_rollback(savepoint)
    assert after == before, f"{dotted} wrote before refusing"
    if bound:
        assert not refusal.value.visible, (
            f"{dotted} refused with 403: it must be 404 for what the outsider cannot see"
        )
