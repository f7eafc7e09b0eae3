"""The 500 handler: a database that is down or restarting gives a clean 503 (retry later), not a 500.

Django calls `handler500` inside its exception handler, so `sys.exc_info()` still holds the exception.
A lost or refused database connection is transient: the response says so, with `Retry-After`, and
nothing was saved by the failed request (each service is one transaction). Other errors get the
ordinary 500 page, with no traceback, SQL or settings.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

RETRY_AFTER_SECONDS = 15


def _database_unavailable() -> bool:
    exc = sys.exc_info()[1]
    while exc is not None:
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def server_error(request: HttpRequest) -> HttpResponse:
    """Render 503 (with Retry-After) when the database is unavailable, else the plain 500 page."""
    api = request.path.startswith("/api/")
    if _database_unavailable():
        if api:
            response: HttpResponse = JsonResponse(
                {"detail": "The database is unavailable for a moment; nothing was saved. Retry shortly."},
                status=503,
            )
        else:
            response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if api:
        return JsonResponse({"detail": "Server error."}, status=500)
    return HttpResponse(loader.get_template("500.html").render(), status=500)
