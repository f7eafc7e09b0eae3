"""Email rendering: `templates/emails/<name>-subject.txt`, `-body.txt` and `-body.html`.

Every email has a text and an HTML part and links back to Hindsight through `SITE_URL`.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone


def absolute_url(path: str) -> str:
    """`SITE_URL` + `path` (a path starting with `/`)."""
    return settings.SITE_URL.rstrip("/") + path


def url_for(name: str, *args: Any) -> str:
    """Absolute URL of the named route. Raises NoReverseMatch for a route that does not exist: a link is
    never silently sent somewhere else (tests/incidents/test_routes.py checks every name used)."""
    return absolute_url(reverse(name, args=args))


def render_email(
    name: str, context: dict[str, Any], to: list[str], *, time_zone: str | None = None
) -> EmailMultiAlternatives:
    """Build the email `name` for `to` from its three templates, times shown in `time_zone` (the
    recipient's; the `recipient` or `user` in `context` when not given; UTC otherwise). The subject is
    one line, at most 200 characters. Raises TemplateDoesNotExist for an unknown `name`."""
    ctx = {"site_url": settings.SITE_URL, **context}
    person = context.get("recipient") or context.get("user")
    zone_name = time_zone or getattr(person, "time_zone", None) or "UTC"
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    with timezone.override(zone):
        subject = " ".join(render_to_string(f"emails/{name}-subject.txt", ctx).split())[:200]
        text = render_to_string(f"emails/{name}-body.txt", ctx)
        html = render_to_string(f"emails/{name}-body.html", ctx)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=to
    )
    message.attach_alternative(html, "text/html")
    return message
