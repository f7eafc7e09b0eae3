"""Attachments on the web: upload one from the incident page, download one or its thumbnail. Downloads are
answered only to those who may see the incident (404 for everyone else, as for an id that does not exist),
through Django's storage API: no static route serves the files. Views parse, call one service or selector,
and render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from incidents.incident import pages, selectors
from incidents.incident.attachment_forms import AttachmentForm
from incidents.incident.services.attachments import attachment_add, attachment_remove
from incidents.models import Attachment
from incidents.permissions.checks import require_record


@login_required
@require_POST
def incident_attachment_upload(request: HttpRequest, number: int) -> HttpResponse:
    """POST `file` (multipart) and optionally `entry`: attach it to the incident, then the incident page at
    its attachments; a refused upload answers the page again (422) with the reason beside the field."""
    incident = selectors.incident_get_for(request.user, number)
    require_record(request.user, incident)  # before the form: a reader learns nothing from it
    form = AttachmentForm(request.POST, request.FILES, auto_id="attachment_%s")
    if form.is_valid():
        entry_id = form.cleaned_data["entry"]
        entry = incident.timeline_entries.filter(pk=entry_id).first() if entry_id else None
        try:
            if entry_id and entry is None:
                raise ValidationError({"entry": "Choose an entry of this incident's timeline."})
            attachment = attachment_add(
                incident=incident, actor=request.user, upload=form.cleaned_data["file"], entry=entry
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields and field != "entry" else "file", errors)
        else:
            messages.success(request, f"Attached {attachment.name}.")
            return redirect(reverse("incidents:detail", args=[number]) + "#attachments")
    return pages.incident_page(request, number, attachment_form=form, status=422)


@login_required
@require_POST
def incident_attachment_remove(request: HttpRequest, number: int, attachment_id: int) -> HttpResponse:
    """POST: remove the attachment (its file too), then the incident page at its attachments. Who uploaded
    it and those who may command the incident; 404 for those who cannot see the incident, else 403."""
    attachment = selectors.attachment_get_for(request.user, number, attachment_id)
    attachment_remove(attachment=attachment, actor=request.user)
    messages.success(request, f"Removed {attachment.name}.")
    return redirect(reverse("incidents:detail", args=[number]) + "#attachments")


def file_response(attachment: Attachment, *, thumbnail: bool = False) -> FileResponse:
    """The stored bytes of `attachment` (or its thumbnail) as a download: images inline, everything else
    `Content-Disposition: attachment` (a browser never renders an uploaded page or script), with
    `X-Content-Type-Options: nosniff`, the allowlisted content type, and a sandboxing CSP."""
    stored = attachment.thumbnail if thumbnail else attachment.file
    if not stored.name:
        raise Http404("No thumbnail.")
    try:
        handle = stored.storage.open(stored.name, "rb")
    except FileNotFoundError as exc:
        raise Http404("The file is gone.") from exc
    response = FileResponse(
        handle,
        content_type="image/png" if thumbnail else attachment.content_type,
        as_attachment=not attachment.is_image,
        filename=attachment.name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def incident_attachment_download(request: HttpRequest, number: int, attachment_id: int) -> HttpResponseBase:
    """The attachment's file, for those who may see the incident (404 otherwise)."""
    return file_response(selectors.attachment_get_for(request.user, number, attachment_id))


@login_required
@require_GET
def incident_attachment_thumbnail(request: HttpRequest, number: int, attachment_id: int) -> HttpResponseBase:
    """An image attachment's thumbnail (PNG), for those who may see the incident (404 otherwise, and for a
    file that is not an image)."""
    return file_response(selectors.attachment_get_for(request.user, number, attachment_id), thumbnail=True)
