"""Hindsight's one error family, and how pages answer it.

Services raise these (field errors stay Django's `ValidationError`, keyed by field):

- `HindsightError`: the base; catch it to handle every error of Hindsight's own.
- `ConflictError`: a write based on an older version of a row. `current` is the stored row (a model
  instance; the API renders it with the row's serializer) so the client can merge and retry.
  `IncidentConflict`, `TimelineEntryConflict`, `FollowupConflict`, `PostmortemConflict` and the API's
  `VersionConflict` are subclasses.
- `TransitionError`: a state change the lifecycle does not allow (resolving a closed incident). It is
  also a `ValidationError` keyed `status`, so forms show it beside the field and the API answers 400.
- `AccessDenied`: the actor may not do this. `visible` says whether the actor may see the object at all;
  also a Django `PermissionDenied`.

The mappings, one for pages (`ErrorPageMiddleware`, below) and one for the API
(`incidents.api.errors.exception_handler`):

| error                          | page                              | API                                   |
| ------------------------------ | --------------------------------- | ------------------------------------- |
| AccessDenied, visible=False    | 404, the same page as not found   | 404 `{"detail": "Not found."}`        |
| AccessDenied, visible=True     | 403 with the refusal's message    | 403 `{"detail": message}`             |
| ConflictError (view let it go) | 409 with the message              | 409 `{"detail", "current"}`           |
| TransitionError, ValidationError | the view shows it on its form   | 400 `{field: [messages]}`             |
| OverflowError, DataError       | 400 "out of range"                | 400 `{"non_field_errors": [...]}`     |

Views that have a better answer (an edit form shown again with both texts on a conflict) catch the
error themselves; the middleware is the answer for everything they let through. A number or time beyond
what the database stores (a form's choice of id 10**30) is the request's fault, not the server's: 400.
Forms show a service's ValidationError with `add_form_errors`, the one mapping from error to form;
`save_form` is the settings pages' round of it (validate, save through one service, flash, redirect).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.template import loader


class HindsightError(Exception):
    """Base of every error Hindsight raises on purpose (field errors are Django's ValidationError)."""


class ConflictError(HindsightError):
    """The row changed since the caller read it; nothing was saved.

    `current` is the stored state (a model instance, or an already rendered representation), so the
    caller can show both versions and retry against it.
    """

    default_message = "Someone else changed this since you loaded it; nothing was saved."

    def __init__(self, current: Any, message: str | None = None) -> None:
        super().__init__(message or self.default_message)
        self.current = current


class TransitionError(HindsightError, ValidationError):
    """A status change the lifecycle does not allow; a ValidationError keyed by field (usually `status`)."""


class AccessDenied(HindsightError, PermissionDenied):
    """The actor may not do this.

    `visible` is whether the actor may see the object at all: False is answered as "not found" (404), so
    a refusal never confirms that something hidden exists; True is answered 403 with `message`.
    """

    def __init__(self, message: str, *, visible: bool) -> None:
        super().__init__(message)
        self.message = message
        self.visible = visible


class ErrorPageMiddleware:
    """The page mapping of the error family (see the module docstring); one place for every view."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, AccessDenied):
            if not exception.visible:
                # Raised here, Django answers it with handler404: the same page as for a missing row.
                raise Http404("No such page.") from exception
            return _page(request, "403.html", exception.message, 403)
        if isinstance(exception, ConflictError):
            return _page(request, "409.html", str(exception), 409)
        if isinstance(exception, ValidationError):
            return _page(request, "400.html", " ".join(exception.messages), 400)
        if isinstance(exception, OverflowError | DataError):
            return _page(request, "400.html", OUT_OF_RANGE, 400)
        return None


OUT_OF_RANGE = "A number or time in the request is out of range."


def add_form_errors(
    form: forms.BaseForm, exc: ValidationError, *, rename: dict[str, str] | None = None
) -> None:
    """Show a service's ValidationError on `form`: each message beside its field (`rename` maps a service's
    field name to the form's), messages for fields the form does not have, or without a field, at the top."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, texts in exc.message_dict.items():
        name = (rename or {}).get(name, name)
        form.add_error(name if name in form.fields else None, texts)


T = TypeVar("T")


def save_form(
    request: HttpRequest,
    form: forms.BaseForm,
    save: Callable[[dict[str, Any]], T],
    *,
    success: str | Callable[[T], str],
    then: Callable[[T], HttpResponse],
    denied: tuple[str | None, str] | None = None,
) -> HttpResponse | None:
    """Validate `form`, run `save(cleaned_data)` (one service), flash `success` and answer `then(saved)`
    (a redirect). None when the form is invalid or the service refused its values: their messages are
    on `form` (`add_form_errors`), and the caller renders the form again (400). `denied` is the
    `(field, message)` shown when the service raises PermissionDenied (a choice the actor may not make);
    without it PermissionDenied goes to the error pages."""
    if not form.is_valid():
        return None
    try:
        saved = save(form.cleaned_data)
    except ValidationError as exc:
        add_form_errors(form, exc)
        return None
    except PermissionDenied:
        if denied is None:
            raise
        form.add_error(*denied)
        return None
    messages.success(request, success(saved) if callable(success) else success)
    return then(saved)


def _page(request: HttpRequest, template: str, message: str, status: int) -> HttpResponse:
    body = loader.get_template(template).render({"exception": message}, request)
    return HttpResponse(body, status=status)
