"""Authentication for alert intake: the integration's own token (`Authorization: Bearer hsi_…`).

An integration token authenticates only its integration's intake endpoint (its scope); a person's session
or API token there gets 403, and a request without credentials 401.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.request import Request

from incidents.integrations.models import AlertIntegration
from incidents.integrations.services.configuration import alert_integration_authenticate


class IntegrationTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer hsi_…` → `request.auth` is the AlertIntegration (the user stays anonymous)."""

    def authenticate(self, request: Request) -> tuple[Any, AlertIntegration] | None:
        header = authentication.get_authorization_header(request).split()
        if len(header) != 2 or header[0].lower() not in (b"bearer", b"token"):
            return None
        raw = header[1].decode(errors="replace")
        if not raw.startswith(AlertIntegration.TOKEN_PREFIX):
            return None  # a person's token: the next authenticator handles it
        integration = alert_integration_authenticate(raw)
        if integration is None:
            raise exceptions.AuthenticationFailed("Unknown or switched-off integration token.")
        return AnonymousUser(), integration

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="alert-intake"'


class IsIntegrationOfKind(permissions.BasePermission):
    """Only an integration of the view's `kind` may post here (its token's scope)."""

    message = (
        "Alert intake takes an alert integration's token (hsi_…), not a person's session or API token; "
        "create an integration under Settings → Alert integrations."
    )

    def has_permission(self, request: Request, view: Any) -> bool:
        integration = request.auth
        if not isinstance(integration, AlertIntegration):
            return False
        if integration.kind != getattr(view, "kind", None):
            self.message = (
                f"This token belongs to a {integration.get_kind_display()} integration; post to its endpoint."
            )
            return False
        return True


class IntegrationRateThrottle(throttling.SimpleRateThrottle):
    """Throttle per integration (per client address before authentication)."""

    scope = "integration"

    def get_rate(self) -> str:
        return getattr(settings, "HINDSIGHT_API_THROTTLE_RATE", "600/min")

    def get_cache_key(self, request: Request, view: Any) -> str:
        if isinstance(request.auth, AlertIntegration):
            ident = f"integration-{request.auth.pk}"
        else:
            ident = f"addr-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class IntegrationTokenScheme(OpenApiAuthenticationExtension):
    target_class = "incidents.integrations.auth.IntegrationTokenAuthentication"
    name = "integrationToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An alert integration's token (Settings → Alert integrations): `Bearer hsi_…`.",
        }
