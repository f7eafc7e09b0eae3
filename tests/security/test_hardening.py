"""Deployment hardening: production settings, headers, error pages, CSRF and templates without inline code."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import path, reverse

from incidents.models import Incident

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "HINDSIGHT_ENV": "production",
    "SECRET_KEY": "prod-test-" + "k3y-" * 16,
    "ALLOWED_HOSTS": "hindsight.example.com",
    "DEBUG": "false",
}


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DEBUG"}}
    base["HINDSIGHT_VAR_DIR"] = str(Path(settings.VAR_DIR))
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_settings():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_without_a_secret_key_refuses_to_start_with_a_clear_message():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when HINDSIGHT_ENV=production" in result.stderr


def test_production_refuses_a_short_secret_key():
    result = _run(["manage.py", "check"], {**PRODUCTION_ENV, "SECRET_KEY": "short"})
    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr


def test_security_event_retention_below_a_year_refuses_to_start():
    result = _run(["manage.py", "check"], {"SECURITY_EVENT_RETENTION_DAYS": "30"})
    assert result.returncode != 0
    assert "SECURITY_EVENT_RETENTION_DAYS must be at least 366" in result.stderr


def test_production_settings_turn_on_hsts_and_secure_cookies():
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.DEBUG, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_SSL_REDIRECT]))"
    )
    result = _run(["-c", code], PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    debug, hsts, session_secure, csrf_secure, ssl_redirect = __import__("json").loads(
        result.stdout.splitlines()[-1]
    )
    assert debug is False
    assert hsts >= 31536000
    assert session_secure
    assert csrf_secure
    assert ssl_redirect


def test_debug_is_off_unless_asked():
    code = "import django; django.setup(); from django.conf import settings as s; print(s.DEBUG)"
    result = _run(["-c", code], {"HINDSIGHT_ENV": "development"})
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_pages_send_csp_without_inline_script_and_the_other_headers(client_for, responder):
    response = client_for(responder).get(reverse("incidents:dashboard"))
    csp = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert "'unsafe-inline'" not in directives.get("style-src", "")
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_session_and_csrf_cookies_are_http_only_and_same_site(responder):
    client = Client()
    client.get(reverse("accounts:login"))
    client.post(reverse("accounts:login"), {"username": responder.email, "password": "pw-for-tests-123"})
    session = client.cookies[settings.SESSION_COOKIE_NAME]
    csrf = client.cookies[settings.CSRF_COOKIE_NAME]
    assert session["httponly"]
    assert session["samesite"] == "Lax"
    assert csrf["httponly"]
    assert csrf["samesite"] == "Lax"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"""\sstyle\s*=\s*["']""", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.IGNORECASE)
STYLE_BLOCK = re.compile(r"<style[\s>]", re.IGNORECASE)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)


def _templates() -> list[Path]:
    dirs = [ROOT / "templates", *(ROOT / app / "templates" for app in ("accounts", "incidents"))]
    return sorted(p for d in dirs if d.exists() for p in d.rglob("*.html"))


@pytest.mark.parametrize("template", _templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_template_has_no_inline_script_style_or_handlers(template: Path):
    text = template.read_text()
    if "emails/" in str(template):
        # Email HTML is not served under our CSP and mail clients need inline styles; scripts stay banned.
        checks = [INLINE_SCRIPT, INLINE_HANDLER, JS_URL]
    else:
        checks = [INLINE_SCRIPT, INLINE_STYLE, INLINE_HANDLER, STYLE_BLOCK, JS_URL]
    found = [rx.pattern for rx in checks if rx.search(text)]
    assert not found, f"{template.relative_to(ROOT)} has inline code the CSP would block: {found}"


def _boom(request):
    raise RuntimeError("SELECT secret FROM settings -- SECRET_KEY=leaky")


urlpatterns = [path("boom/", _boom), *__import__("config.urls", fromlist=["urlpatterns"]).urlpatterns]


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_a_server_error_shows_a_plain_page_without_traceback_sql_or_settings(client_for, responder):
    client = client_for(responder)
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    for leak in ("Traceback", "RuntimeError", "SELECT", "SECRET_KEY", "leaky", settings.SECRET_KEY):
        assert leak not in body


@override_settings(DEBUG=False)
def test_not_found_page_is_ours_and_says_nothing_about_why(client_for, responder):
    response = client_for(responder).get("/incidents/424242/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Not found" in body
    assert "Traceback" not in body
    assert "urlpatterns" not in body


def test_503_template_renders_alone():
    from django.template.loader import render_to_string

    html = render_to_string("503.html")
    assert "unavailable" in html.lower()


def test_csrf_is_enforced_on_session_form_writes(responder, incident):
    client = Client(enforce_csrf_checks=True)
    client.force_login(responder, backend="django.contrib.auth.backends.ModelBackend")
    url = reverse("incidents:timeline_quick_add", args=[incident.number])
    refused = client.post(url, {"body": "forged entry", "kind": "note"})
    assert refused.status_code == 403
    assert "This form has expired" in refused.content.decode()
    assert not incident.timeline_entries.filter(body="forged entry").exists()

    page = client.get(reverse("incidents:detail", args=[incident.number]))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    accepted = client.post(url, {"body": "real entry", "kind": "note", "csrfmiddlewaretoken": token})
    assert accepted.status_code == 302
    assert incident.timeline_entries.filter(body="real entry").exists()


def test_csrf_is_enforced_on_declare_and_sign_out_everywhere(responder):
    client = Client(enforce_csrf_checks=True)
    client.force_login(responder, backend="django.contrib.auth.backends.ModelBackend")
    assert client.post(reverse("incidents:declare"), {"title": "x", "severity": "SEV1"}).status_code == 403
    assert client.post(reverse("accounts:sign_out_everywhere")).status_code == 403
    assert not Incident.objects.filter(title="x").exists()
    assert client.get(reverse("accounts:profile")).status_code == 200
