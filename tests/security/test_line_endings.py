"""Line breaks are stored as LF whatever sent them: a browser submits every textarea with CRLF, so storing
text as typed made a title-only save of an action item rewrite its description (a history row saying the
description changed, found by an outside tester), and compared CRLF with LF everywhere a stored text is
compared with a submitted one.

Generated: every text field of every form of `incidents` (`incidents.inputs.TextField`) and every writable
text field of every API serializer (`incidents.api.fields.TextField`) must turn CRLF and CR into LF; a new
form or serializer with a plain `CharField` fails here. `accounts` (a leaf that imports nothing from
`incidents`) has only one-line fields (names, codes, passwords) and is not walked.
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import date
from typing import Any

import pytest
from django import forms
from django.urls import reverse
from rest_framework import serializers

import incidents
from incidents.models import ActionItem, PolicyFinding
from tests.factories import ActionItemFactory, PolicyFindingFactory

pytestmark = pytest.mark.django_db

TYPED = "Step one\r\nStep two\rStep three"
STORED = "Step one\nStep two\nStep three"


def _import_everything() -> None:
    for mod in pkgutil.walk_packages(incidents.__path__, "incidents."):
        if ".migrations" in mod.name or mod.name.startswith("incidents.demo"):
            continue
        importlib.import_module(mod.name)


def _subclasses(root: type) -> list[Any]:
    _import_everything()
    found: list[Any] = []
    todo: list[type] = [root]
    while todo:
        subs: list[type] = todo.pop().__subclasses__()
        for sub in subs:
            todo.append(sub)
            if sub.__module__.startswith("incidents."):
                found.append(sub)
    return found


def test_every_text_field_of_every_form_stores_lf():
    checked, wrong = 0, []
    for form in _subclasses(forms.BaseForm):
        for name, field in getattr(form, "base_fields", {}).items():
            if not isinstance(field, forms.CharField):
                continue
            try:
                value = field.clean(TYPED)
            except forms.ValidationError:
                continue  # an email, URL or slug field refuses the text outright
            checked += 1
            if "\r" in str(value):
                wrong.append(f"{form.__module__}.{form.__name__}.{name}")
    assert checked > 50
    assert not wrong, f"use incidents.inputs.TextField for {wrong}"


def test_every_writable_text_field_of_every_serializer_stores_lf():
    checked, wrong = 0, []
    for serializer in _subclasses(serializers.Serializer):
        if issubclass(serializer, serializers.ModelSerializer) and not hasattr(serializer, "Meta"):
            continue  # an abstract base (ReadModelSerializer)
        fields = serializer().fields
        for name, field in fields.items():
            if not isinstance(field, serializers.CharField) or field.read_only:
                continue
            try:
                value = field.run_validation(TYPED)
            except serializers.ValidationError:
                continue
            checked += 1
            if "\r" in str(value):
                wrong.append(f"{serializer.__module__}.{serializer.__name__}.{name}")
    assert checked > 30
    assert not wrong, f"use incidents.api.fields.TextField for {wrong}"


def _edit_form(client, url: str) -> dict:
    """What a browser posts from the edit page: every field as shown, textareas with CRLF line breaks."""
    form = client.get(url).context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, date):
            value = value.isoformat()
        value = "" if value is None else getattr(value, "pk", value)
        data[name] = value.replace("\n", "\r\n") if isinstance(value, str) else value
    return data


def test_a_form_post_with_crlf_stores_lf(client_for, commander, incident):
    item = ActionItemFactory(incident=incident, title="Hourly snapshots", description="")
    url = reverse("incidents:action_item_edit", args=[item.pk])
    client = client_for(commander)
    response = client.post(url, {**_edit_form(client, url), "description": TYPED, "success_criteria": TYPED})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.description, item.success_criteria) == (STORED, STORED)


def test_a_title_only_save_leaves_a_multi_line_description_untouched(client_for, commander, incident):
    item = ActionItemFactory(incident=incident, title="Hourly snapshots", description=STORED)
    url = reverse("incidents:action_item_edit", args=[item.pk])
    client = client_for(commander)
    assert client.post(url, {**_edit_form(client, url), "title": "Snapshots every hour"}).status_code == 302
    item.refresh_from_db()
    assert (item.title, item.description) == ("Snapshots every hour", STORED)
    latest = item.history.order_by("-history_id").first()
    changed = latest.diff_against(latest.prev_record).changed_fields
    assert changed == ["title"] or set(changed) <= {"title", "version", "updated_at"}


@pytest.mark.parametrize("kind", ["action item", "policy finding"])
def test_a_stale_title_only_form_is_no_conflict_over_a_multi_line_description(
    client_for, commander, responder, incident, kind
):
    row: Any
    if kind == "action item":
        row = ActionItemFactory(incident=incident, title="Hourly snapshots", description=STORED)
        url = reverse("incidents:action_item_edit", args=[row.pk])
    else:
        row = PolicyFindingFactory(title="Shared admin password", description=STORED)
        url = reverse("incidents:finding_edit", args=[row.pk])
    mine = _edit_form(client_for(responder), url)
    theirs = _edit_form(client_for(commander), url)
    assert client_for(commander).post(url, {**theirs, "title": "Their title"}).status_code == 302

    stale = client_for(responder).post(url, {**mine, "due_date": "2031-01-15"})
    body = stale.content.decode()
    assert "changed by both of you" not in body.lower()
    again = _resubmit_values(stale)
    assert client_for(responder).post(url, again).status_code == 302
    model: Any = ActionItem if kind == "action item" else PolicyFinding
    row = model.objects.get(pk=row.pk)
    assert (row.title, row.description, row.due_date) == ("Their title", STORED, date(2031, 1, 15))


def _resubmit_values(response) -> dict:
    """The re-shown form (409) as a browser would post it again, textareas with CRLF."""
    assert response.status_code == 409, response.status_code
    form = response.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, date):
            value = value.isoformat()
        value = "" if value is None else getattr(value, "pk", value)
        data[name] = value.replace("\n", "\r\n") if isinstance(value, str) else value
    if response.context.get("must_choose"):
        data["must_choose"] = response.context["must_choose"]
    return data


def test_the_api_stores_lf(api_for, commander, incident):
    item = ActionItemFactory(incident=incident, title="Hourly snapshots", description="")
    response = api_for(commander).patch(
        f"/api/v1/action-items/{item.pk}/", {"description": TYPED, "version": item.version}, format="json"
    )
    assert response.status_code == 200, response.content[:300]
    item.refresh_from_db()
    assert item.description == STORED
