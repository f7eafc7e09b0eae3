"""Process rules: the settings pages (admins) and waiving a required postmortem on the incident page.
Views parse, call one service or selector, and render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from incidents.errors import save_form
from incidents.incident import process, selectors
from incidents.incident.services import process as process_services
from incidents.incident.services.types import TYPE_MESSAGE
from incidents.incident.type_forms import ProcessRuleForm, WaiverForm
from incidents.incident.views import post_action
from incidents.models import IncidentType, ProcessRule, Severity
from incidents.permissions.checks import require_page, require_waive_postmortem
from incidents.permissions.roles import can_manage_incident_types, can_manage_settings

#: The URL's name for the rules of every type without its own.
ANY_TYPE = "any"


def _guard(request: HttpRequest) -> None:
    require_page(can_manage_settings(request.user), "Only team leads and admins change settings.")
    require_page(can_manage_incident_types(request.user), TYPE_MESSAGE)


def _rule_cells(rule: ProcessRule) -> list[str]:
    sections = ", ".join(process.SECTION_LABELS.get(k, k) for k in rule.required_sections)
    return [
        f"required, due {rule.postmortem_due_days} business days after resolve"
        if rule.postmortem_required
        else "—",
        sections or "—",
        "yes" if rule.questions_required else "—",
        "set" if rule.pk else "default",
    ]


@login_required
def process_rule_list(request: HttpRequest) -> HttpResponse:
    """Every type (and "any type") at every severity with the rule that applies (admins)."""
    _guard(request)
    kinds: list[IncidentType | None] = [None, *IncidentType.objects.filter(archived=False)]
    rules = process.rules_for((k.pk if k else None, s) for k in kinds for s in Severity.values)
    rows = [
        {
            "cells": [
                k.name if k else "Any type (without its own rule)",
                s,
                *_rule_cells(rules[(k.pk if k else None, s)]),
            ],
            "edit_url": reverse("incidents:process_rule_edit", args=[k.slug if k else ANY_TYPE, s]),
        }
        for k in kinds
        for s in Severity.values
    ]
    context = {
        "title": "Process rules",
        "intro": "What an incident must go through after it is resolved, per type and severity: a postmortem "
        "due some days after the resolution, sections and the detection and change questions answered "
        "before review, and no closing until the postmortem is published or waived. Without a rule of "
        "its own a type follows the 'Any type' rule; without that, SEV1 and SEV2 require a postmortem.",
        "headers": [
            "Type",
            "Severity",
            "Postmortem",
            "Sections before review",
            "Questions before review",
            "Rule",
        ],
        "rows": rows,
        "form": None,
    }
    return render(request, "incidents/settings_page.html", context)


@login_required
def process_rule_edit(request: HttpRequest, type_slug: str, severity: str) -> HttpResponse:
    """Set the rule for a type (or `any`) at a severity (admins)."""
    _guard(request)
    kind = None if type_slug == ANY_TYPE else IncidentType.objects.filter(slug=type_slug).first()
    if (kind is None and type_slug != ANY_TYPE) or severity not in Severity.values:
        raise Http404("No such rule.")
    rule = process.rules_for([(kind.pk if kind else None, severity)])[(kind.pk if kind else None, severity)]
    initial = {
        "postmortem_required": rule.postmortem_required, "postmortem_due_days": rule.postmortem_due_days,
        "required_sections": rule.required_sections, "questions_required": rule.questions_required,
    }  # fmt: skip
    form = ProcessRuleForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        saved = save_form(
            request,
            form,
            lambda data: process_services.process_rule_save(
                actor=request.user, incident_type=kind, severity=severity, **data
            ),
            success=f"Rule for {kind.name if kind else 'any type'} {severity} saved.",
            then=lambda _: redirect("incidents:process_rule_list"),
        )
        if saved:
            return saved
        status = 400
    context = {
        "title": f"Process rule: {kind.name if kind else 'any type'}, {severity}",
        "rows": None, "form": form, "form_title": "Rule", "submit": "Save rule",
    }  # fmt: skip
    return render(request, "incidents/settings_page.html", context, status=status)


@login_required
@require_POST
def incident_postmortem_waive(request: HttpRequest, number: int) -> HttpResponse:
    """Waive the incident's required postmortem with a reason (admins, leads of its teams)."""
    incident = selectors.incident_get_for(request.user, number)
    require_waive_postmortem(request.user, incident)  # before the form: a reader learns nothing from it
    return post_action(
        request,
        WaiverForm(request.POST),
        lambda data: process_services.incident_postmortem_waive(
            incident=incident, actor=request.user, reason=data["reason"]
        ),
        invalid="Say why this incident needs no postmortem.",
        success="Postmortem waived.",
        back=redirect("incidents:detail", number=incident.number),
    )
