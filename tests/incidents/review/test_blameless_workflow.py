"""A review that does not publish blame: open findings block publishing until each is reworded or dismissed
with a reason; dismissals keep who and why and travel with the export; the commander may publish over a
finding only by writing why. Every finding is recorded (raised, reworded, dismissed) for Insights.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Membership
from incidents.errors import AccessDenied
from incidents.models import BlamelessRecord, FindingResolution, PostmortemStatus
from incidents.review import exports
from incidents.review.services import blameless as blameless_findings
from incidents.review.services import postmortems as services_postmortems
from incidents.review.services import reviews
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

BLAMING = "Dana forgot to renew the certificate. It was human error."


@pytest.fixture
def reviewer(team):
    user = UserFactory(email="reviewer@example.com", display_name="Remy Reviewer")
    MembershipFactory(user=user, team=team, role=Membership.Role.RESPONDER)
    return user


def _approved(incident, responder, reviewer, trigger):
    pm = services_postmortems.postmortem_start(incident=incident, actor=responder)
    pm = services_postmortems.postmortem_save(
        postmortem=pm, actor=responder, sections={"trigger": trigger}, expected_version=pm.version
    )
    pm, findings = reviews.postmortem_request_review(postmortem=pm, actor=responder, reviewers=[reviewer])
    reviews.postmortem_review_decide(
        postmortem=pm, actor=reviewer, decision="approved", expected_version=pm.version
    )
    pm.refresh_from_db()
    assert pm.status == PostmortemStatus.APPROVED
    return pm, findings


def _reword(pm, actor, trigger):
    return services_postmortems.postmortem_save(
        postmortem=pm, actor=actor, sections={"trigger": trigger}, expected_version=pm.version
    )


def test_requesting_review_shows_the_open_findings(incident, responder, reviewer):
    _, findings = _approved(incident, responder, reviewer, BLAMING)
    assert {f.rule for f in findings} == {"person_subject", "human_error"}
    assert all(f.suggestion and f.reason for f in findings)


def test_publishing_is_refused_until_each_finding_is_reworded_or_dismissed(
    incident, responder, reviewer, commander
):
    pm, findings = _approved(incident, responder, reviewer, BLAMING)
    with pytest.raises(ValidationError) as exc:
        reviews.postmortem_publish(postmortem=pm, actor=commander)
    assert "2 blameless finding(s)" in str(exc.value)
    assert "human error" in str(exc.value)

    # Reword one: the saved edit sends the postmortem back to review, approve again.
    pm = _reword(pm, responder, "The certificate was not renewed: renewal was manual. It was human error.")
    reviews.postmortem_review_decide(
        postmortem=pm, actor=reviewer, decision="approved", expected_version=pm.version
    )
    pm.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        reviews.postmortem_publish(postmortem=pm, actor=commander)
    assert "1 blameless finding(s)" in str(exc.value)

    # Dismiss the other with a reason: now it publishes.
    (left,) = blameless_findings.open_findings(pm)
    services_postmortems.blameless_dismiss(
        postmortem=pm,
        actor=responder,
        section=left.section,
        rule=left.rule,
        text=left.text,
        reason="The vendor's report says 'human error'; we quote it.",
    )
    pm = reviews.postmortem_publish(postmortem=pm, actor=commander)
    assert pm.status == PostmortemStatus.PUBLISHED

    records = {r.rule: r.resolution for r in BlamelessRecord.objects.filter(postmortem=pm)}
    assert records == {
        "person_subject": FindingResolution.REWORDED,
        "human_error": FindingResolution.DISMISSED,
    }


def test_a_dismissal_needs_a_reason_and_keeps_who_and_why_in_the_export(incident, responder, reviewer):
    pm, findings = _approved(incident, responder, reviewer, BLAMING)
    f = next(f for f in findings if f.rule == "human_error")
    with pytest.raises(ValidationError):
        services_postmortems.blameless_dismiss(
            postmortem=pm, actor=reviewer, section=f.section, rule=f.rule, text=f.text, reason="  "
        )
    services_postmortems.blameless_dismiss(
        postmortem=pm, actor=reviewer, section=f.section, rule=f.rule, text=f.text, reason="Quoted."
    )
    (d,) = blameless_findings.dismissals(pm)
    assert (d.dismissed_by, d.reason, d.overridden) == (reviewer, "Quoted.", False)
    exported = exports.export_json(pm, viewer=responder)["postmortem"]["blameless_dismissals"]
    assert exported == [
        {
            "section": "trigger",
            "kind": "human_error",
            "label": '"Human error" as the cause',
            "words": "human error",
            "reason": "Quoted.",
            "dismissed_by": str(reviewer),
            "dismissed_at": exported[0]["dismissed_at"],
            "published_over": False,
        }
    ]


def test_only_the_commander_publishes_over_open_findings_and_only_by_saying_why(
    incident, responder, reviewer, commander, admin_user
):
    pm, _ = _approved(incident, responder, reviewer, BLAMING)
    with pytest.raises(AccessDenied) as exc:
        reviews.postmortem_publish(postmortem=pm, actor=admin_user, override_reason="Ship it.")
    assert "Only the incident's commander" in str(exc.value)
    assert exc.value.visible
    pm = reviews.postmortem_publish(
        postmortem=pm, actor=commander, override_reason="Legal asked for the wording of the report."
    )
    assert pm.status == PostmortemStatus.PUBLISHED
    over = blameless_findings.dismissals(pm)
    assert {d.rule for d in over} == {"person_subject", "human_error"}
    assert all(d.overridden and d.dismissed_by == commander for d in over)
    assert set(BlamelessRecord.objects.filter(postmortem=pm).values_list("resolution", flat=True)) == {
        FindingResolution.OVERRIDDEN
    }


def test_a_clean_postmortem_publishes_without_any_reason(incident, responder, reviewer, commander):
    pm, findings = _approved(incident, responder, reviewer, "The renewal job had no alert when it failed.")
    assert findings == []
    assert reviews.postmortem_publish(postmortem=pm, actor=commander).status == PostmortemStatus.PUBLISHED


def test_old_rule_names_of_kept_dismissals_are_migrated():
    from importlib import import_module

    renamed = import_module("incidents.migrations.0008_blameless_records").RENAMED
    from incidents.review.blameless.explain import LABELS

    assert set(renamed.values()) <= set(LABELS)
