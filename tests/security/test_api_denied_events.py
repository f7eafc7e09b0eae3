"""An API 404 for an object that exists but is hidden writes a denied-access security event, as pages do."""

from __future__ import annotations

import pytest

from accounts.models import SecurityEvent
from incidents.models import Visibility
from incidents.timeline.services import timeline_entry_remove
from tests.factories import (
    ActionItemFactory,
    ContributingFactorFactory,
    IncidentFactory,
    PolicyFindingFactory,
    TimelineEntryFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret(commander):
    inc = IncidentFactory(number=4242, visibility=Visibility.RESTRICTED, commander=commander)
    inc.participants.add(commander)
    return inc


def _denied() -> list[tuple[str, str]]:
    return list(
        SecurityEvent.objects.filter(kind=SecurityEvent.Kind.ACCESS_DENIED).values_list(
            "actor__email", "target"
        )
    )


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/api/v1/incidents/{n}/", "INC-4242"),
        ("/api/v1/incidents/{n}/postmortem/", "INC-4242"),
        ("/api/v1/timeline-entries/{entry}/", "timeline entry {entry} (INC-4242)"),
        ("/api/v1/contributing-factors/{factor}/", "contributing factor {factor} (INC-4242)"),
        ("/api/v1/action-items/{item}/", "action item {item} (INC-4242)"),
        ("/api/v1/policy-findings/{finding}/", "policy finding {finding}"),
    ],
)
def test_a_hidden_object_answers_404_and_is_recorded(api_for, responder, secret, path, target):
    ids = {
        "n": secret.number,
        "entry": TimelineEntryFactory(incident=secret).pk,
        "factor": ContributingFactorFactory(incident=secret).pk,
        "item": ActionItemFactory(incident=secret).pk,
        "finding": PolicyFindingFactory(),
    }
    ids["finding"].incidents.add(secret)
    ids["finding"] = ids["finding"].pk
    answer = api_for(responder).get(path.format(**ids))
    missing = api_for(responder).get(path.format(**dict.fromkeys(ids, 999999)))
    assert answer.status_code == missing.status_code == 404
    assert answer.json() == missing.json()
    assert _denied() == [(responder.email, target.format(**ids))]


def test_a_missing_object_answers_the_same_404_and_records_nothing(api_for, responder, secret):
    assert api_for(responder).get("/api/v1/incidents/999999/").status_code == 404
    assert api_for(responder).get("/api/v1/action-items/999999/").status_code == 404
    assert _denied() == []


def test_a_removed_entry_hidden_from_a_viewer_is_recorded(api_for, viewer, incident, commander):
    entry = timeline_entry_remove(entry=TimelineEntryFactory(incident=incident), actor=commander)
    assert api_for(viewer).get(f"/api/v1/timeline-entries/{entry.pk}/").status_code == 404
    assert _denied() == [(viewer.email, f"timeline entry {entry.pk} ({incident.reference})")]


def test_a_404_about_something_else_of_a_visible_object_is_not_a_denial(api_for, responder, incident):
    # The incident is visible; it simply has no postmortem yet.
    answer = api_for(responder).get(f"/api/v1/incidents/{incident.number}/postmortem/")
    assert answer.status_code == 404
    assert _denied() == []


def test_anonymous_callers_are_refused_before_any_lookup(client, secret):
    assert client.get(f"/api/v1/incidents/{secret.number}/").status_code in (401, 403)
    assert _denied() == []


@pytest.mark.parametrize(
    ("route", "kind", "target"),
    [
        ("incidents:detail", "incident", "INC-4242"),
        ("incidents:action_item_detail", "item", "action item {pk} (INC-4242)"),
        ("incidents:action_item_history", "item", "action item {pk} (INC-4242)"),
        ("incidents:finding_detail", "finding", "policy finding {pk}"),
        ("incidents:finding_history", "finding", "policy finding {pk}"),
    ],
)
def test_a_page_for_a_hidden_object_records_the_same_denial_as_the_api(
    client_for, responder, secret, route, kind, target
):
    """Pages of action items and findings write the denied-access event incident pages and the API write."""
    from django.urls import reverse

    finding = PolicyFindingFactory()
    finding.incidents.add(secret)
    objects = {"incident": secret, "item": ActionItemFactory(incident=secret), "finding": finding}
    obj = objects[kind]
    arg = obj.number if kind == "incident" else obj.pk
    answer = client_for(responder).get(reverse(route, args=[arg]))
    missing = client_for(responder).get(reverse(route, args=[999999]))
    assert answer.status_code == missing.status_code == 404
    assert _denied() == [(responder.email, target.format(pk=obj.pk))]


def test_a_page_for_a_missing_item_or_finding_records_nothing(client_for, responder):
    from django.urls import reverse

    assert (
        client_for(responder).get(reverse("incidents:action_item_detail", args=[999999])).status_code == 404
    )
    assert client_for(responder).get(reverse("incidents:finding_detail", args=[999999])).status_code == 404
    assert _denied() == []
