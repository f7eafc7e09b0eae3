"""Reading what Django's test outbox caught."""

from __future__ import annotations

from django.core.mail import EmailMessage, EmailMultiAlternatives


def html_part(message: EmailMessage) -> str:
    """The one `text/html` alternative of `message`; fails the test when there is none or several."""
    assert isinstance(message, EmailMultiAlternatives), "the email has no HTML part"
    parts = [content for content, mimetype in message.alternatives if mimetype == "text/html"]
    assert len(parts) == 1, f"expected one text/html part, found {len(parts)}"
    assert isinstance(parts[0], str)
    return parts[0]
