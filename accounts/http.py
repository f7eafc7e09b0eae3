"""The request type of views that only signed-in users reach."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import User


class AuthenticatedRequest(HttpRequest):
    """What a `login_required` view receives: `request.user` is a signed-in `User`, never `AnonymousUser`.

    Only an annotation (django-stubs' recommended pattern): Django still passes its own `HttpRequest`.
    """

    user: User
