"""The blameless check as a quiet hint wherever people write (timeline entries, contributing factors, action
items, policy findings, meeting notes): `static/js/blameless.js` posts the text as the writer pauses and
shows the answer under the field. It never blocks what the form does.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from incidents.review import blameless

MAX_HINT_CHARS = 20_000


@login_required
@require_POST
def blameless_hint(request: HttpRequest) -> HttpResponse:
    """HTMX/fetch: the findings for `text` (at most 20,000 characters are checked), as a small fragment."""
    text = request.POST.get("text", "")[:MAX_HINT_CHARS]
    findings = blameless.check_text(text, names=blameless.system_names()) if text.strip() else []
    return render(request, "incidents/review/_blameless_hint.html", {"findings": findings})
