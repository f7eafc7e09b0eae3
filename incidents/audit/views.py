"""Audit pages: change history (incident, postmortem, action item, policy finding) and admin soft-delete/restore.

Views parse input, call one selector or service and render. Permissions come from accounts.permissions;
anything a user may not see is a 404.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from accounts.models import SecurityEvent
from accounts.security import SECURITY_EVENT_COLUMNS, security_event_csv_rows, security_event_record
from incidents.audit.forms import SoftDeleteForm
from incidents.csv import csv_download
from incidents.followup import selectors as selectors_followup
from incidents.history import history_for
from incidents.incident import selectors
from incidents.incident.services.lifecycle import incident_restore, incident_soft_delete
from incidents.models import OPEN_ITEM_STATUSES, Incident, Postmortem
from incidents.paging import page_of
from incidents.permissions.checks import require_page
from incidents.permissions.roles import is_admin


def _history(request: HttpRequest, obj: object, title: str, back_url: str) -> HttpResponse:
    context = {"records": history_for(obj, viewer=request.user), "title": title, "back_url": back_url}  # type: ignore[arg-type]
    return render(request, "incidents/audit/history.html", context)


@login_required
def incident_history(request: HttpRequest, number: int) -> HttpResponse:
    incident = selectors.incident_get_for(request.user, number)
    url = reverse("incidents:detail", args=[incident.number])
    return _history(request, incident, f"{incident.reference} {incident.title}", url)


@login_required
def postmortem_history(request: HttpRequest, number: int) -> HttpResponse:
    incident = selectors.incident_get_for(request.user, number)
    postmortem = Postmortem.objects.filter(incident=incident).first()
    if postmortem is None:
        raise Http404("This incident has no postmortem yet.")
    url = reverse("incidents:detail", args=[incident.number])
    return _history(request, postmortem, f"Postmortem of {incident.reference} {incident.title}", url)


@login_required
def action_item_history(request: HttpRequest, item_id: int) -> HttpResponse:
    item = selectors_followup.action_item_get_for(request.user, item_id)
    return _history(
        request, item, f"Action item: {item.title}", reverse("incidents:action_item_detail", args=[item.pk])
    )


@login_required
def finding_history(request: HttpRequest, finding_id: int) -> HttpResponse:
    finding = selectors_followup.finding_get_for(request.user, finding_id)
    return _history(
        request,
        finding,
        f"Policy finding: {finding.title}",
        reverse("incidents:finding_detail", args=[finding.pk]),
    )


def _admin_incident(request: HttpRequest, number: int) -> Incident:
    """The incident (404 for one the user cannot see); 403 for anyone but an admin."""
    incident = selectors.incident_get_for(request.user, number)
    require_page(is_admin(request.user), "Only admins delete and restore incidents.")
    return incident


@login_required
def incident_delete(request: HttpRequest, number: int) -> HttpResponse:
    """Admins: a confirmation page saying what deleting hides, then the soft delete."""
    incident = _admin_incident(request, number)
    if incident.deleted_at is not None:
        messages.info(request, f"{incident.reference} is already deleted.")
        return redirect("incidents:detail", number=incident.number)
    form = SoftDeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident_soft_delete(incident=incident, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error("reason", exc.messages)
        else:
            messages.success(
                request, f"{incident.reference} deleted. Admins can restore it from the deleted list."
            )
            return redirect("incidents:deleted_list")
    context = {
        "incident": incident,
        "form": form,
        "entries": incident.timeline_entries.count(),
        "open_items": incident.action_items.filter(status__in=OPEN_ITEM_STATUSES).count(),
        "subscribers": incident.subscriptions.count(),
    }
    return render(request, "incidents/audit/delete_confirm.html", context, status=400 if form.errors else 200)


@login_required
def incident_restore_view(request: HttpRequest, number: int) -> HttpResponse:
    """Admins: confirm, then restore a soft-deleted incident exactly as it was."""
    incident = _admin_incident(request, number)
    if request.method == "POST":
        incident_restore(incident=incident, actor=request.user)
        messages.success(request, f"{incident.reference} restored.")
        return redirect("incidents:detail", number=incident.number)
    return render(request, "incidents/audit/restore_confirm.html", {"incident": incident})


@login_required
def deleted_list(request: HttpRequest) -> HttpResponse:
    """Admins: soft-deleted incidents, most recently deleted first, with restore buttons."""
    require_page(is_admin(request.user), "Only admins see deleted incidents.")
    qs = Incident.objects.filter(deleted_at__isnull=False).order_by("-deleted_at", "-id")
    page = page_of(qs, 50, request.GET.get("page"))
    return render(request, "incidents/audit/deleted_list.html", {"page": page})


@login_required
def security_events_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Admins download security events as CSV (`?days=N`, default 365); anyone else gets 403."""
    require_page(is_admin(request.user), "Only admins export security events.")
    try:
        days = max(1, min(int(request.GET.get("days", "365")), 3650))
    except ValueError:
        return HttpResponseBadRequest("days must be a whole number of days, for example ?days=30.")
    since = timezone.now() - timedelta(days=days)
    events = SecurityEvent.objects.filter(created_at__gte=since)
    filename = f"security-events-{timezone.now():%Y%m%d}.csv"
    return security_events_download(request, events, filename=filename, detail=f"last {days} days")


def security_events_download(
    request: HttpRequest, events: QuerySet[SecurityEvent], *, filename: str, detail: str
) -> StreamingHttpResponse:
    """`events` (oldest first) as the security-event CSV download `filename`, recorded as an export by
    `request.user` with `detail` (what was chosen): the page above and the Django admin's export action."""
    security_event_record(
        kind=SecurityEvent.Kind.EXPORT, actor=request.user, target="security events", detail=detail
    )
    return csv_download(
        filename, SECURITY_EVENT_COLUMNS, security_event_csv_rows(events.order_by("created_at", "id"))
    )
