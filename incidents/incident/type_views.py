"""Settings pages for incident types and their custom fields (admins). Views parse, call one service or
selector, and render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from incidents.errors import add_form_errors
from incidents.incident.services import types as type_services
from incidents.incident.type_forms import CustomFieldForm, IncidentTypeForm
from incidents.models import CustomField, IncidentType
from incidents.permissions.checks import require_page
from incidents.permissions.roles import can_manage_incident_types, can_manage_settings


def _guard(request: HttpRequest) -> None:
    require_page(can_manage_settings(request.user), "Only team leads and admins change settings.")
    require_page(can_manage_incident_types(request.user), type_services.TYPE_MESSAGE)


def _type_or_404(slug: str) -> IncidentType:
    row = IncidentType.objects.select_related("postmortem_template").filter(slug=slug).first()
    if row is None:
        raise Http404("No such incident type.")
    return row


def _type_initial(row: IncidentType) -> dict[str, Any]:
    return {
        "name": row.name, "slug": row.slug, "description": row.description,
        "default_severity": row.default_severity, "restricted_by_default": row.restricted_by_default,
        "postmortem_template": row.postmortem_template, "archived": row.archived,
    }  # fmt: skip


def _list_page(request: HttpRequest, form: IncidentTypeForm, status: int = 200) -> HttpResponse:
    rows = [
        {
            "cells": [
                t.name + (" (archived)" if t.archived else ""), t.slug, t.default_severity,
                "restricted" if t.restricted_by_default else "internal",
                t.postmortem_template or "Full", t.field_count,
            ],
            "edit_url": reverse("incidents:incident_type_edit", args=[t.slug]),
        }
        for t in IncidentType.objects.select_related("postmortem_template").annotate(field_count=Count("fields"))
    ]  # fmt: skip
    context = {
        "title": "Incident types",
        "intro": "Each type's severity, visibility and postmortem template apply when someone declares one "
        "(they may choose others), and its custom fields are asked on the incident.",
        "headers": ["Type", "Short name", "Severity", "Visibility", "Postmortem template", "Custom fields"],
        "rows": rows, "form": form, "form_title": "Add a type", "submit": "Add type",
    }  # fmt: skip
    return render(request, "incidents/settings_page.html", context, status=status)


@login_required
def incident_type_list(request: HttpRequest) -> HttpResponse:
    """GET: every incident type with its defaults. POST: add one (admins)."""
    _guard(request)
    form = IncidentTypeForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                row = type_services.incident_type_save(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_form_errors(form, exc)
            else:
                messages.success(request, f"Type {row.name} added; now add the fields it asks for.")
                return redirect("incidents:incident_type_edit", type_slug=row.slug)
        return _list_page(request, form, status=400)
    return _list_page(request, form)


def _type_page(
    request: HttpRequest, row: IncidentType, form: IncidentTypeForm, field_form: CustomFieldForm, status: int
) -> HttpResponse:
    context = {
        "incident_type": row,
        "form": form,
        "field_form": field_form,
        "fields": list(row.fields.all()),
    }
    return render(request, "incidents/incident/type_settings.html", context, status=status)


@login_required
def incident_type_edit(request: HttpRequest, type_slug: str) -> HttpResponse:
    """Edit a type (POST with `save_type`) or add a custom field to it (POST with `add_field`)."""
    _guard(request)
    row = _type_or_404(type_slug)
    posted = request.POST if request.method == "POST" else None
    editing = posted is not None and "add_field" not in posted
    form = IncidentTypeForm(posted if editing else None, initial=_type_initial(row))
    field_form = CustomFieldForm(posted if posted is not None and not editing else None)
    if posted is None:
        return _type_page(request, row, form, field_form, 200)
    if editing and form.is_valid():
        try:
            saved = type_services.incident_type_save(
                actor=request.user, incident_type=row, **form.cleaned_data
            )
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, f"Type {saved.name} saved.")
            return redirect("incidents:incident_type_edit", type_slug=saved.slug)
    elif not editing and field_form.is_valid():
        try:
            field = type_services.custom_field_save(
                actor=request.user, incident_type=row, **field_form.cleaned_data
            )
        except ValidationError as exc:
            add_form_errors(field_form, exc)
        else:
            messages.success(request, f"Field {field.label} added.")
            return redirect("incidents:incident_type_edit", type_slug=row.slug)
    return _type_page(request, row, form, field_form, 400)


@login_required
def custom_field_edit(request: HttpRequest, type_slug: str, field_id: int) -> HttpResponse:
    """Edit one custom field of a type."""
    _guard(request)
    row = _type_or_404(type_slug)
    field = CustomField.objects.filter(pk=field_id, incident_type=row).first()
    if field is None:
        raise Http404("No such field.")
    initial = {
        "label": field.label, "key": field.key, "kind": field.kind, "options": "\n".join(field.options),
        "required": field.required, "help_text": field.help_text, "position": field.position,
    }  # fmt: skip
    form = CustomFieldForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                type_services.custom_field_save(
                    actor=request.user, incident_type=row, field=field, **form.cleaned_data
                )
            except ValidationError as exc:
                add_form_errors(form, exc)
            else:
                messages.success(request, "Field saved.")
                return redirect("incidents:incident_type_edit", type_slug=row.slug)
        status = 400
    context = {
        "title": f"{row.name}: field {field.label}", "rows": None, "form": form,
        "form_title": "Edit", "submit": "Save",
    }  # fmt: skip
    return render(request, "incidents/settings_page.html", context, status=status)
