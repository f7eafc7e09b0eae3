"""API authentication, token scopes and per-token throttling.

Clients send `Authorization: Bearer hst_…` (the word `Token` is accepted too), or use the browser's session
(`SessionAuthentication` here, the only session authenticator the API uses: a session whose account must
still set up two-factor sign-in gets 403, as its pages send it to the set-up page). A read-only token may
only use safe methods (GET, HEAD, OPTIONS); anything else gets 403. Requests are throttled per token
(per user for a browser session, per address when anonymous) at `HINDSIGHT_API_THROTTLE_RATE`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.request import Request

from accounts.models import ApiToken
from accounts.tokens import api_token_authenticate
from accounts.totp import totp_needed
from incidents.integrations.models import AlertIntegration


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication (CSRF checked on unsafe methods), refusing a session whose account is
    required to use two-factor sign-in and has not set it up (PermissionDenied, 403)."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is not None and totp_needed(result[0]):
            raise exceptions.PermissionDenied(
                "Your account must use two-factor sign-in: set it up at /accounts/two-factor/ first."
            )
        return result


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Authenticate `Authorization: Bearer <secret>`; `request.auth` is the `ApiToken`."""

    keywords = ("bearer", "token")

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode(errors="replace") not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the header as `Authorization: Bearer <token>`.")
        try:
            raw = header[1].decode()
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("The token contains invalid characters.") from exc
        if raw.startswith(AlertIntegration.TOKEN_PREFIX):
            raise exceptions.PermissionDenied(
                "This is an alert integration's token: it only posts alerts to its integration's endpoint "
                "(/api/v1/integrations/<sender>/). Use a person's API token (hst_…) for the rest of the API."
            )
        token = api_token_authenticate(raw)
        if token is None:
            raise exceptions.AuthenticationFailed("Unknown, revoked or deactivated token.")
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class TokenScopePermission(permissions.BasePermission):
    """Refuse unsafe methods to read-only tokens (403); sessions and read-write tokens pass."""

    message = "This API token is read-only; create a read-write token on your profile page to make changes."

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        if isinstance(token, ApiToken) and token.read_only:
            return request.method in permissions.SAFE_METHODS
        return True


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Throttle per API token; per user for sessions; per client address when anonymous."""

    scope = "token"

    def get_rate(self) -> str:
        return getattr(settings, "HINDSIGHT_API_THROTTLE_RATE", "600/min")

    def get_cache_key(self, request: Request, view: Any) -> str:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.key_hash[:24]}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"addr-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "incidents.api.auth.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from your profile page: `Authorization: Bearer hst_…`.",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "incidents.api.auth.SessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
