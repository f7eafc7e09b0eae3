from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from incidents.csv import csv_download
from incidents.errors import add_form_errors
from incidents.followup import selectors as sel
from incidents.followup.forms import (
    AcceptRiskForm,
    FindingFilters,
    FindingForm,
    FindingTransitionForm,
    SeenAgainForm,
    VerifyForm,
)
from incidents.followup.services import findings as services_findings
from incidents.followup.views.common import DetailPage, EditPage, versioned_view
from incidents.followup.views.items import DETAIL_HISTORY, LIST_PAGE_SIZE, _int, _record_export
from incidents.history import history_for
from incidents.incident import selectors
from incidents.models import (
    FindingStatus,
    PolicyFinding,
)
from incidents.paging import page_of
from incidents.permissions.checks import (
    require_accept_finding_risk,
    require_edit_finding,
    require_move_finding,
    require_page,
    require_verify_finding,
)
from incidents.permissions.followup import (
    can_accept_finding_risk,
    can_create_finding,
    can_edit_finding,
    can_move_finding,
    can_verify_finding,
    has_owned_finding,
)

# --- Policy findings -----------------------------------------------------------------------------------


def _finding_filters(request: HttpRequest) -> tuple[FindingFilters, dict[str, Any]]:
    filters = FindingFilters(request.GET or None)
    criteria: dict[str, Any] = {}
    if filters.is_valid():
        criteria = {k: v for k, v in filters.cleaned_data.items() if v}
    return filters, criteria


@login_required
def finding_list(request: HttpRequest) -> HttpResponse:
    """The findings register: filters (area, status, risk, owner, overdue), counts and pagination."""
    filters, criteria = _finding_filters(request)
    qs = sel.finding_list_for(request.user, **criteria)
    counts = sel.finding_counts_for(request.user, qs)
    page = page_of(qs, LIST_PAGE_SIZE, request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "counts": counts,
        "status_counts": [(s, FindingStatus(s).label, counts[f"status_{s}"]) for s in FindingStatus.values],
        "query": query.urlencode(),
        "can_create": can_create_finding(request.user),
    }
    return render(request, "incidents/followup/finding_list.html", context)


@login_required
def finding_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_page(can_create_finding(user), "Only responders, team leads and admins open policy findings.")
    source = request.POST if request.method == "POST" else request.GET
    incident = None
    if number := _int(source.get("incident")):
        incident = selectors.incident_get_for(user, number)
    form = FindingForm(request.POST or None, user=user, incidents=[incident] if incident else [])
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in FindingForm.FIELDS}
        try:
            finding = services_findings.policy_finding_create(
                actor=user, incidents=[incident] if incident else [], **data
            )
        except ValidationError as exc:
            add_form_errors(form, exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, "Policy finding opened.")
            return redirect("incidents:finding_detail", finding_id=finding.pk)
    return render(request, "incidents/followup/finding_form.html", {"form": form, "incident": incident})


def _finding_context(request: HttpRequest, finding: PolicyFinding, **extra: Any) -> dict[str, Any]:
    user = request.user
    can_edit = can_edit_finding(user, finding)
    can_move = can_move_finding(user, finding)
    next_statuses = (
        sorted(services_findings.FINDING_TRANSITIONS.get(finding.status, set())) if can_move else []
    )
    return {
        "finding": finding,
        "history": history_for(finding, limit=DETAIL_HISTORY, viewer=request.user),
        "items": list(
            sel.action_item_list_for(user).filter(finding=finding).order_by("status", "due_date", "id")
        ),
        "can_edit": can_edit,
        "can_verify": finding.status == FindingStatus.REMEDIATED and can_verify_finding(user, finding),
        "is_owner": has_owned_finding(user, finding),
        "can_accept_risk": finding.status in services_findings.RISK_ACCEPTABLE_FROM
        and can_accept_finding_risk(user, finding),
        "can_add_item": can_edit,
        "next_statuses": [(s, FindingStatus(s).label) for s in next_statuses],
        "transition_form": extra.pop("transition_form", None)
        or FindingTransitionForm(initial={"version": finding.version}),
        "verify_form": extra.pop("verify_form", None) or VerifyForm(initial={"version": finding.version}),
        "risk_form": extra.pop("risk_form", None) or AcceptRiskForm(initial={"version": finding.version}),
        "seen_form": SeenAgainForm(),
        "open_items_warning": sel.finding_open_items_warning(user, finding)
        if FindingStatus.CLOSED in next_statuses
        else "",
        **extra,
    }


FINDING_PAGE = DetailPage("finding", "finding_id", sel.finding_get_for, _finding_context)


@login_required
def finding_detail(request: HttpRequest, finding_id: int) -> HttpResponse:
    return FINDING_PAGE.show(request, finding_id)


finding_edit = EditPage(
    FINDING_PAGE,
    "finding",
    FindingForm,
    can_edit_finding,
    services_findings.policy_finding_update,
    "Finding saved.",
    form_kwargs=lambda user, finding: {"user": user, "finding": finding},
).view()
finding_transition = versioned_view(
    FINDING_PAGE, FindingTransitionForm, "transition_form", services_findings.policy_finding_transition,
    "finding", ("status", "note", "close_with_open_items"), check=require_move_finding, done="Status changed.",
)  # fmt: skip
finding_verify = versioned_view(
    FINDING_PAGE, VerifyForm, "verify_form", services_findings.policy_finding_verify, "finding",
    ("evidence",), check=require_verify_finding, done="Finding verified.",
)  # fmt: skip
finding_accept_risk = versioned_view(
    FINDING_PAGE, AcceptRiskForm, "risk_form", services_findings.policy_finding_accept_risk, "finding",
    ("until", "reason"), check=require_accept_finding_risk, done="Risk accepted.",
)  # fmt: skip


@login_required
@require_POST
def finding_seen_again(request: HttpRequest, finding_id: int) -> HttpResponse:
    finding = sel.finding_get_for(request.user, finding_id)
    require_edit_finding(request.user, finding)  # linking an incident changes the finding: its editors only
    form = SeenAgainForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Type the incident's number (for INC-42, 42).")
        return redirect("incidents:finding_detail", finding_id=finding.pk)
    try:
        incident = selectors.incident_get_for(request.user, form.cleaned_data["incident"])
    except Http404:
        messages.error(request, f"There is no incident INC-{form.cleaned_data['incident']} you can see.")
        return redirect("incidents:finding_detail", finding_id=finding.pk)
    try:
        services_findings.policy_finding_seen_again(finding=finding, incident=incident, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("incidents:finding_detail", finding_id=finding.pk)
    messages.success(request, f"Linked to {incident.reference}.")
    return redirect("incidents:finding_detail", finding_id=finding.pk)


FINDING_CSV_HEADER = (
    "id", "title", "area", "status", "risk", "owner", "owner_email", "verifier", "team", "due_date",
    "overdue", "incidents", "description", "evidence", "verified_by", "verified_at",
    "verification_evidence", "risk_accepted_by", "risk_accepted_until", "risk_acceptance_reason",
    "created_at", "closed_at", "version",
)  # fmt: skip


@login_required
def finding_export(request: HttpRequest) -> StreamingHttpResponse:
    """CSV of the findings the viewer may see, with the register's filters; only visible incidents listed."""
    _, criteria = _finding_filters(request)
    rows = []
    for f in sel.export_findings_for(request.user, **criteria):
        rows.append(
            (
                f.pk, f.title, f.get_area_display(), f.get_status_display(), f.get_risk_display(),
                f.owner.name if f.owner else "", f.owner.email if f.owner else "",
                f.verifier.name if f.verifier else "", f.team.name if f.team else "", f.due_date,
                f.is_overdue, " ".join(i.reference for i in f.incidents.all()), f.description, f.evidence,
                f.verified_by.name if f.verified_by else "", f.verified_at, f.verification_evidence,
                f.risk_accepted_by.name if f.risk_accepted_by else "", f.risk_accepted_until,
                f.risk_acceptance_reason, f.created_at, f.closed_at, f.version,
            )
        )  # fmt: skip
    _record_export(request, "policy_findings", len(rows))
    return csv_download("policy-findings.csv", FINDING_CSV_HEADER, rows)
