"""What the action-item and policy-finding pages share: answering a versioned POST from the detail page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from incidents.errors import add_form_errors
from incidents.followup.services.common import FollowupConflict


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


def versioned_post(
    request: HttpRequest,
    page: DetailPage,
    obj_id: int,
    form: forms.Form,
    form_key: str,
    call: Callable[[Any, dict[str, Any]], Any],
    *,
    done: str,
    kept: str = "what you typed",
    invalid: str | None = None,
) -> HttpResponse:
    """A POST from the detail page: validate `form`, `call(obj, cleaned_data)`, then redirect back with
    `done`. An invalid form is the page again with its errors (400), or, with `invalid`, a redirect
    with that message; a stale version is the page with the current state and the form as typed (409,
    `kept` names what is kept); a ValidationError is the page with the errors by field (400). A refusal
    (AccessDenied) is answered by the error middleware: 403 for who sees the object, 404 for who does not."""
    obj = page.load(request.user, obj_id)

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
