"""A team's tracker settings: the adapters by kind, saving a connection (credentials encrypted), the
People mapping. Errors: ValidationError keyed by field, AccessDenied for anyone but the team's leads and admins."""

from __future__ import annotations

import re
import secrets
import urllib.parse
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from incidents.integrations.trackers.base import Tracker
from incidents.integrations.trackers.credentials import decrypt, encrypt
from incidents.integrations.trackers.github import GitHubTracker
from incidents.integrations.trackers.jira import JiraTracker
from incidents.integrations.trackers.models import TrackerConnection, TrackerKind
from incidents.integrations.trackers.redmine import PROJECT as REDMINE_PROJECT
from incidents.integrations.trackers.redmine import RedmineTracker
from incidents.outbound import OutboundRefused, guard_url
from incidents.permissions.checks import actor_user, require_manage_team

ADAPTERS: dict[str, type[Tracker]] = {
    TrackerKind.GITHUB: GitHubTracker,
    TrackerKind.JIRA: JiraTracker,
    TrackerKind.REDMINE: RedmineTracker,
}
# owner/name as GitHub allows them, never "." or ".." (a path, not a repository); matched whole (fullmatch).
GITHUB_PROJECT = re.compile(r"(?!\.{1,2}/)[A-Za-z0-9_.-]{1,100}/(?!\.{1,2}\Z)[A-Za-z0-9_.-]{1,100}")
JIRA_PROJECT = re.compile(r"[A-Z][A-Z0-9_]{0,49}")


def adapter_for(connection: TrackerConnection) -> Tracker:
    """The adapter of `connection`, with its token decrypted (CredentialUnreadable if the key changed)."""
    return ADAPTERS[connection.kind](
        site_url=connection.site_url,
        project=connection.project,
        token=decrypt(connection.token_encrypted),
        username=connection.username,
        issue_type=connection.issue_type,
    )


# --- Settings -------------------------------------------------------------------------------------------


def _validate_connection(kind: str, site_url: str, project: str, username: str) -> None:
    errors: dict[str, str] = {}
    if kind not in ADAPTERS:
        errors["kind"] = "Choose GitHub Issues, Jira Cloud or Redmine."
    try:
        guard_url(site_url, resolve=False)
    except OutboundRefused as exc:
        errors["site_url"] = str(exc)
    else:
        parts = urllib.parse.urlsplit(site_url)
        allowed = {str(t).lower() for t in getattr(settings, "OUTBOUND_ALLOWED_TARGETS", ())}
        if parts.scheme != "https" and parts.netloc.lower() not in allowed:
            errors["site_url"] = "Use an https:// address."
    if kind == TrackerKind.GITHUB and not GITHUB_PROJECT.fullmatch(project):
        errors["project"] = "Write the repository as owner/name."
    if kind == TrackerKind.REDMINE and not REDMINE_PROJECT.fullmatch(project):
        errors["project"] = "Write the Redmine project's identifier (small letters, digits, - and _)."
    if kind == TrackerKind.JIRA:
        if not JIRA_PROJECT.fullmatch(project):
            errors["project"] = "Write the Jira project key (capitals and digits, for example OPS)."
        if "@" not in username:
            errors["username"] = "Jira needs the email of the account the API token belongs to."
    if errors:
        raise ValidationError(errors)


def parse_user_map(text: str) -> dict[str, str]:
    """`login = email` lines into a dict; ValidationError keyed `user_map` naming a bad line."""
    mapping: dict[str, str] = {}
    for number, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        identity, sep, email = line.partition("=")
        identity, email = identity.strip(), email.strip().lower()
        if not sep or not identity or "@" not in email or len(identity) > 200 or len(email) > 254:
            raise ValidationError({"user_map": f"Line {number}: write `login = person@example.com`."})
        mapping[identity] = email
    return mapping


@transaction.atomic
def tracker_connection_save(
    *,
    actor: Any,
    team: Any,
    kind: str = TrackerKind.GITHUB,
    site_url: str = "https://api.github.com",
    project: str = "",
    username: str = "",
    issue_type: str = "Task",
    token: str = "",
    webhook_secret: str = "",
    user_map: Mapping[str, str] | None = None,
    auto_create_p1: bool = False,
    is_active: bool = True,
) -> tuple[TrackerConnection, str]:
    """Set `team`'s tracker (one per team); return `(connection, new_webhook_secret)`.

    The team's leads and admins only (AccessDenied). An empty `token` or `webhook_secret` keeps the
    stored one, except that changing the API address or the kind needs the token again (ValidationError
    keyed `token`: a stored token is never sent to a host it was not given for); a new connection needs a token, and gets a generated webhook secret when none is given:
    it is returned once (else ''), to be pasted into the tracker's webhook. Both are stored encrypted.
    ValidationError keyed by field for an unknown kind, a URL the outbound guard refuses, a malformed
    repository or project key.
    """
    require_manage_team(actor, getattr(team, "pk", None), "Only the team's leads and admins set its tracker.")
    site_url, project, username = (site_url or "").strip(), (project or "").strip(), (username or "").strip()
    _validate_connection(kind, site_url, project, username)
    connection = TrackerConnection.objects.select_for_update().filter(team=team).first()
    if connection is None and not token:
        raise ValidationError({"token": "Give the API token Hindsight uses to open issues."})
    moved = connection is not None and (
        connection.kind != kind or connection.site_url.rstrip("/").lower() != site_url.rstrip("/").lower()
    )
    if moved and not token:
        # The stored token was given for the old address: it is never sent to a new one.
        raise ValidationError(
            {
                "token": "A new API address or tracker needs its API token entered again (the stored one stays with the old)."
            }
        )
    shown = ""
    if connection is None and not webhook_secret:
        webhook_secret = shown = secrets.token_urlsafe(32)
    connection = connection or TrackerConnection(team=team, created_by=actor_user(actor))
    connection.kind, connection.site_url, connection.project = kind, site_url, project
    connection.username, connection.issue_type = username, (issue_type or "Task").strip()[:100]
    connection.user_map = dict(user_map or {})
    connection.auto_create_p1, connection.is_active = auto_create_p1, is_active
    if token:
        connection.token_encrypted = encrypt(token)
    if webhook_secret:
        connection.webhook_secret_encrypted = encrypt(webhook_secret)
    connection._history_user = actor_user(actor)  # type: ignore[attr-defined]  # simple-history
    connection.save()
    return connection, shown
