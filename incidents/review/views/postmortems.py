"""Blameless review pages: the postmortem, its editor, review, versions, exports, factors and meeting mode.

Views parse input, call one service or selector and render; the services decide who may write (their
AccessDenied is a 404 for what the user may not see, else a 403). Pages that show an editor's form check
the same rule from `incidents.permissions` before showing it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from incidents import merge as merging
from incidents.errors import ConflictError, add_form_errors
from incidents.incident import selectors as incident_selectors
from incidents.inputs import int_param
from incidents.markdown import render_markdown, stored_html
from incidents.merge import Merge
from incidents.models import (
    POSTMORTEM_SECTIONS,
    Incident,
    Postmortem,
    PostmortemStatus,
    PostmortemTemplate,
    Severity,
    section_prompt,
)
from incidents.permissions.checks import (
    require_conclude_review,
    require_decide_review,
    require_dismiss_blameless,
    require_edit_postmortem,
    require_record,
    require_write_review,
)
from incidents.permissions.incident import can_record
from incidents.permissions.review import (
    can_approve_postmortem,
    can_edit_postmortem,
    can_publish_postmortem,
    can_reopen_postmortem,
    can_request_review,
)
from incidents.review import blameless, library
from incidents.review import documents as document
from incidents.review import selectors as review_selectors
from incidents.review.blameless.explain import LABELS
from incidents.review.forms import (
    DecisionForm,
    DismissForm,
    PostmortemEditForm,
    PostmortemStartForm,
    PreviewForm,
    QuestionsForm,
    ReasonForm,
    RequestReviewForm,
)
from incidents.review.services import blameless as blameless_findings
from incidents.review.services import postmortems as svc
from incidents.review.services import reads as read_svc
from incidents.review.services import reviews as review_flow


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _get(request: HttpRequest, number: int) -> tuple[Incident, Postmortem]:
    incident = incident_selectors.incident_get_for(request.user, number)
    pm = review_selectors.postmortem_for(incident)
    if pm is None:
        raise Http404("This incident has no postmortem yet.")
    pm.incident = incident
    return incident, pm


def _get_to_change(
    request: HttpRequest, number: int, check: Callable[[Any, Postmortem], None]
) -> tuple[Incident, Postmortem]:
    """The incident and postmortem a page changes, once `check(user, postmortem)` (a `require_*` of
    `incidents.permissions.checks`) let the user through: asked before any form is read, so someone who
    may not act gets 403 (404 for what they may not see), never the form's errors."""
    incident, pm = _get(request, number)
    check(request.user, pm)
    return incident, pm


def _back(number: int, anchor: str = "") -> HttpResponse:
    return redirect(reverse("incidents:postmortem", args=[number]) + anchor)


def _permissions(user: Any, pm: Postmortem, current_author_id: int | None) -> dict[str, bool]:
    return {
        "can_edit": can_edit_postmortem(user, pm),
        "can_request_review": can_request_review(user, pm),
        "can_approve": can_approve_postmortem(user, pm, current_author_id=current_author_id),
        "can_publish": can_publish_postmortem(user, pm),
        "can_reopen": can_reopen_postmortem(user, pm),
    }


def _read_receipts(request: HttpRequest, pm: Postmortem) -> library.ReadStats | None:
    """A published postmortem's read receipts, the viewer's own recorded on their first visit (later
    visits only read: no write); None while it is not published."""
    if pm.status != PostmortemStatus.PUBLISHED:
        return None
    receipts = library.postmortem_read_stats(pm, request.user)
    if not receipts.viewer_read:
        read_svc.postmortem_read_record(postmortem=pm, actor=request.user)
        receipts = library.postmortem_read_stats(pm, request.user)
    return receipts


# --- The document -------------------------------------------------------------------------------------


@login_required
@require_safe
def postmortem_detail(request: HttpRequest, number: int) -> HttpResponse:
    incident = incident_selectors.incident_get_for(request.user, number)
    pm = review_selectors.postmortem_for(incident)
    if pm is None:
        can_start = can_record(request.user, incident)
        default = "Lightweight" if incident.severity in (Severity.SEV3, Severity.SEV4) else "Full"
        template = review_selectors.postmortem_type_template(incident)
        form = PostmortemStartForm(
            initial={"template": template or PostmortemTemplate.objects.filter(name=default).first()}
        )
        return render(
            request,
            "incidents/review/postmortem_start.html",
            {"incident": incident, "form": form, "can_start": can_start},
        )
    pm.incident = incident
    receipts = _read_receipts(request, pm)
    doc = document.assemble(pm, viewer=request.user)
    versions = list(pm.versions.select_related("author").order_by("-number"))
    current_author = versions[0].author_id if versions else None
    reviews = review_selectors.postmortem_reviews_for(pm)
    allowed = _permissions(request.user, pm, current_author)
    findings = (
        [f for f in svc.postmortem_blameless_findings(pm) if not f.dismissed]
        if allowed["can_edit"] or allowed["can_approve"] or allowed["can_publish"]
        else []
    )
    context = {
        "incident": incident,
        "pm": pm,
        "doc": doc,
        "sections": [  # (key, label, the HTML stored on save)
            (k, label, stored_html(pm, "sections", k)) for k, label in POSTMORTEM_SECTIONS if pm.written(k)
        ],
        "versions": versions,
        "reviews": reviews,
        "findings": findings,
        "dismissals": blameless_findings.dismissals(pm)
        if allowed["can_edit"] or allowed["can_approve"] or allowed["can_publish"]
        else [],
        "is_commander": incident.commander_id == request.user.pk,
        "receipts": receipts,
        "questions_form": QuestionsForm(initial=QuestionsForm.initial_for(pm), unnoticed=doc.unnoticed),
        "review_form": RequestReviewForm(postmortem=pm, user=request.user),
        "decision_form": DecisionForm(initial={"version": pm.version}),
        "reason_form": ReasonForm(),
        **allowed,
    }
    return render(request, "incidents/review/postmortem.html", context)


@login_required
@require_POST
def postmortem_start(request: HttpRequest, number: int) -> HttpResponse:
    incident = incident_selectors.incident_get_for(request.user, number)
    require_record(request.user, incident)  # before the form (the service checks again)
    form = PostmortemStartForm(request.POST)
    template = form.cleaned_data["template"] if form.is_valid() else None
    svc.postmortem_start(incident=incident, actor=request.user, template=template)
    messages.success(request, "Postmortem started.")
    return redirect("incidents:postmortem_edit", number=number)


def _edit_form(
    request: HttpRequest, number: int, pm: Postmortem, data: Any = None, initial: Any = None
) -> PostmortemEditForm:
    return PostmortemEditForm(
        data,
        initial=initial,
        preview_url=reverse("incidents:postmortem_preview", args=[number]),
        template=pm.template if pm.template_id else None,
    )


def _merge_page(
    request: HttpRequest, incident: Incident, number: int, current: Postmortem, merge: Merge, message: str
) -> HttpResponse:
    """The editor again after a conflict: based on the current version, fields merged (see incidents.merge),
    the ones both changed side by side with a required choice."""
    fresh = _edit_form(
        request, number, current, initial={**current.sections, **merge.values, "version": current.version}
    )
    rows = [
        (fresh[k], current.sections.get(k, ""), k in merge.conflicts, k in merge.theirs)
        for k, _ in POSTMORTEM_SECTIONS
    ]
    open_keys = review_selectors.postmortem_sections_open(current, {**current.sections, **merge.values})
    context = {
        "incident": incident, "pm": current, "form": fresh, "conflict": message,
        "must_choose": ",".join(merge.conflicts), **_editor_rows(rows, open_keys | set(merge.conflicts)),
    }  # fmt: skip
    return render(request, "incidents/review/postmortem_edit.html", context, status=409)


@login_required
def postmortem_edit(request: HttpRequest, number: int) -> HttpResponse:
    incident, pm = _get_to_change(request, number, require_edit_postmortem)
    if request.method == "POST":
        form = _edit_form(request, number, pm, request.POST)
        if form.is_valid():
            based_on = form.cleaned_data["version"]
            sections = form.sections()
            shown = review_selectors.postmortem_sections_at(pm, based_on)
            missing = merging.apply_choices(request.POST, sections, shown, svc.SECTION_KEYS)
            if missing:
                conflicts = {k: (sections[k], shown.get(k, "")) for k in missing}
                merge = Merge(values=sections, conflicts=conflicts)
                return _merge_page(
                    request, incident, number, pm, merge,
                    "Not saved: choose which text to keep for each section marked as changed by both of you.",
                )  # fmt: skip
            try:
                svc.postmortem_save(
                    postmortem=pm, actor=request.user, sections=sections, expected_version=based_on
                )
            except svc.PostmortemConflict as exc:
                current = exc.current
                merge, message = merging.merged_after_conflict(
                    exc, base=shown, mine=sections, current=current.sections, noun="section(s)"
                )
                return _merge_page(request, incident, number, current, merge, message)
            except ValidationError as exc:
                add_form_errors(form, exc)
            else:
                messages.success(request, "Postmortem saved.")
                return _back(number)
    else:
        written = {k: pm.written(k) for k, _ in POSTMORTEM_SECTIONS}  # a prompt left in a draft shows as one
        form = _edit_form(request, number, pm, initial={**written, "version": pm.version})
    rows = [(form[k], None, False, False) for k, _ in POSTMORTEM_SECTIONS]
    values = {k: form[k].value() for k, _ in POSTMORTEM_SECTIONS}
    open_keys = review_selectors.postmortem_sections_open(pm, values)
    return render(
        request,
        "incidents/review/postmortem_edit.html",
        {"incident": incident, "pm": pm, "form": form, **_editor_rows(rows, open_keys)},
    )


def _editor_rows(rows: list[Any], shown: set[str]) -> dict[str, list[Any]]:
    """The editor's rows (field, current text, changed by both, changed by them) split into `rows`, open
    (`shown` keys), and `more_rows`, folded under "Other sections"."""
    return {
        "rows": [r for r in rows if r[0].name in shown],
        "more_rows": [r for r in rows if r[0].name not in shown],
    }


@login_required
@require_POST
def postmortem_preview(request: HttpRequest, number: int) -> HttpResponse:
    """HTMX: the section's Markdown rendered through `render_markdown`, with the blameless findings."""
    incident, pm = _get_to_change(request, number, require_edit_postmortem)
    form = PreviewForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Unknown section.", status=400)
    key = form.cleaned_data["section"]
    text = request.POST.get(key, "")
    dismissed = pm.blameless_dismissals.values_list("section", "rule", "text")
    findings = blameless.check_sections({key: text}, names=blameless.system_names(), dismissed=dismissed)
    return render(
        request,
        "incidents/review/_postmortem_preview.html",
        {
            "html": render_markdown(text),
            "prompt": section_prompt(pm.template if pm.template_id else None, key)
            if not text.strip()
            else "",
            "findings": [f for f in findings if not f.dismissed],
            "incident": incident,
            "pm": pm,
        },
    )


@login_required
@require_POST
def postmortem_questions(request: HttpRequest, number: int) -> HttpResponse:
    incident, pm = _get_to_change(request, number, require_write_review)
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
    incident, pm = _get_to_change(request, number, require_write_review)
    form = RequestReviewForm(request.POST, postmortem=pm, user=request.user)
    if not form.is_valid():
        messages.error(request, "Choose at least one reviewer.")
        return _back(number, "#review")
    try:
        pm, findings = review_flow.postmortem_request_review(
            postmortem=pm, actor=request.user, reviewers=form.cleaned_data["reviewers"]
        )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, "Review requested.")
        if findings:
            kinds = sorted({LABELS[f.rule].lower() for f in findings})
            messages.warning(
                request,
                f"The blameless check found {len(findings)} wording(s) to look at ({'; '.join(kinds)}). "
                "They are listed on this page with a suggested rewording: reword them or dismiss each with a "
                "reason. The postmortem cannot be published while any is open.",
            )
    return _back(number, "#review")


@login_required
@require_POST
def postmortem_decide(request: HttpRequest, number: int) -> HttpResponse:
    incident, pm = _get_to_change(request, number, require_decide_review)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Approve or request changes.")
        return _back(number, "#review")
    try:
        review_flow.postmortem_review_decide(
            postmortem=pm,
            actor=request.user,
            decision=form.cleaned_data["decision"],
            comment=form.cleaned_data["comment"],
            expected_version=form.cleaned_data["version"],
        )
    except review_flow.ReviewStale as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, "Decision recorded.")
    return _back(number, "#review")


@login_required
@require_POST
def postmortem_publish(request: HttpRequest, number: int) -> HttpResponse:
    incident, pm = _get_to_change(request, number, require_conclude_review)
    try:
        review_flow.postmortem_publish(
            postmortem=pm, actor=request.user, override_reason=request.POST.get("override_reason", "")[:2000]
        )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    except ConflictError as exc:  # not approved (yet)
        messages.error(request, str(exc))
    else:
        messages.success(request, "Postmortem published.")
    return _back(number)


@login_required
@require_POST
def postmortem_reopen(request: HttpRequest, number: int) -> HttpResponse:
    incident, pm = _get_to_change(request, number, require_conclude_review)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the postmortem is reopened.")
        return _back(number)
    try:
        review_flow.postmortem_reopen(postmortem=pm, actor=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    except ConflictError as exc:  # not published
        messages.error(request, str(exc))
    else:
        messages.success(request, "Postmortem reopened as a draft.")
    return _back(number)


@login_required
@require_POST
def blameless_dismiss(request: HttpRequest, number: int) -> HttpResponse:
    incident, pm = _get_to_change(request, number, require_dismiss_blameless)
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
            "incidents/review/postmortem_diff.html",
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
        "incidents/review/postmortem_diff.html",
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
@require_safe
def postmortem_version(request: HttpRequest, number: int) -> HttpResponse:
    """One kept version (`?n=3`; the latest when `n` is missing). An unknown number is a 404."""
    incident, pm = _get(request, number)
    versions = pm.versions.select_related("author")
    raw = request.GET.get("n", "")
    wanted = int_param(raw, low=1)
    if raw and wanted is None:
        return HttpResponse("Give a version number, for example ?n=3.", status=400)
    v = get_object_or_404(versions, number=wanted) if wanted else versions.order_by("-number").first()
    sections = [
        (k, label, v.sections.get(k, "")) for k, label in POSTMORTEM_SECTIONS if v and v.sections.get(k)
    ]
    return render(
        request,
        "incidents/review/postmortem_version.html",
        {"incident": incident, "pm": pm, "v": v, "sections": sections},
    )
