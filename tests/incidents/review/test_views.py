"""Postmortem pages: who gets what, the stale-save page, HTMX preview and meeting capture, query counts."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership
from incidents.models import (
    ActionItem,
    ContributingFactor,
    FactorCategory,
    PostmortemStatus,
    PostmortemTemplate,
    ReviewDecision,
)
from incidents.review.services import factors as services_factors
from incidents.review.services import postmortems as services_postmortems
from incidents.review.services import reviews
from tests.factories import (
    ActionItemFactory,
    ContributingFactorFactory,
    MembershipFactory,
    TimelineEntryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(team):
    user = UserFactory(email="reviewer@example.com", display_name="Remy Reviewer")
    MembershipFactory(user=user, team=team, role=Membership.Role.RESPONDER)
    return user


@pytest.fixture
def pm(incident, responder):
    return services_postmortems.postmortem_start(incident=incident, actor=responder)


def url(name, incident):
    return reverse(f"incidents:{name}", args=[incident.number])


@pytest.mark.parametrize(
    ("who", "page", "edit"),
    [
        ("outsider", 404, 404),
        ("viewer", 200, 403),
        ("responder", 200, 200),
        ("commander", 200, 200),
        ("admin", 200, 200),
    ],
)
def test_who_sees_and_edits_the_postmortem(client_for, personas, pm, incident, who, page, edit):
    client = client_for(personas[who])
    assert client.get(url("postmortem", incident)).status_code == page
    assert client.get(url("postmortem_edit", incident)).status_code == edit
    assert client.get(url("meeting", incident)).status_code == page


def test_viewer_cannot_save_sections(client_for, viewer, pm, incident):
    response = client_for(viewer).post(
        url("postmortem_edit", incident), {"version": pm.version, "summary": "x"}
    )
    assert response.status_code == 403
    pm.refresh_from_db()
    assert pm.sections["summary"] != "x"


def test_incident_page_links_the_postmortem_and_shows_recurrence(client_for, commander, pm, incident):
    from tests.factories import IncidentFactory

    earlier = ContributingFactorFactory(incident=IncidentFactory(), title="No restore tests")
    services_factors.factor_create(
        incident=incident,
        actor=commander,
        category=FactorCategory.TESTING_GAP,
        title="Restores untested",
        recurrence_of=earlier,
    )
    page = client_for(commander).get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert url("postmortem", incident) in page
    assert "seen in 2 incidents" in page


def test_stale_save_shows_both_texts_and_keeps_the_typed_one(client_for, responder, commander, pm, incident):
    loaded = pm.version
    client_for(commander).post(
        url("postmortem_edit", incident), {"version": loaded, "summary": "Commander wrote this."}
    )
    response = client_for(responder).post(
        url("postmortem_edit", incident), {"version": loaded, "summary": "Responder typed this."}
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "Responder typed this." in body  # still in the form
    assert "Commander wrote this." in body  # the current text beside it
    assert "changed by someone else" in body
    pm.refresh_from_db()
    assert pm.sections["summary"] == "Commander wrote this."
    # The form now carries the current version, so saving again from this page succeeds.
    again = client_for(responder).post(
        url("postmortem_edit", incident), {"version": pm.version, "summary": "Merged text."}
    )
    assert again.status_code == 302
    pm.refresh_from_db()
    assert pm.sections["summary"] == "Merged text."


def test_preview_renders_markdown_and_flags_blame(client_for, responder, pm, incident):
    response = client_for(responder).post(
        url("postmortem_preview", incident),
        {"section": "trigger", "trigger": "**Bold** <script>x()</script> The intern forgot to check."},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<strong>Bold</strong>" in body
    assert "<script>" not in body
    assert "person_subject" in body
    assert "what in the process would have prompted it" in body  # the rewording


def test_preview_of_an_unknown_section_is_a_400(client_for, responder, pm, incident):
    assert (
        client_for(responder).post(url("postmortem_preview", incident), {"section": "root_cause"}).status_code
        == 400
    )


def test_workflow_through_the_web(client_for, responder, reviewer, commander, pm, incident):
    r = client_for(responder)
    r.post(url("postmortem_edit", incident), {"version": pm.version, "summary": "It was human error."})
    response = r.post(url("postmortem_request_review", incident), {"reviewers": [reviewer.pk]}, follow=True)
    assert "blameless check found" in response.content.decode()
    pm.refresh_from_db()
    assert pm.status == PostmortemStatus.IN_REVIEW
    # The author cannot decide; the reviewer can.
    client_for(responder).post(
        url("postmortem_decide", incident), {"decision": "approved", "version": pm.version}
    )
    pm.refresh_from_db()
    assert pm.status == PostmortemStatus.IN_REVIEW
    client_for(reviewer).post(
        url("postmortem_decide", incident), {"decision": "approved", "version": pm.version}
    )
    pm.refresh_from_db()
    assert pm.status == PostmortemStatus.APPROVED
    # A responder cannot publish; the commander can.
    client_for(responder).post(url("postmortem_publish", incident))
    pm.refresh_from_db()
    assert pm.status == PostmortemStatus.APPROVED
    # "human error" is still open: publishing is refused until the commander says why they publish over it.
    refused = client_for(commander).post(url("postmortem_publish", incident), follow=True).content.decode()
    assert "neither reworded nor dismissed" in refused
    pm.refresh_from_db()
    assert pm.status == PostmortemStatus.APPROVED
    client_for(commander).post(
        url("postmortem_publish", incident), {"override_reason": "Quoting the vendor's report verbatim."}
    )
    pm.refresh_from_db()
    assert pm.status == PostmortemStatus.PUBLISHED
    assert client_for(responder).get(url("postmortem_edit", incident)).status_code == 403


def test_stale_review_decision_is_refused(client_for, responder, reviewer, pm, incident):
    pm, _ = reviews.postmortem_request_review(postmortem=pm, actor=responder, reviewers=[reviewer])
    read_version = pm.version
    services_postmortems.postmortem_save(
        postmortem=pm, actor=responder, sections={"impact": "new"}, expected_version=pm.version
    )
    response = client_for(reviewer).post(
        url("postmortem_decide", incident), {"decision": "approved", "version": read_version}, follow=True
    )
    assert "changed since you read it" in response.content.decode()
    assert pm.reviews.get().decision == ReviewDecision.PENDING


def test_questions_form_opens_the_finding(client_for, responder, pm, incident):
    response = client_for(responder).post(
        url("postmortem_questions", incident),
        {"single_person_change": "yes", "unnoticed_minutes": "3", "detection_method": "customer"},
        follow=True,
    )
    assert "access-control policy finding" in response.content.decode()
    pm.refresh_from_db()
    assert pm.unnoticed_seconds == 180
    assert pm.access_finding is not None


def test_questions_form_rejects_negative_minutes(client_for, responder, pm, incident):
    response = client_for(responder).post(
        url("postmortem_questions", incident), {"unnoticed_minutes": "-4"}, follow=True
    )
    assert "Check the answers" in response.content.decode()
    pm.refresh_from_db()
    assert pm.unnoticed_seconds is None


def test_meeting_quick_capture_with_htmx(client_for, responder, pm, incident):
    client = client_for(responder)
    response = client.post(
        url("meeting_factor", incident),
        {"category": "monitoring_gap", "title": "Backup failures unseen"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Backup failures unseen" in response.content.decode()
    factor = ContributingFactor.objects.get(incident=incident)
    response = client.post(
        url("meeting_action", incident),
        {"title": "Alert on empty backups", "factor": factor.pk, "type": "detect"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Alert on empty backups" in response.content.decode()
    assert ActionItem.objects.get(incident=incident).factor == factor
    bad = client.post(url("meeting_action", incident), {"title": ""}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400
    assert "Say what should be done" in bad.content.decode()


def test_factor_form_records_evidence_and_test_types(client_for, responder, pm, incident):
    entry = TimelineEntryFactory(incident=incident, body="pg_dump output was empty")
    response = client_for(responder).post(
        url("factor_add", incident),
        {
            "category": "testing_gap",
            "title": "Restores never tested",
            "description": "No test restored a backup.",
            "evidence_entries": [entry.pk],
            "missing_test_types": ["regression", "integration"],
        },
    )
    assert response.status_code == 302
    factor = ContributingFactor.objects.get(incident=incident)
    assert list(factor.evidence_entries.all()) == [entry]
    assert factor.missing_test_types == ["regression", "integration"]


def test_factor_form_refuses_test_types_for_other_categories(client_for, responder, pm, incident):
    response = client_for(responder).post(
        url("factor_add", incident), {"category": "process", "title": "x", "missing_test_types": ["unit"]}
    )
    assert response.status_code == 400
    assert "only apply to a testing gap" in response.content.decode()


def test_diff_page_shows_changes(client_for, responder, pm, incident):
    services_postmortems.postmortem_save(
        postmortem=pm, actor=responder, sections={"summary": "old line"}, expected_version=pm.version
    )
    pm.refresh_from_db()
    services_postmortems.postmortem_save(
        postmortem=pm, actor=responder, sections={"summary": "new line"}, expected_version=pm.version
    )
    body = client_for(responder).get(url("postmortem_diff", incident) + "?a=2&b=3").content.decode()
    assert "-old line" in body
    assert "+new line" in body
    assert client_for(responder).get(url("postmortem_diff", incident) + "?a=2&b=99").status_code == 400


def _fill(incident, n):
    for i in range(n):
        entry = TimelineEntryFactory(incident=incident, is_key_moment=i % 2 == 0)
        factor = ContributingFactorFactory(incident=incident, category=FactorCategory.values[i % 10])
        factor.evidence_entries.add(entry)
        ActionItemFactory(incident=incident, factor=factor)


def _count(client, path):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
        assert response.status_code == 200
        response.getvalue()  # a streamed export queries while it is sent
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", ["postmortem", "meeting", "postmortem_print", "postmortem_export_json"])
def test_postmortem_pages_query_count_does_not_grow(
    client_for, responder, pm, incident, page, django_assert_max_num_queries
):
    client = client_for(responder)
    _fill(incident, 1)
    one = _count(client, url(page, incident))
    _fill(incident, 12)
    with django_assert_max_num_queries(45):
        many = _count(client, url(page, incident))
    assert many == one


def test_postmortem_page_shows_the_timeline_key_moments_first(client_for, commander, incident):
    from incidents.review.services.postmortems import postmortem_start
    from tests.factories import TimelineEntryFactory

    TimelineEntryFactory(incident=incident, body="Replication lag alert fired")
    TimelineEntryFactory(incident=incident, body="Wrong data directory removed", is_key_moment=True)
    postmortem_start(incident=incident, actor=commander)
    html = client_for(commander).get(f"/incidents/{incident.number}/postmortem/").content.decode()
    section = html[html.index('id="pm-timeline"') :]
    assert "Replication lag alert fired" in section
    assert section.index("Wrong data directory removed") < section.index("Replication lag alert fired")


def test_meeting_capture_offers_owners_who_may_record_and_proposes_the_facilitator(
    client_for, responder, viewer, pm, incident
):
    client = client_for(responder)
    page = client.get(url("meeting", incident)).content.decode()
    assert f'<option value="{responder.pk}" selected>' in page
    assert f'<option value="{viewer.pk}"' not in page
    response = client.post(
        url("meeting_action", incident),
        {"title": "Restore a backup every week", "type": "detect", "owner": responder.pk},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert ActionItem.objects.get(title="Restore a backup every week").owner == responder
    assert 'id="capture-action-title"' in response.content.decode()
    assert "autofocus" in response.content.decode()
    refused = client.post(
        url("meeting_action", incident),
        {"title": "Owned by a viewer", "type": "detect", "owner": viewer.pk},
        HTTP_HX_REQUEST="true",
    )
    assert refused.status_code == 400
    assert f"Owner: {viewer} may not record on {incident.reference}" in refused.content.decode()
    assert not ActionItem.objects.filter(title="Owned by a viewer").exists()


def test_a_review_comment_reads_as_formatted_text_on_the_review_table_and_my_work(
    client_for, pm, responder, reviewer
):
    pm, _ = reviews.postmortem_request_review(postmortem=pm, actor=responder, reviewers=[reviewer])
    reviews.postmortem_review_decide(
        postmortem=pm,
        actor=reviewer,
        decision=ReviewDecision.CHANGES_REQUESTED,
        comment="Give **numbers** for the impact, see `orders_lost`.\n\n<script>alert(1)</script>",
        expected_version=pm.version,
    )
    client = client_for(responder)
    for page in (url("postmortem", pm.incident), reverse("incidents:my_work")):
        html = client.get(page).content.decode()
        assert "<strong>numbers</strong>" in html, page
        assert "<code>orders_lost</code>" in html, page
        assert "**numbers**" not in html, page
        assert "<script>alert(1)" not in html, page


def _open_and_folded(page: str) -> tuple[list[str], list[str]]:
    form = page[page.index('<form method="post" novalidate') :]
    form = form[: form.index("</form>")]
    head, _, folded = form.partition('<details class="card more-sections">')
    rows = re.compile(r'data-section-row="([a-z_]+)"')
    return rows.findall(head), rows.findall(folded)


def test_the_lightweight_templates_editor_opens_its_five_sections_and_folds_the_others(
    client_for, incident, responder
):
    light = PostmortemTemplate.objects.get(name="Lightweight")
    pm = services_postmortems.postmortem_start(incident=incident, actor=responder, template=light)
    client = client_for(responder)
    page = client.get(url("postmortem_edit", incident)).content.decode()
    shown, folded = _open_and_folded(page)
    assert shown == ["summary", "impact", "trigger", "response", "lessons"]
    assert len(folded) == 6
    assert "Other sections (6), not in the Lightweight template" in page
    # A folded section, once written, opens with the others: nothing written is hidden.
    data = {**pm.sections, "detection": "The checkout alert paged after 4 minutes.", "version": pm.version}
    assert client.post(url("postmortem_edit", incident), data).status_code == 302
    shown, folded = _open_and_folded(client.get(url("postmortem_edit", incident)).content.decode())
    assert shown == ["summary", "impact", "trigger", "detection", "response", "lessons"]
    assert "detection" not in folded


def test_the_full_templates_editor_folds_nothing(client_for, pm, responder):
    shown, folded = _open_and_folded(
        client_for(responder).get(url("postmortem_edit", pm.incident)).content.decode()
    )
    assert len(shown) == 11
    assert folded == []
