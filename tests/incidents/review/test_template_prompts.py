"""A template's prompts are placeholders in the editor, never text: not stored on start, not published or
exported, and a draft still holding one (started before this) counts its section as empty."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from incidents.incident.services.lifecycle import incident_resolve
from incidents.incident.services.process import process_rule_save
from incidents.models import Postmortem, PostmortemTemplate
from incidents.review import exports as review_exports
from incidents.review.services import postmortems, reviews

pytestmark = pytest.mark.django_db

SUMMARY_PROMPT = "Two or three sentences: what happened, to whom, for how long."


def url(name, incident):
    return reverse(f"incidents:{name}", args=[incident.number])


def _legacy_draft(incident, actor):
    """A draft as started before prompts became placeholders: the Full template's text in every section."""
    pm = postmortems.postmortem_start(incident=incident, actor=actor)
    full = PostmortemTemplate.objects.get(name="Full")
    Postmortem.objects.filter(pk=pm.pk).update(
        sections={**full.sections, "impact": "Checkout failed for 20 min."}
    )
    pm.refresh_from_db()
    return pm


def test_starting_from_full_shows_prompts_as_placeholders_and_stores_nothing(client_for, incident, responder):
    client = client_for(responder)
    full = PostmortemTemplate.objects.get(name="Full")
    response = client.post(url("postmortem_start", incident), {"template": full.pk}, follow=True)
    html = response.content.decode()
    assert f'placeholder="{SUMMARY_PROMPT}"' in html
    assert "_Two or three sentences" not in html  # not as Markdown text in the box
    pm = Postmortem.objects.get(incident=incident)
    assert set(pm.sections.values()) == {""}


def test_the_preview_of_an_empty_section_shows_its_prompt(client_for, incident, responder):
    postmortems.postmortem_start(incident=incident, actor=responder)
    response = client_for(responder).post(
        url("postmortem_preview", incident), {"section": "summary", "summary": ""}
    )
    assert SUMMARY_PROMPT in response.content.decode()
    response = client_for(responder).post(
        url("postmortem_preview", incident), {"section": "summary", "summary": "Checkout failed."}
    )
    assert SUMMARY_PROMPT not in response.content.decode()


def test_a_legacy_draft_opens_with_the_prompt_as_placeholder_not_text(client_for, incident, responder):
    _legacy_draft(incident, responder)
    html = client_for(responder).get(url("postmortem_edit", incident)).content.decode()
    assert f'placeholder="{SUMMARY_PROMPT}"' in html
    assert f"_{SUMMARY_PROMPT}_" not in html
    assert "Checkout failed for 20 min." in html


def test_a_legacy_draft_holding_the_prompt_fails_the_required_sections_rule(
    admin_user, incident, commander, responder
):
    process_rule_save(
        actor=admin_user, incident_type=None, severity=incident.severity, postmortem_required=True,
        postmortem_due_days=5, required_sections=["summary", "impact"],
    )  # fmt: skip
    incident_resolve(incident=incident, actor=commander)
    incident.refresh_from_db()
    pm = _legacy_draft(incident, commander)
    with pytest.raises(ValidationError, match=r"write the required sections first \(Summary\)"):
        reviews.postmortem_request_review(postmortem=pm, actor=commander, reviewers=[responder])


def test_exports_and_pages_leave_out_a_prompt_left_in_a_draft(client_for, incident, responder):
    pm = _legacy_draft(incident, responder)
    client = client_for(responder)
    md = review_exports.export_markdown(pm, viewer=responder)
    pages = [
        md,
        client.get(url("postmortem_export_json", incident)).getvalue().decode(),
        client.get(url("postmortem_print", incident)).content.decode(),
        client.get(url("postmortem", incident)).content.decode(),
    ]
    for text in pages:
        assert "Two or three sentences" not in text
        assert "Checkout failed for 20 min." in text
