"""Follow-through pages: action items, My work, the team board, the findings register, reassignment, CSV.

Views parse input, call one service or selector and render. Anything the viewer may not see or do is 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from accounts.models import SecurityEvent, Team, User
from accounts.security import security_event_record
from incidents.csv import csv_download
from incidents.errors import add_form_errors
from incidents.followup import exports
from incidents.followup import selectors as sel
from incidents.followup.forms import (
    ActionItemForm,
    ItemFilters,
    ItemStatusForm,
    ReassignForm,
    RecheckForm,
    RecurrenceReviewForm,
)
from incidents.followup.services import items as services_items
from incidents.followup.services import reassign as services_reassign
from incidents.followup.services import recurrence as services_recurrence
from incidents.followup.views.common import DetailPage, EditPage, versioned_view
from incidents.history import history_for
from incidents.incident import selectors
from incidents.incident.views import post_action
from incidents.integrations.trackers.selectors import tracker_panel_for
from incidents.models import (
    OPEN_ITEM_STATUSES,
    ActionItem,
    ActionItemStatus,
    ContributingFactor,
)
from incidents.permissions.checks import require_edit_action_item, require_page
from incidents.permissions.followup import (
    can_create_action_item,
    can_edit_action_item,
    can_reassign_work,
    can_view_finding,
)
from incidents.permissions.incident import can_view_incident
from incidents.review import selectors as review_selectors

LIST_PAGE_SIZE = 100
DETAIL_HISTORY = 50  # changes shown on an item or finding page; its history page has the rest


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


# --- Action items ------------------------------------------------------------------------------------


@login_required
def action_item_new(request: HttpRequest) -> HttpResponse:
    """Create an item on its own, or from `?incident=<number>`, `?factor=<id>` or `?finding=<id>`."""
    user = request.user
    incident = factor = finding = None
    source = request.POST if request.method == "POST" else request.GET
    if number := _int(source.get("incident")):
        incident = selectors.incident_get_for(user, number)
    if factor_id := _int(source.get("factor")):
        factor = ContributingFactor.objects.select_related("incident").filter(pk=factor_id).first()
        if factor is None or not can_view_incident(user, factor.incident):
            raise Http404
        incident = factor.incident
    if finding_id := _int(source.get("finding")):
        finding = sel.finding_get_for(user, finding_id)
    require_page(
        can_create_action_item(user, incident, finding=finding),
        "Only people who may record on the incident (or change the finding) create action items here.",
    )
    initial: dict[str, Any] = {}
    if finding is not None:
        initial = {
            "owner": finding.owner_id,
            "team": finding.team_id,
            "priority": "P1" if finding.risk == "high" else "P2",
        }
    form = ActionItemForm(
        request.POST or None, initial=initial, user=user, incident=incident, finding=finding
    )
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in ActionItemForm.FIELDS}
        try:
            item = services_items.action_item_create(
                actor=user, incident=incident, factor=factor, finding=finding, **data
            )
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(
                request,
                "Action item created."
                + (f" {item.owner} has been told." if item.owner_id and item.owner_id != user.pk else ""),
            )
            return redirect("incidents:action_item_detail", item_id=item.pk)
    context = {"form": form, "incident": incident, "factor": factor, "finding": finding}
    return render(request, "incidents/followup/action_item_form.html", context)


def _item_context(request: HttpRequest, item: ActionItem, **extra: Any) -> dict[str, Any]:
    user = request.user
    can_edit = can_edit_action_item(user, item)
    return {
        "item": item,
        "history": history_for(item, limit=DETAIL_HISTORY),
        "can_edit": can_edit,
        "finding_visible": item.finding is not None and can_view_finding(user, item.finding),
        "next_statuses": [
            (s, ActionItemStatus(s).label) for s in services_items.ITEM_TRANSITIONS[item.status]
        ]
        if can_edit
        else [],
        "status_form": extra.pop("status_form", None) or ItemStatusForm(initial={"version": item.version}),
        "recheck_form": RecheckForm(),
        "recurrence_form": RecurrenceReviewForm(),
        "tracker_panel": tracker_panel_for(user, item),
        **extra,
    }


ITEM_PAGE = DetailPage("action_item", "item_id", sel.action_item_get_for, _item_context)


@login_required
def action_item_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    return ITEM_PAGE.show(request, item_id)


action_item_edit = EditPage(
    ITEM_PAGE, "item", ActionItemForm, can_edit_action_item, services_items.action_item_update,
    "Action item saved.", keep_if_empty=("due_date",),  # empty: the date it has (the priority's target)
    form_kwargs=lambda user, item: {
        "user": user, "incident": item.incident, "finding": item.finding, "keep_owner_id": item.owner_id,
    },
).view()  # fmt: skip
action_item_status = versioned_view(
    ITEM_PAGE, ItemStatusForm, "status_form", services_items.action_item_change_status, "item",
    ("status", "note"), check=require_edit_action_item, done="Status changed.", kept="your note", invalid="Choose a valid status.",
)  # fmt: skip


def _item_action(
    request: HttpRequest, item_id: int, form: Any, service: Any, fields: tuple[str, ...], **answer: Any
) -> HttpResponse:
    """A POST from the item page: `service(item=, actor=, <fields of the form>)` through `post_action`
    (`answer`: its `invalid` and `success` messages), then back to the item page."""
    item = sel.action_item_get_for(request.user, item_id)
    require_edit_action_item(request.user, item)  # before the form (the service checks again)
    return post_action(
        request,
        form,
        lambda data: service(item=item, actor=request.user, **{name: data[name] for name in fields}),
        back=redirect("incidents:action_item_detail", item_id=item.pk),
        **answer,
    )


@login_required
@require_POST
def action_item_recheck(request: HttpRequest, item_id: int) -> HttpResponse:
    return _item_action(
        request,
        item_id,
        RecheckForm(request.POST),
        services_items.action_item_confirm_effect,
        ("worked", "note"),
        invalid="Say whether it worked.",
        success=lambda data: (
            "Thanks: recorded that it worked." if data["worked"] else "The item is open again."
        ),
    )


@login_required
@require_POST
def action_item_recurrence(request: HttpRequest, item_id: int) -> HttpResponse:
    form = RecurrenceReviewForm(request.POST)
    service = services_recurrence.action_item_review_recurrence
    return _item_action(
        request,
        item_id,
        form,
        service,
        ("note", "reopen"),
        invalid="Say what the review concluded.",
        success="Review recorded.",
    )


@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    work = sel.my_work_for(request.user)
    context = {
        "work": work,
        "reviews": review_selectors.reviews_waiting_for(request.user),
        "changes_requested": review_selectors.changes_requested_of(request.user),
    }
    return render(request, "incidents/followup/my_work.html", context)


def _item_filters(request: HttpRequest) -> tuple[ItemFilters, dict[str, Any]]:
    filters = ItemFilters(request.GET or None)
    criteria: dict[str, Any] = {}
    if filters.is_valid():
        data = filters.cleaned_data
        criteria = {k: data[k] for k in ("team", "owner", "priority") if data.get(k)}
        if data.get("status") == "open_all":
            criteria["status"] = list(OPEN_ITEM_STATUSES)
        elif data.get("status"):
            criteria["status"] = data["status"]
        criteria["overdue"] = bool(data.get("overdue"))
    return filters, criteria


@login_required
def team_board(request: AuthenticatedRequest) -> HttpResponse:
    """A team's items in status columns; `?team=<slug>` (default: the viewer's own team,
    `sel.board_home_team`: one they lead, else respond in, else view)."""
    user = request.user
    slug = request.GET.get("team")
    teams = list(Team.objects.order_by("name"))
    team = next((t for t in teams if t.slug == slug), None)
    if team is None and slug is None:  # `?team=` (empty) means every team
        team = sel.board_home_team(user)
    board = sel.team_board_for(user, team)
    context = {
        "board": board,
        "teams": teams,
        "can_reassign": can_reassign_work(user),
        "reassign_form": ReassignForm(user=user),
    }
    return render(request, "incidents/followup/team_board.html", context)


@login_required
def action_item_export(request: HttpRequest) -> StreamingHttpResponse:
    """CSV of the action items the viewer may see, with the team-board filters (`?team=&owner=&status=...`),
    streamed as the database returns them. An item's incident and finding are named only when the viewer may
    see them (`incident_visible`, `finding_visible`): the owner of an item from a hidden finding gets an empty
    `finding_id`."""
    _, criteria = _item_filters(request)
    count, rows = exports.action_item_export_for(request.user, **criteria)
    _record_export(request, "action_items", count)
    return csv_download("action-items.csv", exports.ITEM_CSV_HEADER, rows)


def _record_export(request: HttpRequest, what: str, count: int) -> None:
    security_event_record(
        kind=SecurityEvent.Kind.EXPORT,
        actor=request.user,
        target=f"{what}.csv",
        detail=f"{count} rows; filters: {request.GET.urlencode()}"[:2000],
        request=request,
    )


# --- Reassignment ---------------------------------------------------------------------------------------


@login_required
def reassign(request: HttpRequest) -> HttpResponse:
    """Leads and admins: deactivated people who still own open work, and (`?user=<id>`) that work."""
    require_page(can_reassign_work(request.user), "Only team leads and admins reassign work.")
    person = None
    work = None
    if user_id := _int(request.GET.get("user")):
        person = User.objects.filter(pk=user_id).first()
        if person is None:
            raise Http404
        work = sel.open_work_shown_to(request.user, person)
    context = {
        "orphans": list(sel.users_with_orphaned_work(request.user)),
        "person": person,
        "work": work,
        "form": ReassignForm(user=request.user, initial={"next": request.get_full_path()}),
    }
    return render(request, "incidents/followup/reassign.html", context)


@login_required
@require_POST
def bulk_reassign(request: HttpRequest) -> HttpResponse:
    """Give the posted `items` and `findings` ids to `new_owner` (leads and admins only)."""
    require_page(can_reassign_work(request.user), "Only team leads and admins reassign work.")
    form = ReassignForm(request.POST, user=request.user)
    target = form.data.get("next") or ""
    # Only a path on this site: `redirect()` would read anything else as a view name (or leave the site).
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        target = ""
    target = target or reverse("incidents:reassign")
    if not form.is_valid():
        messages.error(request, "Choose an active person to give the work to.")
        return redirect(target)
    items = list(sel.action_item_list_for(request.user).filter(pk__in=form.cleaned_data["items"]))
    findings = list(sel.finding_list_for(request.user).filter(pk__in=form.cleaned_data["findings"]))
    if not items and not findings:
        messages.error(request, "Select at least one action item or finding.")
        return redirect(target)
    try:
        n_items, n_findings = services_reassign.followup_reassign(
            actor=request.user, new_owner=form.cleaned_data["new_owner"], items=items, findings=findings
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        raise Http404 from exc
    else:
        messages.success(
            request,
            f"Gave {n_items} action item(s) and {n_findings} finding(s) to {form.cleaned_data['new_owner']}.",
        )
    return redirect(target)
