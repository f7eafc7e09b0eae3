"""Per-request account middleware: the user's time zone, and required two-factor set-up."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from accounts.totp import totp_needed


class UserTimezoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(user.tzinfo)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class TwoFactorRequiredMiddleware:
    """Send a signed-in local account that must use two-factor sign-in, but has not set it up, to the setup
    page (pages only: the API and the sign-out, setup and static paths stay reachable)."""

    ALLOWED = ("/accounts/two-factor/", "/accounts/logout/", "/static/", "/api/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if totp_needed(user) and not request.path.startswith(self.ALLOWED):
            return redirect("accounts:two_factor")
        return self.get_response(request)
