from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import SecurityEvent
from accounts.security import security_event_record
from incidents.errors import add_form_errors
from incidents.inputs import load_json
from incidents.models import (
    POSTMORTEM_SECTIONS,
    Incident,
    Postmortem,
)
from incidents.permissions.checks import require_page
from incidents.permissions.review import can_edit_postmortem
from incidents.review import documents as review_documents
from incidents.review import exports as review_exports
from incidents.review import pdf as review_pdf
from incidents.review.forms import (
    ImportForm,
)
from incidents.review.services import postmortems as svc
from incidents.review.views.postmortems import _back, _get

# --- Exports and import -------------------------------------------------------------------------------


IMPORT_MAX_BYTES = 2_000_000


def _filename(incident: Incident, ext: str) -> str:
    return f"{incident.reference}-postmortem.{ext}"


def _record_export(request: HttpRequest, incident: Incident, ext: str) -> None:
    """Every download of a postmortem is a security event (who, what, when, from where)."""
    security_event_record(
        kind=SecurityEvent.Kind.EXPORT, actor=request.user, target=_filename(incident, ext), request=request
    )


def _streamed(chunks: Iterator[str], content_type: str, filename: str) -> StreamingHttpResponse:
    """A download sent as it is written (memory flat for any timeline). The first piece (the document's
    head: every query but the timeline's) is written before the response starts, so an error there is a
    clean error page, not a cut-off file."""
    first = next(chunks, "")
    response = StreamingHttpResponse(
        (chunk.encode() for chunk in itertools.chain([first], chunks)), content_type=content_type
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def postmortem_export_markdown(request: HttpRequest, number: int) -> HttpResponse | StreamingHttpResponse:
    """The postmortem as Markdown (`review_exports.export_markdown_chunks`), streamed."""
    incident, pm = _get(request, number)
    _record_export(request, incident, "md")
    zone = timezone.get_current_timezone()
    chunks = review_exports.export_markdown_chunks(pm, zone, viewer=request.user)
    return _streamed(chunks, "text/markdown; charset=utf-8", _filename(incident, "md"))


@login_required
def postmortem_export_json(request: HttpRequest, number: int) -> HttpResponse | StreamingHttpResponse:
    """The postmortem as JSON (`review_exports.export_json_chunks`), streamed."""
    incident, pm = _get(request, number)
    _record_export(request, incident, "json")
    chunks = review_exports.export_json_chunks(pm, timezone.get_current_timezone(), viewer=request.user)
    return _streamed(chunks, "application/json", _filename(incident, "json"))


def _print_context(pm: Postmortem, viewer: Any, *, pdf: bool = False) -> dict[str, Any]:
    doc = review_documents.assemble(pm, viewer=viewer)
    attachments = review_pdf.attachments_for_print(pm.incident, inline=pdf)
    sections = [
        (k, label, review_documents.clean_source(pm.written(k)))
        for k, label in POSTMORTEM_SECTIONS
        if pm.written(k)
    ]
    return {"incident": pm.incident, "pm": pm, "doc": doc, "sections": sections, "attachments": attachments}


@login_required
def postmortem_print(request: HttpRequest, number: int) -> HttpResponse:
    incident, pm = _get(request, number)
    return render(request, "incidents/review/postmortem_print.html", _print_context(pm, request.user))


@login_required
def postmortem_export_pdf(request: HttpRequest, number: int) -> HttpResponse:
    """The postmortem as a PDF (the print page through WeasyPrint, `review_pdf.render_pdf`); a timeline of
    more than PDF_RICH_TIMELINE_MAX entries is listed as plain text so a long one renders in seconds. 503
    with an explanation when WeasyPrint's libraries are missing."""
    incident, pm = _get(request, number)
    context = _print_context(pm, request.user, pdf=True)
    plain = len(context["doc"].timeline) > review_pdf.PDF_RICH_TIMELINE_MAX
    html = render_to_string(
        "incidents/review/postmortem_print.html",
        {**context, "pdf": True, "plain_timeline": plain},
        request=request,
    )
    try:
        pdf = review_pdf.render_pdf(html)
    except review_pdf.PdfUnavailable as exc:
        return render(
            request,
            "incidents/review/postmortem_pdf_error.html",
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
    require_page(can_edit_postmortem(request.user, pm), "You may read this postmortem but not edit it.")
    form = ImportForm(request.POST or None, request.FILES or None, initial={"version": pm.version})
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            form.add_error("file", f"The file is larger than {IMPORT_MAX_BYTES // 1_000_000} MB.")
            return render(
                request,
                "incidents/review/postmortem_import.html",
                {"incident": incident, "pm": pm, "form": form},
                status=400,
            )
        try:
            raw = upload.read().decode("utf-8")
            if upload.name.lower().endswith(".json"):
                try:
                    imported = review_exports.import_json(load_json(raw))
                except json.JSONDecodeError as exc:
                    raise ValidationError(
                        {"file": f"Not valid JSON: {exc.msg} (line {exc.lineno})."}
                    ) from exc
            else:
                imported = review_exports.import_markdown(raw)
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
            add_form_errors(form, exc)
        else:
            messages.success(request, "Postmortem imported as a new version.")
            return _back(number)
    return render(
        request,
        "incidents/review/postmortem_import.html",
        {"incident": incident, "pm": pm, "form": form},
        status=400 if form.errors else 200,
    )
