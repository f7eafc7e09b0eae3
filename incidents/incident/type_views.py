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

from incidents.errors import add_form_errors, save_form
from incidents.incident import selectors
from incidents.incident.custom_values import field_values
from incidents.incident.services import custom_values as custom_services
from incidents.incident.services import types as type_services
from incidents.incident.services.common import IncidentConflict
from incidents.incident.type_forms import (
    CustomFieldForm,
    CustomFieldsForm,
    IncidentTypeForm,
    custom_form_initial,
    custom_form_values,
)
from incidents.models import CustomField, Incident, IncidentType
from incidents.permissions.checks import require_page
from incidents.permissions.incident import can_record
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
        "runbook_tasks": row.runbook_tasks,
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
        saved = save_form(
            request,
            form,
            lambda data: type_services.incident_type_save(actor=request.user, **data),
            success=lambda row: f"Type {row.name} added; now add the fields it asks for.",
            then=lambda row: redirect("incidents:incident_type_edit", type_slug=row.slug),
        )
        return saved or _list_page(request, form, status=400)
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
    if editing:
        saved = save_form(
            request,
            form,
            lambda data: type_services.incident_type_save(actor=request.user, incident_type=row, **data),
            success=lambda kind: f"Type {kind.name} saved.",
            then=lambda kind: redirect("incidents:incident_type_edit", type_slug=kind.slug),
        )
    else:
        saved = save_form(
            request,
            field_form,
            lambda data: type_services.custom_field_save(actor=request.user, incident_type=row, **data),
            success=lambda field: f"Field {field.label} added.",
            then=lambda _: redirect("incidents:incident_type_edit", type_slug=row.slug),
        )
    return saved or _type_page(request, row, form, field_form, 400)


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
        saved = save_form(
            request,
            form,
            lambda data: type_services.custom_field_save(
                actor=request.user, incident_type=row, field=field, **data
            ),
            success="Field saved.",
            then=lambda _: redirect("incidents:incident_type_edit", type_slug=row.slug),
        )
        if saved:
            return saved
        status = 400
    context = {
        "title": f"{row.name}: field {field.label}", "rows": None, "form": form,
        "form_title": "Edit", "submit": "Save",
    }  # fmt: skip
    return render(request, "incidents/settings_page.html", context, status=status)


# --- An incident's custom field values (those who may record on it) ------------------------------------


@login_required
def incident_custom_fields(request: HttpRequest, number: int) -> HttpResponse:
    """Edit the custom field values of an incident's type, at the version the form showed: a save over
    someone else's change answers 409 with the form as typed and the current values beside it."""
    incident = selectors.incident_get_for(request.user, number)
    require_page(can_record(request.user, incident), "Only people who may record on the incident edit it.")
    values = field_values(incident)  # none without a type: the page says so, a save is refused (400)
    fields = [fv.field for fv in values]
    people = selectors.people_to_pick(request.user, incident.number)
    initial = {**custom_form_initial(values), "version": incident.version}
    form = CustomFieldsForm(request.POST or None, initial=initial, fields=fields, people=people)
    status, current = 200, None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                custom_services.incident_custom_fields_set(
                    incident=incident,
                    actor=request.user,
                    values=custom_form_values(fields, form.cleaned_data),
                    expected_version=form.cleaned_data["version"],
                )
            except ValidationError as exc:
                add_form_errors(form, exc)
            except IncidentConflict:
                status = 409
                current = field_values(selectors.incident_get_for(request.user, number))
                form.add_error(None, "Not saved: someone changed this incident meanwhile. Their values are "
                               "beside yours; save again to keep yours.")  # fmt: skip
                data = request.POST.copy()
                data["version"] = str(Incident.objects.get(pk=incident.pk).version)
                form.data = data
            else:
                messages.success(request, "Fields saved.")
                return redirect("incidents:detail", number=incident.number)
    context = {"incident": incident, "form": form, "current": current}
    return render(request, "incidents/incident/custom_fields.html", context, status=status)
