"""Timeline pages and HTMX partials: quick add, live changes, older entries, edit, remove, import.

HTMX requests (header `HX-Request`) get fragments; plain form posts (no JavaScript) get a redirect back to
the incident page with a message, so the page works with the keyboard and without scripts; a quick add
refused there renders the incident page with the form as posted and its errors.
Form errors in fragments answer 422 (static/js/timeline.js lets htmx swap them in).
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents import merge as merging
from incidents.errors import add_form_errors
from incidents.incident.pages import incident_page
from incidents.merge import Merge
from incidents.models import EntryKind, Incident, TimelineEntry
from incidents.permissions.checks import require_record
from incidents.permissions.incident import can_record
from incidents.timefmt import zone_label
from incidents.timeline import selectors
from incidents.timeline import services as svc
from incidents.timeline.forms import EntryEditForm, QuickAddForm, TimelineImportForm
from incidents.timeline.imports import parse_csv, parse_slack, parse_transcript, refuse_future
from incidents.timeline.page import timeline_base, timeline_filters, when_label
from incidents.timeline.selectors import TimelineCursor, timeline_duplicate_of
from incidents.timeparse import TimeParseError, describe, parse_time


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _entry_context(request: HttpRequest, incident: Incident, *, editor: bool) -> dict[str, Any]:
    return {"incident": incident, "can_record": editor, "timeline_base": timeline_base(incident)}


def _editor_incident(request: HttpRequest, number: int) -> Incident:
    """The incident of a page that shows an editor's form (403 for a reader, 404 for anyone else)."""
    incident = selectors.incident_for_timeline(request.user, number)
    require_record(request.user, incident)
    return incident


def _entry(incident: Incident, entry_id: int) -> TimelineEntry:
    return get_object_or_404(
        TimelineEntry.objects.select_related("author", "removed_by"), pk=entry_id, incident=incident
    )


def _older_key(text: str) -> tuple[datetime, int] | None:
    micros, _, entry_id = (text or "").partition(".")
    if not micros.lstrip("-").isdigit() or not entry_id.isdigit():
        return None
    return datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC), int(entry_id)


def _duplicate_warning(twin: Any, which: str) -> str:
    """What the person adding or editing an entry is told when `twin` has the same minute and text."""
    return (
        f"The same text at the same minute was already recorded by {twin.display_author} "
        f"({twin.get_source_display().lower()}). Both are kept; remove {which} if it is the same event."
    )


@login_required
@require_POST
def quick_add(request: HttpRequest, number: int) -> HttpResponse:
    """Add one entry. HTMX: answer a fresh, focused form plus the new entry (swapped into the list); a
    refused one answers the form with its errors (422). A plain form post (no JavaScript): back to the
    incident page at the new entry, or a refused one renders the incident page with the form as posted
    and its errors (422), so nothing typed is lost."""
    incident = _editor_incident(request, number)  # permission first: a reader's form is never read
    span = selectors.bare_clock_span(incident)
    form = QuickAddForm(request.POST, bare_clock=span)
    entry = None
    if form.is_valid():
        try:
            entry = svc.timeline_entry_add(
                incident=incident,
                actor=request.user,
                body=form.cleaned_data["body"],
                kind=form.cleaned_data["kind"],
                occurred_at=form.cleaned_data["occurred_at"],
            )
        except ValidationError as exc:
            add_form_errors(form, exc)
    twin = timeline_duplicate_of(entry) if entry is not None else None
    if not _is_htmx(request):
        if entry is not None:
            if twin is not None:
                messages.warning(request, _duplicate_warning(twin, "the new one"))
            return redirect(reverse("incidents:detail", args=[incident.number]) + f"#entry-{entry.pk}")
        # The page again, with what was typed and beside it what is wrong (as htmx swaps in the form).
        return incident_page(request, incident.number, quick_form=form, status=422)
    context = {
        **_entry_context(request, incident, editor=True),
        "quick_form": QuickAddForm(initial={"kind": EntryKind.NOTE}) if entry else form,
        "added": entry,
        "duplicate_of": twin,
        "zone_label": zone_label(timezone.localtime()),
        "when_label": when_label(span),
    }
    return render(
        request, "incidents/timeline/_timeline_quick_add.html", context, status=200 if entry else 422
    )


@login_required
@require_GET
def when_preview(request: HttpRequest, number: int) -> HttpResponse:
    """Show how a typed time reads, with its own UTC offset (`2025-03-10 14:05 NZDT, UTC+13:00`), or why it
    cannot be read, before saving."""
    incident = _editor_incident(request, number)
    text = request.GET.get("when", "")
    zone = timezone.get_current_timezone()
    try:
        parsed = parse_time(
            text, zone=zone, now=timezone.now(), bare_clock=selectors.bare_clock_span(incident)
        )
    except TimeParseError as exc:
        return render(request, "incidents/timeline/_timeline_when.html", {"error": str(exc)})
    typed = text.strip() and text.strip().lower() != "now"
    label = describe(parsed.instant, zone, offset=True) if typed else "now"
    return render(request, "incidents/timeline/_timeline_when.html", {"label": label})


@login_required
@require_GET
def changes(request: HttpRequest, number: int) -> HttpResponse:
    """Live feed: entries added, edited, removed or restored since `cursor`; answers the next cursor.

    Entries that should no longer show in this view (removed, for someone who cannot record; or no longer
    matching the filters) come back as `<li data-gone>` so the page drops them.
    """
    incident = selectors.incident_for_timeline(request.user, number)
    try:
        cursor = TimelineCursor.decode(request.GET.get("cursor", ""))
    except ValueError:
        return HttpResponseBadRequest("cursor: not a timeline cursor (reload the page).")
    editor = can_record(request.user, incident)
    filters = timeline_filters(request)
    rows, nxt = selectors.timeline_changes_since(incident, cursor)
    items = [(e, selectors.entry_matches(e, include_removed=editor, **filters)) for e in rows]
    context = {
        **_entry_context(request, incident, editor=editor),
        "items": items,
        "cursor": nxt.encode(),
    }
    return render(request, "incidents/timeline/_timeline_changes.html", context)


@login_required
@require_GET
def older(request: HttpRequest, number: int) -> HttpResponse:
    """The page of entries before `before` (`<micros>.<id>`), oldest first, led by the next "older" button."""
    incident = selectors.incident_for_timeline(request.user, number)
    before = _older_key(request.GET.get("before", ""))
    if before is None:
        return HttpResponseBadRequest("before: expected <microseconds>.<id>.")
    editor = can_record(request.user, incident)
    filters = timeline_filters(request)
    window = selectors.timeline_window(incident, include_removed=editor, before=before, **filters)
    context = {
        **_entry_context(request, incident, editor=editor),
        "timeline": window,
        "timeline_query": urlencode({k: v for k, v in filters.items() if v}),
    }
    return render(request, "incidents/timeline/_timeline_older.html", context)


@login_required
@require_GET
def entry_fragment(request: HttpRequest, number: int, entry_id: int) -> HttpResponse:
    """One entry as the list shows it (the edit form's Cancel)."""
    incident = selectors.incident_for_timeline(request.user, number)
    editor = can_record(request.user, incident)
    entry = _entry(incident, entry_id)
    if entry.removed_at and not editor:
        raise Http404("No such entry.")
    context = {**_entry_context(request, incident, editor=editor), "entry": entry}
    return render(request, "incidents/timeline/_timeline_entry.html", context)


def _based_on(value: str | None) -> datetime | None:
    """The `based_on` stamp of an edit form, or None; a malformed one is a form error."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError("This form is out of date: reload the page and edit again.") from None


def _entry_changes(entry: TimelineEntry, mine: dict[str, Any], shown: dict[str, Any], data: dict) -> dict:
    """The service's changes from the merged form values `mine`: the time only when its text differs
    from the version the form was based on (`shown`), so an untouched time keeps its sub-second part."""
    changes = {k: mine[k] for k in ("evidence", "knew_then", "is_key_moment")}
    if entry.source != "system":
        changes.update(body=mine["body"], kind=mine["kind"])
        if data.get("occurred_at") and mine["when"] != shown.get("when"):
            changes["occurred_at"] = data["occurred_at"]
    return changes


@login_required
@require_http_methods(["GET", "POST"])
def entry_edit(request: HttpRequest, number: int, entry_id: int) -> HttpResponse:
    """Edit form in place of the entry (HTMX), or a small page without JavaScript.

    Saved over a version someone changed meanwhile, the form comes back (409; 422 to htmx, which swaps
    it in place) merged three ways with what is stored now (incidents.merge): fields this editor did not
    change take the current value, so saving again never reverts the other edit; a field both changed
    must be chosen (`keep_<field>`) before it saves."""
    incident = _editor_incident(request, number)
    entry = _entry(incident, entry_id)
    zone = timezone.get_current_timezone()
    initial = {**selectors.entry_form_values(entry, zone), "based_on": entry.updated_at.isoformat()}
    form = EntryEditForm(request.POST or None, initial=initial, occurred_at=entry.occurred_at)
    merge: Merge | None = None
    message = ""
    current = entry
    posted_at: datetime | None = None  # the instant the posted time stands for
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        posted_at = data.get("occurred_at")
        fields = (
            selectors.SYSTEM_ENTRY_FORM_FIELDS if entry.source == "system" else selectors.ENTRY_FORM_FIELDS
        )
        try:
            based_on = _based_on(data.get("based_on"))
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            shown = selectors.entry_values_at(entry, based_on, zone) if based_on else dict(initial)
            mine = {k: data[k] for k in fields}
            if "when" in mine and not mine["when"]:
                mine["when"] = shown.get("when", initial["when"])  # an emptied time is not a new time
            if "kind" in mine and not mine["kind"]:
                mine["kind"] = shown.get("kind", entry.kind)
            missing = merging.apply_choices(request.POST, mine, shown, fields)
            if missing:
                merge = Merge(values=mine, conflicts={k: (mine[k], shown.get(k)) for k in missing})
                message = "Not saved: choose which value to keep for each field changed by both of you."
            else:
                try:
                    entry = svc.timeline_entry_edit(
                        entry=entry,
                        actor=request.user,
                        based_on=based_on,
                        **_entry_changes(entry, mine, shown, data),
                    )
                except svc.TimelineEntryConflict as exc:
                    current = exc.current
                    merge, message = merging.merged_after_conflict(
                        exc,
                        base=shown,
                        mine=mine,
                        current=selectors.entry_form_values(current, zone),
                    )
                except ValidationError as exc:
                    add_form_errors(form, exc)
                else:
                    return _entry_saved(request, incident, entry)
    status = 200 if request.method == "GET" else 422
    if merge is not None:
        form = EntryEditForm(
            initial={**merge.values, "based_on": current.updated_at.isoformat()},
            occurred_at=current.occurred_at,
        )
        # htmx swaps 422 answers in place (static/js/timeline.js); a plain form post gets the real 409.
        status = 422 if _is_htmx(request) else 409
    context = {
        **_entry_context(request, incident, editor=True),
        "entry": entry,
        "form": form,
        "is_system": entry.source == "system",
        # The entry's own day and its offset (CEST on a summer entry read in winter), not today's.
        "when_label": when_label((entry.occurred_at, entry.occurred_at)),
    }
    if merge is not None:
        # The time as the instants the two texts stand for, both shown in the reader's zone.
        context.update(
            current=current,
            conflict=message,
            differs=list(merge.conflicts),
            theirs=merge.theirs,
            must_choose=",".join(merge.conflicts),
            choices=merging.choice_wording(
                merge.conflicts, form, instants={"when": (posted_at, current.occurred_at)}
            ),
        )
    template = (
        "incidents/timeline/_timeline_edit.html"
        if _is_htmx(request)
        else "incidents/timeline/timeline_edit.html"
    )
    return render(request, template, context, status=status)


def _entry_saved(request: HttpRequest, incident: Incident, entry: TimelineEntry) -> HttpResponse:
    """After a save: back to the incident page (plain post), or the entry in place (htmx)."""
    twin = timeline_duplicate_of(entry) if entry.source != "system" else None
    if not _is_htmx(request):
        messages.success(request, "Entry saved.")
        if twin is not None:
            messages.warning(request, _duplicate_warning(twin, "this one"))
        return redirect(reverse("incidents:detail", args=[incident.number]) + f"#entry-{entry.pk}")
    entry = _entry(incident, entry.pk)
    context = {
        **_entry_context(request, incident, editor=True),
        "entry": entry,
        "edited_duplicate": _duplicate_warning(twin, "this one") if twin is not None else "",
    }
    return render(request, "incidents/timeline/_timeline_entry.html", context)


def _remove_or_restore(request: HttpRequest, number: int, entry_id: int, *, remove: bool) -> HttpResponse:
    incident = selectors.incident_for_timeline(request.user, number)
    entry = _entry(incident, entry_id)
    try:
        if remove:
            entry = svc.timeline_entry_remove(entry=entry, actor=request.user)
        else:
            entry = svc.timeline_entry_restore(entry=entry, actor=request.user)
    except ValidationError as exc:
        if _is_htmx(request):
            return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain")
        messages.error(request, " ".join(exc.messages))
        return redirect("incidents:detail", number=incident.number)
    if not _is_htmx(request):
        messages.success(request, "Entry removed." if remove else "Entry restored.")
        return redirect(reverse("incidents:detail", args=[incident.number]) + f"#entry-{entry.pk}")
    entry = _entry(incident, entry.pk)
    context = {**_entry_context(request, incident, editor=True), "entry": entry}
    return render(request, "incidents/timeline/_timeline_entry.html", context)


@login_required
@require_POST
def entry_remove(request: HttpRequest, number: int, entry_id: int) -> HttpResponse:
    """Soft-remove an entry (kept in history, shown struck out to editors)."""
    return _remove_or_restore(request, number, entry_id, remove=True)


@login_required
@require_POST
def entry_restore(request: HttpRequest, number: int, entry_id: int) -> HttpResponse:
    """Put a removed entry back."""
    return _remove_or_restore(request, number, entry_id, remove=False)


@login_required
@require_GET
def entry_history(request: HttpRequest, number: int, entry_id: int) -> HttpResponse:
    """Every version of one entry, newest first, with who changed it and when."""
    incident = selectors.incident_for_timeline(request.user, number)
    editor = can_record(request.user, incident)
    entry = _entry(incident, entry_id)
    if entry.removed_at and not editor:
        raise Http404("No such entry.")
    versions = list(entry.history.select_related("history_user").order_by("-history_date", "-history_id"))
    return render(
        request,
        "incidents/timeline/timeline_history.html",
        {"incident": incident, "entry": entry, "versions": versions},
    )


@login_required
@require_http_methods(["GET", "POST"])
def timeline_import_view(request: HttpRequest, number: int) -> HttpResponse:
    """Paste, preview with line numbers and duplicate flags, then import all or nothing."""
    incident = _editor_incident(request, number)
    user_zone = getattr(request.user, "time_zone", "UTC") or "UTC"
    form = TimelineImportForm(
        request.POST or None,
        request.FILES or None,
        initial={"format": "transcript", "zone": user_zone, "first_date": timezone.localdate()},
    )
    context: dict[str, Any] = {"incident": incident, "form": form}
    if request.method != "POST" or not form.is_valid():
        return render(
            request,
            "incidents/timeline/timeline_import.html",
            context,
            status=422 if request.method == "POST" else 200,
        )
    data = form.cleaned_data
    zone = zoneinfo.ZoneInfo(data["zone"])
    content = data["content"]
    if data["format"] == "slack":
        parsed = parse_slack(content)
    elif data["format"] == "csv":
        parsed = parse_csv(content, zone=zone)
    else:
        first_date = data.get("first_date") or timezone.localdate(timezone=zone)
        parsed = parse_transcript(content, zone=zone, first_date=first_date)
    refuse_future(parsed, now=timezone.now())
    duplicates = selectors.timeline_flag_duplicates(incident, parsed.rows)
    if "confirm" in request.POST and not parsed.problems:
        try:
            created = svc.timeline_import(
                incident=incident,
                actor=request.user,
                rows=parsed.rows,
                problems=parsed.problems,
                skip_duplicates=not data["include_duplicates"],
            )
        except svc.ImportRejected as exc:
            parsed.problems = exc.problems
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            skipped = len(parsed.rows) - len(created)
            messages.success(
                request,
                f"Imported {len(created)} entries"
                + (f"; skipped {skipped} duplicates" if skipped else "")
                + ".",
            )
            return redirect("incidents:detail", number=incident.number)
    context.update(
        {
            "preview": parsed,
            "preview_rows": [
                (
                    row,
                    describe(row.occurred_at, zone),
                    describe(row.occurred_at, timezone.get_current_timezone()),
                )
                for row in parsed.rows
            ],
            "duplicates": duplicates,
            "zone": zone,
            "content": content,
            "importable": len(parsed.rows) - (0 if data["include_duplicates"] else duplicates),
        }
    )
    return render(
        request, "incidents/timeline/timeline_import.html", context, status=422 if parsed.problems else 200
    )
