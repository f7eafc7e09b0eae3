"""What the action-item and policy-finding pages share: the detail page (`DetailPage`), answering a
versioned POST from it (`versioned_post`) and the edit page with its three-way merge on a conflict
(`EditPage`, `edit_page`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from incidents import merge as merging
from incidents.errors import add_form_errors
from incidents.followup import selectors as sel
from incidents.followup.forms import WorkForm
from incidents.followup.services.common import FollowupConflict
from incidents.permissions.checks import require_page


@dataclass(frozen=True)
class DetailPage:
    """A follow-through object's detail page `incidents:<name>_detail` (template
    `incidents/followup/<name>_detail.html`, the id in URL keyword `kwarg`): `load(user, id)` (404 for what
    they may not see) and `context(request, obj, **forms)`."""

    name: str
    kwarg: str
    load: Callable[[Any, int], Any]
    context: Callable[..., dict[str, Any]]

    @property
    def template(self) -> str:
        return f"incidents/followup/{self.name}_detail.html"

    @property
    def route(self) -> str:
        return f"incidents:{self.name}_detail"

    def show(self, request: HttpRequest, obj_id: int) -> HttpResponse:
        """The page for the viewer."""
        return render(request, self.template, self.context(request, self.load(request.user, obj_id)))


def _service_call(
    service: Callable[..., Any], key: str, user: Any, fields: tuple[str, ...]
) -> Callable[[Any, dict[str, Any]], Any]:
    """The `call` of `versioned_post` for a service that takes the object as keyword `key`, the acting
    `user`, `fields` of the form and the version the form was based on (`expected_version`)."""

    def call(obj: Any, data: dict[str, Any]) -> Any:
        values = {name: data[name] for name in fields}
        return service(**{key: obj}, actor=user, expected_version=data["version"], **values)

    return call


def versioned_view(
    page: DetailPage,
    form: type[forms.Form],
    form_key: str,
    service: Callable[..., Any],
    key: str,
    fields: tuple[str, ...],
    *,
    check: Callable[[Any, Any], None],
    **answer: Any,
) -> Callable[..., HttpResponse]:
    """The view of a POST from `page` (signed-in people, POST only): `check(user, obj)` (the service's
    `require_*` check) first, then `form` (shown on the page as `form_key`) is answered by
    `versioned_post` (`answer`: its `done`, `kept`, `invalid`), calling
    `service(<key>=obj, actor=, expected_version=, <fields of the form>)`."""

    @login_required
    @require_POST
    def view(request: HttpRequest, **kwargs: int) -> HttpResponse:
        call = _service_call(service, key, request.user, fields)
        obj_id = kwargs[page.kwarg]
        return versioned_post(
            request, page, obj_id, form(request.POST), form_key, call, check=check, **answer
        )

    return view


def versioned_post(
    request: HttpRequest,
    page: DetailPage,
    obj_id: int,
    form: forms.Form,
    form_key: str,
    call: Callable[[Any, dict[str, Any]], Any],
    *,
    check: Callable[[Any, Any], None],
    done: str,
    kept: str = "what you typed",
    invalid: str | None = None,
) -> HttpResponse:
    """A POST from the detail page: `check(user, obj)` before anything of the form is read (AccessDenied:
    403, or 404 for what the user may not see), then validate `form`, `call(obj, cleaned_data)`, then redirect back with
    `done`. An invalid form is the page again with its errors (400), or, with `invalid`, a redirect
    with that message; a stale version is the page with the current state and the form as typed (409,
    `kept` names what is kept); a ValidationError is the page with the errors by field (400). A refusal
    (AccessDenied) is answered by the error middleware: 403 for who sees the object, 404 for who does not."""
    obj = page.load(request.user, obj_id)
    check(request.user, obj)

    def again(status: int, **extra: Any) -> HttpResponse:
        current = page.load(request.user, obj_id)
        return render(
            request, page.template, page.context(request, current, **{form_key: form}, **extra), status=status
        )

    if not form.is_valid():
        if invalid is not None:
            messages.error(request, invalid)
            return redirect(page.route, **{page.kwarg: obj.pk})
        return again(400)
    try:
        call(obj, form.cleaned_data)
    except FollowupConflict as exc:
        form.add_error(None, f"{exc} The current state is shown below; {kept} is kept in the form.")
        return again(409, conflict=True)
    except ValidationError as exc:
        add_form_errors(form, exc)
        return again(400)
    messages.success(request, done)
    return redirect(page.route, **{page.kwarg: obj.pk})


@dataclass(frozen=True)
class EditPage:
    """The edit page of a follow-through object (template `incidents/followup/<page.name>_form.html`, the
    object in its context and in the call of `service` as keyword `key`): `form` edits its `FIELDS` plus
    the hidden `version` the editor loaded; `may_edit(user, obj)` (404 otherwise); `service(<key>=obj,
    actor=, expected_version=, **changes)` saves (FollowupConflict when stale, ValidationError by field);
    `done` is the message after saving; a field in `keep_if_empty` submitted empty keeps its stored value;
    `form_kwargs(user, obj)` are the form's extra keyword arguments (the editor, the item's incident and
    owner)."""

    page: DetailPage
    key: str
    form: type[WorkForm]
    may_edit: Callable[[Any, Any], bool]
    service: Callable[..., Any]
    done: str
    keep_if_empty: tuple[str, ...] = ()
    form_kwargs: Callable[[Any, Any], dict[str, Any]] = lambda user, obj: {}

    @property
    def template(self) -> str:
        return f"incidents/followup/{self.page.name}_form.html"

    @property
    def fields(self) -> tuple[str, ...]:
        return self.form.FIELDS

    def view(self) -> Callable[..., HttpResponse]:
        """The page's view (signed-in people; the object's id is the URL's `page.kwarg`)."""

        @login_required
        def view(request: HttpRequest, **kwargs: int) -> HttpResponse:
            return edit_page(request, self, kwargs[self.page.kwarg])

        return view


def _merge_page(
    request: HttpRequest, edit: EditPage, obj: Any, current: Any, merge: merging.Merge, message: str
) -> HttpResponse:
    """The edit form again after a conflict (409), based on `current`'s version (see incidents.merge)."""
    values = {k: getattr(v, "pk", v) for k, v in merge.values.items()}
    form = edit.form(
        initial={**values, "version": current.version}, **edit.form_kwargs(request.user, current)
    )
    context = {
        "form": form, edit.key: obj, "current": current, "differs": list(merge.conflicts),
        "theirs": merge.theirs, "must_choose": ",".join(merge.conflicts), "conflict": message,
        "choices": merging.choice_wording(merge.conflicts, form),
    }  # fmt: skip
    return render(request, edit.template, context, status=409)


def edit_page(request: HttpRequest, edit: EditPage, obj_id: int) -> HttpResponse:
    """GET: the form with the stored values. POST: save what changed at the version the form was based on.

    Saved over a version someone changed meanwhile, the form comes back (409) merged three ways with what
    is stored now: fields this editor did not change take the current value (a second editor's change is
    never reverted), fields both changed must be chosen (`keep_<field>`) before it saves. A ValidationError
    is the form again with the errors by field."""
    obj = edit.page.load(request.user, obj_id)
    require_page(edit.may_edit(request.user, obj), "You may read this but not change it.")
    initial = {k: getattr(obj, obj._meta.get_field(k).attname) for k in edit.fields}
    form = edit.form(
        request.POST or None,
        initial={**initial, "version": obj.version},
        **edit.form_kwargs(request.user, obj),
    )
    if request.method == "POST" and form.is_valid():
        changes = {k: form.cleaned_data[k] for k in edit.fields}
        for name in edit.keep_if_empty:
            if not changes[name]:
                changes[name] = getattr(obj, name)
        based_on = form.cleaned_data["version"]
        shown = sel.work_values_at(obj, based_on, edit.fields)
        missing = merging.apply_choices(request.POST, changes, shown, edit.fields)
        if missing:
            merge = merging.Merge(values=changes, conflicts={k: (changes[k], shown.get(k)) for k in missing})
            message = "Not saved: choose which value to keep for each field changed by both of you."
            return _merge_page(request, edit, obj, obj, merge, message)
        try:
            edit.service(**{edit.key: obj}, actor=request.user, expected_version=based_on, **changes)
        except ValidationError as exc:
            add_form_errors(form, exc)
        except FollowupConflict as exc:
            current = exc.current
            merge, message = merging.merged_after_conflict(
                exc, base=shown, mine=changes, current={k: getattr(current, k) for k in edit.fields}
            )
            return _merge_page(request, edit, obj, current, merge, message)
        else:
            messages.success(request, edit.done)
            return redirect(edit.page.route, **{edit.page.kwarg: obj.pk})
    return render(request, edit.template, {"form": form, edit.key: obj})
