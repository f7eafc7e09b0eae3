"""The postmortem review workflow: draft → in review → approved → published, by role."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Membership
from incidents.errors import AccessDenied, ConflictError
from incidents.followup.services import items as services_items
from incidents.models import (
    FactorCategory,
    FindingArea,
    FindingStatus,
    PolicyFinding,
    PostmortemStatus,
    PostmortemTemplate,
    ReviewDecision,
    section_prompt,
)
from incidents.review import documents as document
from incidents.review.services import factors as services_factors
from incidents.review.services import postmortems as services_postmortems
from incidents.review.services import reviews
from tests.factories import (
    ContributingFactorFactory,
    IncidentFactory,
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
def second_reviewer(team):
    user = UserFactory(email="reviewer2@example.com", display_name="Rita Second")
    MembershipFactory(user=user, team=team, role=Membership.Role.LEAD)
    return user


@pytest.fixture
def pm(incident, responder):
    return services_postmortems.postmortem_start(incident=incident, actor=responder)


def _save(pm, actor, **sections):
    return services_postmortems.postmortem_save(
        postmortem=pm, actor=actor, sections=sections, expected_version=pm.version
    )


def test_starting_uses_the_full_template_and_keeps_version_one(pm, responder):
    assert pm.template.name == "Full"
    assert set(pm.sections) == set(services_postmortems.SECTION_KEYS)
    assert pm.author == responder
    assert list(pm.versions.values_list("number", flat=True)) == [1]


def test_lightweight_template_prompts_five_sections_and_stores_none(incident, responder):
    light = PostmortemTemplate.objects.get(name="Lightweight")
    pm = services_postmortems.postmortem_start(incident=incident, actor=responder, template=light)
    assert set(pm.sections.values()) == {""}  # its prompts are placeholders, not text to publish
    prompted = {k for k in pm.sections if section_prompt(light, k)}
    assert prompted == {"summary", "impact", "trigger", "response"}


def test_starting_twice_returns_the_same_postmortem(pm, incident, commander):
    again = services_postmortems.postmortem_start(incident=incident, actor=commander)
    assert again.pk == pm.pk
    assert again.author_id == pm.author_id


def test_full_workflow_to_published(pm, responder, reviewer, commander):
    pm = _save(pm, responder, summary="The primary's data directory was removed.")
    pm, _ = reviews.postmortem_request_review(postmortem=pm, actor=responder, reviewers=[reviewer])
    assert pm.status == PostmortemStatus.IN_REVIEW
    reviews.postmortem_review_decide(
        postmortem=pm, actor=reviewer, decision=ReviewDecision.APPROVED, expected_version=pm.version
    )
    pm.refresh_from_db()
    assert pm.status == PostmortemStatus.APPROVED
    pm = reviews.postmortem_publish(postmortem=pm, actor=commander)
    assert pm.status == PostmortemStatus.PUBLISHED
    assert pm.published_at is not None
    frozen = pm.versions.get(is_published=True)
    assert frozen.number == pm.version
    assert frozen.sections["summary"] == "The primary's data directory was removed."


def test_approved_only_when_every_reviewer_approved(pm, responder, reviewer, second_reviewer):
    pm, _ = reviews.postmortem_request_review(
        postmortem=pm, actor=responder, reviewers=[reviewer, second_reviewer]
    )
    reviews.postmortem_review_decide(
        postmortem=pm, actor=reviewer, decision=ReviewDecision.APPROVED, expected_version=pm.version
    )
    pm.refresh_from_db()
    assert pm.status == PostmortemStatus.IN_REVIEW
    reviews.postmortem_review_decide(
        postmortem=pm, actor=second_reviewer, decision=ReviewDecision.APPROVED, expected_version=pm.version
    )
    pm.refresh_from_db()
    assert pm.status == PostmortemStatus.APPROVED


def test_requesting_changes_needs_a_comment_and_blocks_approval(pm, responder, reviewer):
    pm, _ = reviews.postmortem_request_review(postmortem=pm, actor=responder, reviewers=[reviewer])
    with pytest.raises(ValidationError) as exc:
        reviews.postmortem_review_decide(
            postmortem=pm,
            actor=reviewer,
            decision=ReviewDecision.CHANGES_REQUESTED,
            expected_version=pm.version,
        )
    assert "comment" in exc.value.message_dict
    review = reviews.postmortem_review_decide(
        postmortem=pm,
        actor=reviewer,
        decision=ReviewDecision.CHANGES_REQUESTED,
        comment="Impact needs numbers.",
        expected_version=pm.version,
    )
    pm.refresh_from_db()
    assert review.comment == "Impact needs numbers."
    assert pm.status == PostmortemStatus.IN_REVIEW


def test_author_cannot_be_a_reviewer(pm, responder):
    with pytest.raises(ValidationError) as exc:
        reviews.postmortem_request_review(postmortem=pm, actor=responder, reviewers=[responder])
    assert "own text" in str(exc.value)


def test_a_reviewer_who_wrote_the_current_version_cannot_approve_it(pm, responder, reviewer, second_reviewer):
    pm, _ = reviews.postmortem_request_review(
        postmortem=pm, actor=responder, reviewers=[reviewer, second_reviewer]
    )
    pm = _save(pm, reviewer, impact="About 5,000 projects lost six hours of changes.")
    with pytest.raises(AccessDenied):
        reviews.postmortem_review_decide(
            postmortem=pm, actor=reviewer, decision=ReviewDecision.APPROVED, expected_version=pm.version
        )
    reviews.postmortem_review_decide(
        postmortem=pm, actor=second_reviewer, decision=ReviewDecision.APPROVED, expected_version=pm.version
    )


@pytest.mark.parametrize(
    ("who", "sees_it"), [("viewer", True), ("outsider", False), ("responder", True), ("commander", True)]
)
def test_only_requested_reviewers_may_decide(pm, personas, reviewer, who, sees_it):
    pm, _ = reviews.postmortem_request_review(
        postmortem=pm, actor=personas["responder"], reviewers=[reviewer]
    )
    with pytest.raises(AccessDenied) as refused:
        reviews.postmortem_review_decide(
            postmortem=pm, actor=personas[who], decision=ReviewDecision.APPROVED, expected_version=pm.version
        )
    assert refused.value.visible is sees_it  # 403 for who sees the incident, else 404
    pm.refresh_from_db()
    assert pm.status == PostmortemStatus.IN_REVIEW


def test_viewer_cannot_be_asked_to_review(pm, responder, viewer):
    with pytest.raises(ValidationError):
        reviews.postmortem_request_review(postmortem=pm, actor=responder, reviewers=[viewer])


@pytest.mark.parametrize(
    ("who", "allowed"), [("commander", True), ("admin", True), ("responder", False), ("viewer", False)]
)
def test_publishing_is_for_commander_or_admin(pm, personas, reviewer, who, allowed):
    pm, _ = reviews.postmortem_request_review(
        postmortem=pm, actor=personas["responder"], reviewers=[reviewer]
    )
    reviews.postmortem_review_decide(
        postmortem=pm, actor=reviewer, decision=ReviewDecision.APPROVED, expected_version=pm.version
    )
    pm.refresh_from_db()
    if allowed:
        assert (
            reviews.postmortem_publish(postmortem=pm, actor=personas[who]).status
            == PostmortemStatus.PUBLISHED
        )
    else:
        with pytest.raises(AccessDenied) as refused:
            reviews.postmortem_publish(postmortem=pm, actor=personas[who])
        assert refused.value.visible  # they see the incident: 403
        pm.refresh_from_db()
        assert pm.status == PostmortemStatus.APPROVED


def test_draft_or_in_review_cannot_be_published(pm, commander, responder, reviewer):
    with pytest.raises(ConflictError) as draft:  # 409 with the stored postmortem
        reviews.postmortem_publish(postmortem=pm, actor=commander)
    assert draft.value.current.status == PostmortemStatus.DRAFT
    pm, _ = reviews.postmortem_request_review(postmortem=pm, actor=responder, reviewers=[reviewer])
    with pytest.raises(ConflictError):
        reviews.postmortem_publish(postmortem=pm, actor=commander)


def test_edit_after_approval_asks_for_approval_again(pm, responder, reviewer, second_reviewer):
    pm, _ = reviews.postmortem_request_review(
        postmortem=pm, actor=responder, reviewers=[reviewer, second_reviewer]
    )
    for r in (reviewer, second_reviewer):
        reviews.postmortem_review_decide(
            postmortem=pm, actor=r, decision=ReviewDecision.APPROVED, expected_version=pm.version
        )
    pm.refresh_from_db()
    assert pm.status == PostmortemStatus.APPROVED
    pm = _save(pm, responder, lessons="- Test restores, not just backups.")
    assert pm.status == PostmortemStatus.IN_REVIEW
    assert set(pm.reviews.values_list("decision", flat=True)) == {ReviewDecision.PENDING}
    assert pm.incident.timeline_entries.filter(body__contains="approvals must be given again").exists()


def test_published_postmortem_is_frozen_until_reopened(pm, responder, reviewer, commander):
    pm, _ = reviews.postmortem_request_review(postmortem=pm, actor=responder, reviewers=[reviewer])
    reviews.postmortem_review_decide(
        postmortem=pm, actor=reviewer, decision=ReviewDecision.APPROVED, expected_version=pm.version
    )
    pm = reviews.postmortem_publish(postmortem=pm.__class__.objects.get(pk=pm.pk), actor=commander)
    with pytest.raises(services_postmortems.PostmortemFrozen):
        _save(pm, responder, summary="late edit")
    with pytest.raises(AccessDenied):
        reviews.postmortem_reopen(postmortem=pm, actor=responder, reason="typo")
    pm = reviews.postmortem_reopen(postmortem=pm, actor=commander, reason="A factor was missing.")
    assert pm.status == PostmortemStatus.DRAFT
    assert pm.versions.filter(is_published=True).count() == 1


def test_stale_save_is_refused_with_both_texts(pm, responder, commander):
    loaded_version = pm.version
    _save(pm, commander, summary="Commander's summary.")
    with pytest.raises(services_postmortems.PostmortemConflict) as exc:
        services_postmortems.postmortem_save(
            postmortem=pm,
            actor=responder,
            sections={"summary": "Responder's summary."},
            expected_version=loaded_version,
        )
    assert exc.value.submitted["summary"] == "Responder's summary."
    assert exc.value.current.sections["summary"] == "Commander's summary."
    pm.refresh_from_db()
    assert pm.sections["summary"] == "Commander's summary."


def test_every_version_is_kept_and_diffable(pm, responder):
    pm = _save(pm, responder, summary="Line one\nLine two")
    pm = _save(pm, responder, summary="Line one\nLine 2 rewritten\nLine three")
    versions = list(pm.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2, 3]
    diff = document.version_diff(versions[1].sections, versions[2].sections)
    assert [d["key"] for d in diff] == ["summary"]
    lines = diff[0]["lines"]
    assert ("del", "-Line two") in lines
    assert ("add", "+Line 2 rewritten") in lines
    assert ("add", "+Line three") in lines
    assert ("ctx", " Line one") in lines


def test_saving_identical_text_keeps_the_version(pm, responder):
    pm = _save(pm, responder, summary="Same")
    version = pm.version
    assert _save(pm, responder, summary="Same").version == version


def test_unknown_section_is_refused(pm, responder):
    with pytest.raises(ValidationError) as exc:
        _save(pm, responder, root_cause="Bob")
    assert "root_cause" in exc.value.message_dict


def test_single_person_change_opens_one_draft_access_finding(pm, responder, incident):
    pm = services_postmortems.postmortem_answer_questions(
        postmortem=pm,
        actor=responder,
        single_person_change=True,
        unnoticed_seconds=60,
        detection_method="alert",
    )
    finding = pm.access_finding
    assert finding.area == FindingArea.ACCESS_CONTROL
    assert finding.status == FindingStatus.DRAFT
    assert list(finding.incidents.all()) == [incident]
    services_postmortems.postmortem_answer_questions(
        postmortem=pm, actor=responder, single_person_change=True
    )
    assert PolicyFinding.objects.count() == 1


def test_answering_no_opens_no_finding(pm, responder):
    services_postmortems.postmortem_answer_questions(
        postmortem=pm,
        actor=responder,
        single_person_change=False,
        behind_feature_flag=True,
        flag_off_seconds=240,
    )
    assert PolicyFinding.objects.count() == 0


def test_negative_durations_are_refused(pm, responder):
    with pytest.raises(ValidationError) as exc:
        services_postmortems.postmortem_answer_questions(postmortem=pm, actor=responder, unnoticed_seconds=-5)
    assert "unnoticed_seconds" in exc.value.message_dict


def test_request_review_returns_the_blameless_summary(pm, responder, reviewer):
    pm = _save(pm, responder, trigger="The intern forgot to check the host. It was human error.")
    _, findings = reviews.postmortem_request_review(postmortem=pm, actor=responder, reviewers=[reviewer])
    assert {"person_subject", "human_error"} <= {f.rule for f in findings}
    services_postmortems.blameless_dismiss(
        postmortem=pm,
        actor=responder,
        section="trigger",
        rule="human_error",
        text="human error",
        reason="Quoted.",
    )
    remaining = [f for f in services_postmortems.postmortem_blameless_findings(pm) if not f.dismissed]
    assert "human_error" not in {f.rule for f in remaining}
    assert "person_subject" in {f.rule for f in remaining}


def test_testing_gap_records_missing_test_types_only_for_testing_gaps(incident, responder):
    factor = services_factors.factor_create(
        incident=incident,
        actor=responder,
        category=FactorCategory.TESTING_GAP,
        title="Restores never tested",
        missing_test_types=["integration", "regression"],
    )
    assert factor.missing_test_types == ["integration", "regression"]
    with pytest.raises(ValidationError) as exc:
        services_factors.factor_create(
            incident=incident,
            actor=responder,
            category=FactorCategory.PROCESS,
            title="x",
            missing_test_types=["unit"],
        )
    assert "missing_test_types" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services_factors.factor_create(
            incident=incident,
            actor=responder,
            category=FactorCategory.TESTING_GAP,
            title="x",
            missing_test_types=["vibes"],
        )


def test_evidence_must_come_from_the_same_incident(incident, responder):
    other = TimelineEntryFactory(incident=IncidentFactory())
    own = TimelineEntryFactory(incident=incident)
    with pytest.raises(ValidationError):
        services_factors.factor_create(
            incident=incident,
            actor=responder,
            category=FactorCategory.PROCESS,
            title="x",
            evidence_entries=[other],
        )
    factor = services_factors.factor_create(
        incident=incident, actor=responder, category=FactorCategory.PROCESS, title="x", evidence_entries=[own]
    )
    assert list(factor.evidence_entries.all()) == [own]


def test_recurrence_points_at_the_first_occurrence_and_counts_incidents(incident, responder):
    first = ContributingFactorFactory(incident=IncidentFactory(), category=FactorCategory.MONITORING_GAP)
    second = services_factors.factor_create(
        incident=IncidentFactory(),
        actor=responder,
        category=FactorCategory.MONITORING_GAP,
        title="b",
        recurrence_of=first,
    )
    third = services_factors.factor_create(
        incident=incident,
        actor=responder,
        category=FactorCategory.MONITORING_GAP,
        title="c",
        recurrence_of=second,
    )
    assert third.recurrence_of == first
    counts = services_factors.factors_seen_counts([first, second, third], viewer=responder)
    assert counts == {first.pk: 3, second.pk: 3, third.pk: 3}
    lonely = ContributingFactorFactory(incident=incident)
    assert services_factors.factors_seen_counts([lonely], viewer=responder) == {lonely.pk: 1}


def test_quick_action_item_links_to_a_factor(incident, responder):
    factor = ContributingFactorFactory(incident=incident)
    item = services_items.action_item_quick_add(
        incident=incident, actor=responder, title="Alert on empty backups", factor=factor
    )
    assert item.factor == factor
    assert item.incident == incident
    with pytest.raises(ValidationError):
        services_items.action_item_quick_add(incident=incident, actor=responder, title="  ")


def test_yes_links_an_access_finding_the_incident_already_has(pm, responder, incident):
    from tests.factories import PolicyFindingFactory

    existing = PolicyFindingFactory(area=FindingArea.ACCESS_CONTROL, status=FindingStatus.OPEN)
    existing.incidents.add(incident)
    pm = services_postmortems.postmortem_answer_questions(
        postmortem=pm, actor=responder, single_person_change=True
    )
    assert pm.access_finding == existing
    assert PolicyFinding.objects.count() == 1


def test_linking_action_items_to_a_factor_bumps_their_version(incident, responder):
    from tests.factories import ActionItemFactory

    factor = ContributingFactorFactory(incident=incident)
    item = ActionItemFactory(incident=incident)
    version = item.version
    assert services_items.factor_link_action_items(factor=factor, actor=responder, items=[item]) == [item]
    item.refresh_from_db()
    assert item.factor == factor
    assert item.version == version + 1
    assert services_items.factor_link_action_items(factor=factor, actor=responder, items=[item]) == []
    with pytest.raises(ValidationError):
        services_items.factor_link_action_items(
            factor=factor, actor=responder, items=[ActionItemFactory(incident=IncidentFactory())]
        )


def _approvals(review):
    return list(
        review.history.filter(decision=ReviewDecision.APPROVED).values_list("version_reviewed", flat=True)
    )


def test_approving_the_same_version_twice_records_one_approval(pm, responder, reviewer):
    pm, _ = reviews.postmortem_request_review(postmortem=pm, actor=responder, reviewers=[reviewer])
    first = reviews.postmortem_review_decide(
        postmortem=pm, actor=reviewer, decision=ReviewDecision.APPROVED, expected_version=pm.version
    )
    again = reviews.postmortem_review_decide(
        postmortem=pm, actor=reviewer, decision=ReviewDecision.APPROVED, expected_version=pm.version
    )
    assert again.pk == first.pk
    assert _approvals(again) == [pm.version]
    assert pm.incident.timeline_entries.filter(body__contains="approved the postmortem").count() == 1


def test_a_decision_on_an_older_version_is_a_conflict(pm, responder, reviewer):
    pm, _ = reviews.postmortem_request_review(postmortem=pm, actor=responder, reviewers=[reviewer])
    read = pm.version
    pm = _save(pm, responder, impact="Six hours of changes lost.")
    with pytest.raises(reviews.ReviewStale) as exc:
        reviews.postmortem_review_decide(
            postmortem=pm, actor=reviewer, decision=ReviewDecision.APPROVED, expected_version=read
        )
    assert f"version {read}" in str(exc.value)
    assert exc.value.current.version == pm.version
    assert pm.reviews.get().decision == ReviewDecision.PENDING


def test_every_approval_reset_is_in_the_reviews_history_with_its_reason(pm, responder, reviewer, commander):
    pm, _ = reviews.postmortem_request_review(postmortem=pm, actor=responder, reviewers=[reviewer])
    reviews.postmortem_review_decide(
        postmortem=pm, actor=reviewer, decision=ReviewDecision.APPROVED, expected_version=pm.version
    )
    pm = _save(pm, responder, lessons="- Test restores.")
    review = pm.reviews.get()
    latest = review.history.first()
    assert (review.decision, latest.decision) == (ReviewDecision.PENDING, ReviewDecision.PENDING)
    assert latest.history_change_reason == f"Approval reset: the postmortem was edited (version {pm.version})"

    reviews.postmortem_review_decide(
        postmortem=pm, actor=reviewer, decision=ReviewDecision.APPROVED, expected_version=pm.version
    )
    pm = reviews.postmortem_publish(postmortem=pm.__class__.objects.get(pk=pm.pk), actor=commander)
    reviews.postmortem_reopen(postmortem=pm, actor=commander, reason="A factor was missing.")
    latest = review.history.first()
    assert latest.decision == ReviewDecision.PENDING
    assert (
        latest.history_change_reason == "Approval reset: the postmortem was reopened: A factor was missing."
    )
    assert _approvals(review) == [pm.version, pm.version - 1]
