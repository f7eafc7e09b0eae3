"""`/api/v1/incidents/N/updates/`: list and post stakeholder updates, typed in the schema; bad input is 400
naming each field; a reader may not post; a hidden incident is 404."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
import yaml
from django.core import mail
from django.urls import reverse

from incidents.incident.services.updates import stakeholder_update_post
from incidents.models import StakeholderUpdate, Subscription, Visibility

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)


def _url(incident):
    return f"/api/v1/incidents/{incident.number}/updates/"


@time_machine.travel(NOW, tick=False)
def test_posting_an_update_answers_it_and_emails_subscribers_once(
    api_for, commander, viewer, incident, eager_celery, django_capture_on_commit_callbacks
):
    Subscription.objects.create(user=viewer, incident=incident)
    body = {
        "status": "monitoring",
        "customer_impact": "Checkout is <script>x()</script>**back**.",
        "doing": "Watching error rates.",
        "next_update_at": "2026-12-03T15:30:00+01:00",
    }
    with django_capture_on_commit_callbacks(execute=True):
        answer = api_for(commander).post(_url(incident), body, format="json")
    assert answer.status_code == 201, answer.json()
    data = answer.json()
    assert data["next_update_at"] == "2026-12-03T14:30:00Z"
    assert data["incident"] == incident.number
    assert data["posted_by"]["email"] == commander.email
    assert "<strong>back</strong>" in data["customer_impact_html"]
    assert "<script" not in data["customer_impact_html"]
    assert [m.to for m in mail.outbox] == [[viewer.email]]
    listed = api_for(viewer).get(_url(incident)).json()
    assert [u["status"] for u in listed["results"]] == ["monitoring"]


@time_machine.travel(NOW, tick=False)
def test_bad_input_is_400_naming_each_field(api_for, commander, incident):
    answer = api_for(commander).post(
        _url(incident),
        {"status": "fixed", "customer_impact": "", "doing": " ", "next_update_at": "2026-12-03T12:00:00Z"},
        format="json",
    )
    assert answer.status_code == 400
    assert "status" in answer.json()
    answer = api_for(commander).post(
        _url(incident),
        {
            "status": "identified",
            "customer_impact": "",
            "doing": " ",
            "next_update_at": "2026-12-03T12:00:00Z",
        },
        format="json",
    )
    assert answer.status_code == 400
    errors = answer.json()
    assert set(errors) == {"customer_impact", "doing", "next_update_at"}
    assert "must be after now" in errors["next_update_at"][0]
    naive = api_for(commander).post(
        _url(incident),
        {
            "status": "identified",
            "customer_impact": "x",
            "doing": "y",
            "next_update_at": "2026-12-03T14:00:00",
        },
        format="json",
    )
    assert "next_update_at" in naive.json()
    unknown = api_for(commander).post(
        _url(incident),
        {"status": "resolved", "customer_impact": "x", "doing": "y", "when": "now"},
        format="json",
    )
    assert "when" in unknown.json()
    assert not StakeholderUpdate.objects.exists()


def test_a_viewer_reads_but_may_not_post_and_an_outsider_sees_nothing(api_for, viewer, responder, incident):
    assert api_for(viewer).post(_url(incident), {}, format="json").status_code == 403
    assert api_for(viewer).get(_url(incident)).status_code == 200
    incident.visibility = Visibility.RESTRICTED
    incident.save()
    assert api_for(responder).get(_url(incident)).status_code == 404
    assert api_for(responder).post(_url(incident), {}, format="json").status_code == 404


@pytest.mark.parametrize("rows", [1, 20])
@time_machine.travel(NOW, tick=False)
def test_the_list_takes_the_same_queries_for_one_update_as_for_many(
    api_for, commander, incident, rows, django_assert_max_num_queries
):
    """Measured: 7 queries with 1 update as with 20 (the token and its last use, the incident, the count
    and the page of updates with who posted them)."""
    for n in range(rows):
        stakeholder_update_post(
            incident=incident,
            actor=commander,
            status="identified",
            customer_impact=f"Impact {n}",
            doing="Rolling back.",
            next_update_at=NOW + timedelta(minutes=30),
        )
    client = api_for(commander)
    with django_assert_max_num_queries(7):
        assert len(client.get(_url(incident)).json()["results"]) == rows


def test_the_schema_types_the_updates_endpoint(client):
    schema = yaml.safe_load(client.get(reverse("api:schema")).content)
    path = schema["paths"]["/api/v1/incidents/{number}/updates/"]
    assert set(path) >= {"get", "post"}
    created = schema["components"]["schemas"]["StakeholderUpdate"]["properties"]
    assert {"status", "customer_impact_html", "doing_html", "next_update_at", "posted_by"} <= set(created)
    request = schema["components"]["schemas"]["StakeholderUpdateCreateRequest"]
    assert set(request["required"]) == {"status", "customer_impact", "doing"}


@time_machine.travel(NOW, tick=False)
def test_a_retry_with_the_same_idempotency_key_posts_and_emails_nothing_twice(
    api_for, commander, viewer, incident, eager_celery, django_capture_on_commit_callbacks
):
    Subscription.objects.create(user=viewer, incident=incident)
    client = api_for(commander)
    body = {"status": "resolved", "customer_impact": "None left.", "doing": "Writing the postmortem."}
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(_url(incident), body, format="json", HTTP_IDEMPOTENCY_KEY="bot-42")
        again = client.post(_url(incident), body, format="json", HTTP_IDEMPOTENCY_KEY="bot-42")
        other = client.post(_url(incident), body, format="json", HTTP_IDEMPOTENCY_KEY="bot-43")
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert again.json()["id"] == first.json()["id"]
    assert StakeholderUpdate.objects.count() == 2
    assert incident.timeline_entries.filter(kind="communication").count() == 2
    assert len(mail.outbox) == 2
    bad = client.post(_url(incident), body, format="json", HTTP_IDEMPOTENCY_KEY="x" * 101)
    assert "Idempotency-Key" in bad.json()
