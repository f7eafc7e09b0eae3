"""One shape for the small POST-and-redirect actions (change status, reopen, confirm an effect, ...)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect


def post_action(
    request: HttpRequest,
    form: forms.Form,
    call: Callable[[dict[str, Any]], Any],
    *,
    invalid: str,
    success: str | Callable[[dict[str, Any]], str],
    back: HttpResponse | str,
) -> HttpResponse:
    """Validate `form`, run `call(cleaned_data)` (one service), flash the outcome and redirect to `back`.

    An invalid form flashes `invalid`; a ValidationError from the service flashes its messages; a
    PermissionDenied from the service is a 404, like everything a user may not touch.
    """
    if not form.is_valid():
        messages.error(request, invalid)
    else:
        try:
            call(form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, success(form.cleaned_data) if callable(success) else success)
    return back if isinstance(back, HttpResponse) else redirect(back)
