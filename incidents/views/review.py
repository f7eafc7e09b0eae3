"""Blameless review pages: the postmortem, its editor, review, versions, exports, factors and meeting mode.

Views parse input, call one service or selector and render. Anything a user may not see is a 404.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import permissions as perms
from incidents import blameless, selectors
from incidents.markdown import render_markdown
from incidents.models import (
    POSTMORTEM_SECTIONS,
    ContributingFactor,
    Incident,
    Postmortem,
    PostmortemTemplate,
    Severity,
)
from incidents.review_forms import (
    DecisionForm,
    DismissForm,
    FactorForm,
    ImportForm,
    MeetingForm,
    PostmortemEditForm,
    PostmortemStartForm,
    PreviewForm,
    QuestionsForm,
    QuickActionForm,
    QuickFactorForm,
    ReasonForm,
    RequestReviewForm,
)
from incidents.services import postmortem as document
from incidents.services import review as svc


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _apply(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errs in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, exc.messages)


def _get(request: HttpRequest, number: int) -> tuple[Incident, Postmortem]:
    incident = selectors.incident_get_for(request.user, number)
    pm = selectors.postmortem_for(incident)
    if pm is None:
        raise Http404("This incident has no postmortem yet.")
    pm.incident = incident
    return incident, pm


def _back(number: int, anchor: str = "") -> HttpResponse:
    return redirect(reverse("incidents:postmortem", args=[number]) + anchor)


def _permissions(user: Any, pm: Postmortem, current_author_id: int | None) -> dict[str, bool]:
    return {
        "can_edit": perms.can_edit_postmortem(user, pm),
        "can_request_review": perms.can_request_review(user, pm),
        "can_approve": perms.can_approve_postmortem(user, pm, current_author_id=current_author_id),
        "can_publish": perms.can_publish_postmortem(user, pm),
        "can_reopen": perms.can_reopen_postmortem(user, pm),
    }


# --- The document -------------------------------------------------------------------------------------


@login_required
def postmortem_detail(request: HttpRequest, number: int) -> HttpResponse:
    incident = selectors.incident_get_for(request.user, number)
    pm = selectors.postmortem_for(incident)
    if pm is None:
        can_start = perms.can_record(request.user, incident)
        default = "Lightweight" if incident.severity in (Severity.SEV3, Severity.SEV4) else "Full"
        form = PostmortemStartForm(
            initial={"template": PostmortemTemplate.objects.filter(name=default).first()}
        )
        return render(
            request,
            "incidents/postmortem_start.html",
            {"incident": incident, "form": form, "can_start": can_start},
        )
    pm.incident = incident
    doc = document.assemble(pm)
    versions = list(pm.versions.select_related("author").order_by("-number"))
    current_author = versions[0].author_id if versions else None
    reviews = selectors.postmortem_reviews_for(pm)
    allowed = _permissions(request.user, pm, current_author)
    findings = (
        [f for f in svc.postmortem_blameless_findings(pm) if not f.dismissed]
        if allowed["can_edit"] or allowed["can_approve"]
        else []
    )
    context = {
        "incident": incident,
        "pm": pm,
        "doc": doc,
        "sections": [
            (k, label, pm.sections.get(k, "")) for k, label in POSTMORTEM_SECTIONS if pm.sections.get(k)
        ],
        "versions": versions,
        "reviews": reviews,
        "findings": findings,
        "questions_form": QuestionsForm(initial=QuestionsForm.initial_for(pm)),
        "review_form": RequestReviewForm(exclude=pm.author_id),
        "decision_form": DecisionForm(initial={"version": pm.version}),
        "reason_form": ReasonForm(),
        **allowed,
    }
    return render(request, "incidents/postmortem.html", context)


@login_required
@require_POST
def postmortem_start(request: HttpRequest, number: int) -> HttpResponse:
    incident = selectors.incident_get_for(request.user, number)
    if not perms.can_record(request.user, incident):
        raise Http404
    form = PostmortemStartForm(request.POST)
    template = form.cleaned_data["template"] if form.is_valid() else None
    svc.postmortem_start(incident=incident, actor=request.user, template=template)
    messages.success(request, "Postmortem started.")
    return redirect("incidents:postmortem_edit", number=number)


def _edit_form(
    request: HttpRequest, number: int, data: Any = None, initial: Any = None
) -> PostmortemEditForm:
    return PostmortemEditForm(
        data, initial=initial, preview_url=reverse("incidents:postmortem_preview", args=[number])
    )


@login_required
def postmortem_edit(request: HttpRequest, number: int) -> HttpResponse:
    incident, pm = _get(request, number)
    if not perms.can_edit_postmortem(request.user, pm):
        raise Http404
    if request.method == "POST":
        form = _edit_form(request, number, request.POST)
        if form.is_valid():
            try:
                svc.postmortem_save(
                    postmortem=pm,
                    actor=request.user,
                    sections=form.sections(),
                    expected_version=form.cleaned_data["version"],
                )
            except svc.PostmortemConflict as exc:
                current = exc.current
                fresh = _edit_form(request, number, initial={**exc.submitted, "version": current.version})
                rows = [
                    (
                        fresh[k],
                        current.sections.get(k, ""),
                        exc.submitted.get(k, "") != current.sections.get(k, ""),
                    )
                    for k, _ in POSTMORTEM_SECTIONS
                ]
                return render(
                    request,
                    "incidents/postmortem_edit.html",
                    {"incident": incident, "pm": current, "form": fresh, "rows": rows, "conflict": str(exc)},
                    status=409,
                )
            except ValidationError as exc:
                _apply(form, exc)
            else:
                messages.success(request, "Postmortem saved.")
                return _back(number)
    else:
        form = _edit_form(request, number, initial={**pm.sections, "version": pm.version})
    rows = [(form[k], None, False) for k, _ in POSTMORTEM_SECTIONS]
    return render(
        request,
        "incidents/postmortem_edit.html",
        {"incident": incident, "pm": pm, "form": form, "rows": rows},
    )


@login_required
@require_POST
def postmortem_preview(request: HttpRequest, number: int) -> HttpResponse:
    """HTMX: the section's Markdown rendered through `render_markdown`, with the blameless findings."""
    incident, pm = _get(request, number)
    if not perms.can_edit_postmortem(request.user, pm):
        raise Http404
    form = PreviewForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Unknown section.", status=400)
    key = form.cleaned_data["section"]
    text = request.POST.get(key, "")
    dismissed = pm.blameless_dismissals.values_list("section", "rule", "text")
    findings = blameless.check_sections({key: text}, names=blameless.system_names(), dismissed=dismissed)
    return render(
        request,
        "incidents/_postmortem_preview.html",
        {
            "html": render_markdown(text),
            "findings": [f for f in findings if not f.dismissed],
            "incident": incident,
            "pm": pm,
        },
    )


@login_required
@require_POST
def postmortem_questions(request: HttpRequest, number: int) -> HttpResponse:
    incident, pm = _get(request, number)
    if not perms.can_edit_postmortem(request.user, pm):
        raise Http404
    form = QuestionsForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "Check the answers: "
            + "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items()),
        )
        return _back(number, "#questions")
    had_finding = pm.access_finding_id is not None
    try:
        pm = svc.postmortem_answer_questions(postmortem=pm, actor=request.user, **form.answers())
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, "Answers saved.")
        if pm.access_finding_id and not had_finding:
            messages.warning(
                request,
                "One person could make this change alone: a draft access-control policy finding was opened.",
            )
    return _back(number, "#questions")


@login_required
@require_POST
def postmortem_request_review(request: HttpRequest, number: int) -> HttpResponse:
    incident, pm = _get(request, number)
    if not perms.can_request_review(request.user, pm):
        raise Http404
    form = RequestReviewForm(request.POST, exclude=pm.author_id)
    if not form.is_valid():
        messages.error(request, "Choose at least one reviewer.")
        return _back(number, "#review")
    try:
        pm, findings = svc.postmortem_request_review(
            postmortem=pm, actor=request.user, reviewers=form.cleaned_data["reviewers"]
        )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, "Review requested.")
        if findings:
            rules = sorted({f.rule for f in findings})
            messages.warning(
                request,
                f"The blameless check found {len(findings)} wording(s) to look at ({', '.join(rules)}). "
                "They are listed on this page; rewrite them or dismiss each with a reason.",
            )
    return _back(number, "#review")


@login_required
@require_POST
def postmortem_decide(request: HttpRequest, number: int) -> HttpResponse:
    incident, pm = _get(request, number)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Approve or request changes.")
        return _back(number, "#review")
    try:
        svc.postmortem_review_decide(
            postmortem=pm,
            actor=request.user,
            decision=form.cleaned_data["decision"],
            comment=form.cleaned_data["comment"],
            expected_version=form.cleaned_data["version"],
        )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, "Decision recorded.")
    return _back(number, "#review")


@login_required
@require_POST
def postmortem_publish(request: HttpRequest, number: int) -> HttpResponse:
    incident, pm = _get(request, number)
    try:
        svc.postmortem_publish(postmortem=pm, actor=request.user)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, "Postmortem published.")
    return _back(number)


@login_required
@require_POST
def postmortem_reopen(request: HttpRequest, number: int) -> HttpResponse:
    incident, pm = _get(request, number)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the postmortem is reopened.")
        return _back(number)
    try:
        svc.postmortem_reopen(postmortem=pm, actor=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, "Postmortem reopened as a draft.")
    return _back(number)


@login_required
@require_POST
def blameless_dismiss(request: HttpRequest, number: int) -> HttpResponse:
    incident, pm = _get(request, number)
    if not (perms.can_edit_postmortem(request.user, pm) or perms.can_approve_postmortem(request.user, pm)):
        raise Http404
    form = DismissForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason to dismiss the finding.")
    else:
        svc.blameless_dismiss(postmortem=pm, actor=request.user, **form.cleaned_data)
        messages.success(request, "Finding dismissed.")
    return _back(number, "#blameless")


# --- Versions -----------------------------------------------------------------------------------------


@login_required
def postmortem_diff(request: HttpRequest, number: int) -> HttpResponse:
    incident, pm = _get(request, number)
    versions = list(pm.versions.select_related("author").order_by("number"))
    numbers = [v.number for v in versions]
    try:
        a = int(request.GET.get("a") or (numbers[-2] if len(numbers) > 1 else numbers[0]))
        b = int(request.GET.get("b") or numbers[-1])
    except (ValueError, IndexError):
        return HttpResponse("Give two version numbers, for example ?a=1&b=3.", status=400)
    by_number = {v.number: v for v in versions}
    if a not in by_number or b not in by_number:
        return render(
            request,
            "incidents/postmortem_diff.html",
            {
                "incident": incident,
                "pm": pm,
                "versions": versions,
                "error": f"Version {a if a not in by_number else b} does not exist.",
            },
            status=400,
        )
    diff = document.version_diff(
        by_number[a].sections, by_number[b].sections, a_label=f"v{a}", b_label=f"v{b}"
    )
    return render(
        request,
        "incidents/postmortem_diff.html",
        {
            "incident": incident,
            "pm": pm,
            "versions": versions,
            "a": by_number[a],
            "b": by_number[b],
            "diff": diff,
        },
    )


@login_required
def postmortem_version(request: HttpRequest, number: int) -> HttpResponse:
    """One kept version (`?n=3`; the latest when `n` is missing). An unknown number is a 404."""
    incident, pm = _get(request, number)
    versions = pm.versions.select_related("author")
    raw = request.GET.get("n", "")
    if raw and not raw.isdigit():
        return HttpResponse("Give a version number, for example ?n=3.", status=400)
    v = get_object_or_404(versions, number=int(raw)) if raw else versions.order_by("-number").first()
    sections = [
        (k, label, v.sections.get(k, "")) for k, label in POSTMORTEM_SECTIONS if v and v.sections.get(k)
    ]
    return render(
        request,
        "incidents/postmortem_version.html",
        {"incident": incident, "pm": pm, "v": v, "sections": sections},
    )


# --- Exports and import -------------------------------------------------------------------------------


IMPORT_MAX_BYTES = 2_000_000


def _filename(incident: Incident, ext: str) -> str:
    return f"{incident.reference}-postmortem.{ext}"


def _record_export(request: HttpRequest, incident: Incident, ext: str) -> None:
    """Every download of a postmortem is a security event (who, what, when, from where)."""
    from accounts.models import SecurityEvent
    from accounts.security import security_event_record

    security_event_record(
        kind=SecurityEvent.Kind.EXPORT, actor=request.user, target=_filename(incident, ext), request=request
    )


@login_required
def postmortem_export_markdown(request: HttpRequest, number: int) -> HttpResponse:
    incident, pm = _get(request, number)
    _record_export(request, incident, "md")
    response = HttpResponse(document.export_markdown(pm), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(incident, "md")}"'
    return response


@login_required
def postmortem_export_json(request: HttpRequest, number: int) -> HttpResponse:
    incident, pm = _get(request, number)
    _record_export(request, incident, "json")
    response = JsonResponse(document.export_json(pm), json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{_filename(incident, "json")}"'
    return response


def _print_context(pm: Postmortem) -> dict[str, Any]:
    doc = document.assemble(pm)
    sections = [
        (k, label, document.clean_source(pm.sections.get(k, "")))
        for k, label in POSTMORTEM_SECTIONS
        if pm.sections.get(k)
    ]
    return {"incident": pm.incident, "pm": pm, "doc": doc, "sections": sections}


@login_required
def postmortem_print(request: HttpRequest, number: int) -> HttpResponse:
    incident, pm = _get(request, number)
    return render(request, "incidents/postmortem_print.html", _print_context(pm))


@login_required
def postmortem_export_pdf(request: HttpRequest, number: int) -> HttpResponse:
    incident, pm = _get(request, number)
    html = render_to_string(
        "incidents/postmortem_print.html", {**_print_context(pm), "pdf": True}, request=request
    )
    try:
        pdf = document.render_pdf(html)
    except document.PdfUnavailable as exc:
        return render(
            request,
            "incidents/postmortem_pdf_error.html",
            {"incident": incident, "error": str(exc)},
            status=503,
        )
    _record_export(request, incident, "pdf")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(incident, "pdf")}"'
    return response


@login_required
def postmortem_import(request: HttpRequest, number: int) -> HttpResponse:
    incident, pm = _get(request, number)
    if not perms.can_edit_postmortem(request.user, pm):
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None, initial={"version": pm.version})
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            form.add_error("file", f"The file is larger than {IMPORT_MAX_BYTES // 1_000_000} MB.")
            return render(
                request,
                "incidents/postmortem_import.html",
                {"incident": incident, "pm": pm, "form": form},
                status=400,
            )
        try:
            raw = upload.read().decode("utf-8")
            if upload.name.lower().endswith(".json"):
                try:
                    imported = document.import_json(json.loads(raw))
                except json.JSONDecodeError as exc:
                    raise ValidationError(
                        {"file": f"Not valid JSON: {exc.msg} (line {exc.lineno})."}
                    ) from exc
            else:
                imported = document.import_markdown(raw)
            svc.postmortem_save(
                postmortem=pm,
                actor=request.user,
                sections=imported.sections,
                expected_version=form.cleaned_data["version"],
                note=f"imported from {upload.name[:100]}",
            )
        except UnicodeDecodeError:
            form.add_error("file", "The file is not UTF-8 text.")
        except svc.PostmortemConflict as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            _apply(form, exc)
        else:
            messages.success(request, "Postmortem imported as a new version.")
            return _back(number)
    return render(
        request,
        "incidents/postmortem_import.html",
        {"incident": incident, "pm": pm, "form": form},
        status=400 if form.errors else 200,
    )


# --- Contributing factors -----------------------------------------------------------------------------


def _factor_form(
    request: HttpRequest, incident: Incident, data: Any = None, initial: Any = None
) -> FactorForm:
    return FactorForm(
        data,
        initial=initial,
        incident=incident,
        visible_incidents=perms.incidents_visible_to(request.user),
    )


def _factor_kwargs(form: FactorForm) -> dict[str, Any]:
    d = form.cleaned_data
    return {
        "category": d["category"],
        "title": d["title"],
        "description": d["description"],
        "evidence_entries": list(d["evidence_entries"]),
        "missing_test_types": d["missing_test_types"],
        "recurrence_of": d["recurrence_of"],
    }


@login_required
def factor_add(request: HttpRequest, number: int) -> HttpResponse:
    incident = selectors.incident_get_for(request.user, number)
    if not perms.can_record(request.user, incident):
        raise Http404
    form = _factor_form(request, incident, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            factor = svc.factor_create(incident=incident, actor=request.user, **_factor_kwargs(form))
            svc.factor_link_action_items(
                factor=factor, actor=request.user, items=form.cleaned_data["action_items"]
            )
        except ValidationError as exc:
            _apply(form, exc)
        else:
            messages.success(request, "Contributing factor recorded.")
            if selectors.postmortem_for(incident) is None:
                return redirect("incidents:detail", number=number)
            return redirect(reverse("incidents:postmortem", args=[number]) + "#factors")
    return render(
        request,
        "incidents/factor_form.html",
        {"incident": incident, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def factor_edit(request: HttpRequest, number: int, factor_id: int) -> HttpResponse:
    incident = selectors.incident_get_for(request.user, number)
    if not perms.can_record(request.user, incident):
        raise Http404
    factor = get_object_or_404(ContributingFactor, pk=factor_id, incident=incident)
    initial = {
        "category": factor.category,
        "title": factor.title,
        "description": factor.description,
        "evidence_entries": list(factor.evidence_entries.values_list("pk", flat=True)),
        "missing_test_types": factor.missing_test_types,
        "recurrence_of": factor.recurrence_of_id,
        "action_items": list(factor.action_items.values_list("pk", flat=True)),
    }
    form = _factor_form(request, incident, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            svc.factor_update(factor=factor, actor=request.user, **_factor_kwargs(form))
            svc.factor_link_action_items(
                factor=factor, actor=request.user, items=form.cleaned_data["action_items"]
            )
        except ValidationError as exc:
            _apply(form, exc)
        else:
            messages.success(request, "Contributing factor saved.")
            return redirect(reverse("incidents:postmortem", args=[number]) + "#factors")
    return render(
        request,
        "incidents/factor_form.html",
        {"incident": incident, "form": form, "factor": factor},
        status=400 if form.errors else 200,
    )


# --- Meeting mode -------------------------------------------------------------------------------------


def _meeting_parts(pm: Postmortem) -> dict[str, Any]:
    doc = document.assemble(pm)
    return {
        "doc": doc,
        "factor_form": QuickFactorForm(),
        "action_form": QuickActionForm(incident=pm.incident),
    }


@login_required
def meeting(request: HttpRequest, number: int) -> HttpResponse:
    incident, pm = _get(request, number)
    can_edit = perms.can_edit_postmortem(request.user, pm)
    initial = {
        "meeting_at": pm.meeting_at,
        "attendees": list(pm.meeting_attendees.values_list("pk", flat=True)),
        "open_questions": pm.open_questions,
        "notes": pm.meeting_notes,
    }
    form = MeetingForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not can_edit:
            raise Http404
        if form.is_valid():
            d = form.cleaned_data
            try:
                svc.postmortem_meeting_update(
                    postmortem=pm,
                    actor=request.user,
                    meeting_at=d["meeting_at"],
                    attendees=d["attendees"],
                    notes=d["notes"],
                    open_questions=d["open_questions"],
                )
            except ValidationError as exc:
                _apply(form, exc)
            else:
                messages.success(request, "Meeting saved.")
                return redirect("incidents:meeting", number=number)
    context = {"incident": incident, "pm": pm, "form": form, "can_edit": can_edit, **_meeting_parts(pm)}
    return render(request, "incidents/meeting.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def meeting_factor(request: HttpRequest, number: int) -> HttpResponse:
    """HTMX quick capture of a contributing factor; returns the refreshed factor list."""
    incident, pm = _get(request, number)
    if not perms.can_edit_postmortem(request.user, pm):
        raise Http404
    form = QuickFactorForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            svc.factor_create(incident=incident, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            error = _errors(exc)
    else:
        error = "Choose a category and give the factor a title."
    parts = _meeting_parts(pm)
    status = 400 if error else 200
    if not request.headers.get("HX-Request"):
        if error:
            messages.error(request, error)
        return redirect("incidents:meeting", number=number)
    return render(
        request,
        "incidents/_meeting_capture.html",
        {"incident": incident, "pm": pm, "error": error, "can_edit": True, **parts},
        status=status,
    )


@login_required
@require_POST
def meeting_action(request: HttpRequest, number: int) -> HttpResponse:
    """HTMX quick capture of an action item (optionally linked to a factor); returns the refreshed lists."""
    incident, pm = _get(request, number)
    if not perms.can_edit_postmortem(request.user, pm):
        raise Http404
    form = QuickActionForm(request.POST, incident=incident)
    error = ""
    if form.is_valid():
        d = form.cleaned_data
        try:
            svc.action_item_quick_add(
                incident=incident,
                actor=request.user,
                title=d["title"],
                factor=d["factor"],
                type=d["type"],
                due_date=d["due_date"],
            )
        except ValidationError as exc:
            error = _errors(exc)
    else:
        error = "Say what should be done."
    parts = _meeting_parts(pm)
    if not request.headers.get("HX-Request"):
        if error:
            messages.error(request, error)
        return redirect("incidents:meeting", number=number)
    return render(
        request,
        "incidents/_meeting_capture.html",
        {"incident": incident, "pm": pm, "error": error, "can_edit": True, **parts},
        status=400 if error else 200,
    )
