"""Stakeholder updates on the web: posted from the incident page, and the internal status page of the open
incidents a person may see. Views parse, call one service or selector, and render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from incidents.incident import pages, selectors
from incidents.incident.services.updates import stakeholder_update_post
from incidents.incident.update_forms import StakeholderUpdateForm
from incidents.permissions.checks import require_record


@login_required
@require_POST
def incident_update_post(request: HttpRequest, number: int) -> HttpResponse:
    """POST status, customer_impact, doing, next_update_at: post a stakeholder update, then the incident
    page at its updates; refused input answers the page again (422) with what was typed and the errors."""
    incident = selectors.incident_get_for(request.user, number)
    require_record(request.user, incident)  # before the form: a reader learns nothing from it
    form = StakeholderUpdateForm(request.POST, auto_id="update_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            stakeholder_update_post(
                incident=incident,
                actor=request.user,
                status=data["status"],
                customer_impact=data["customer_impact"],
                doing=data["doing"],
                next_update_at=data["next_update_at"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "Update posted; its stakeholders are emailed.")
            return redirect(reverse("incidents:detail", args=[number]) + "#updates")
    return pages.incident_page(request, number, update_form=form, status=422)


@login_required
def status_page(request: HttpRequest) -> HttpResponse:
    """The internal status page: every open incident the viewer may see, worst first, with its latest
    stakeholder update (and whether the promised next one is late)."""
    rows = selectors.status_page_incidents(request.user)
    return render(request, "incidents/incident/status_page.html", {"incidents": rows})
