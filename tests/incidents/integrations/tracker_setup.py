"""The tracker tests' set-up, written once: trackers configured for a team, an item's linked issue, the
trackers' webhooks as they sign and send them, and the item page as a person reads it. The fixtures
`lead` (a lead of the team) and `tracker_server` (a recording server on loopback standing in for the
tracker's REST API) are in conftest.py, where pytest finds them.

Webhook payloads follow each tracker's documented shapes (GitHub "Webhook events and payloads: issues";
Jira "Webhooks: jira:issue_updated"), signed as the trackers sign them (HMAC-SHA256 of the raw body,
`sha256=<hex>`). Redmine sends no webhooks: its issues are answers to `GET /issues/{id}.json`.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import re
from typing import Any

from django.urls import reverse

from incidents.integrations.trackers.configuration import tracker_connection_save
from incidents.models import TimelineEntry, TrackerIssue
from tests.incidents.integrations import github_contract

SECRET = "whsec-tracker-0123456789"
TOKEN = "ghp_test_token_0123456789"
REDMINE_KEY = "redmine-api-key-0123456789abcdef"
EARLY = "2026-12-01T10:00:00Z"  # two tracker times, in order
LATE = "2026-12-01T10:05:00Z"
REDMINE_STATUSES = {"issue_statuses": [
    {"id": 1, "name": "New", "is_closed": False}, {"id": 2, "name": "In Progress", "is_closed": False},
    {"id": 3, "name": "Resolved", "is_closed": False}, {"id": 5, "name": "Closed", "is_closed": True},
    {"id": 6, "name": "Rejected", "is_closed": True},
]}  # fmt: skip
_STATUS_NAMES = {s["id"]: s["name"] for s in REDMINE_STATUSES["issue_statuses"]}


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# --- A team's tracker ----------------------------------------------------------------------------------


def github(team, lead, server, **extra):
    """GitHub for `team`, repository acme/web; octocat is the responder, cora-gh the commander."""
    connection, _ = tracker_connection_save(
        actor=lead, team=team, kind="github", site_url=server.url, project="acme/web", token=TOKEN,
        webhook_secret=SECRET, user_map={"octocat": "responder@example.com", "cora-gh": "commander@example.com"},
        **extra,
    )  # fmt: skip
    return connection


def jira(team, lead, server, **extra):
    """Jira Cloud for `team`, project OPS (people map by the email Jira sends)."""
    connection, _ = tracker_connection_save(
        actor=lead, team=team, kind="jira", site_url=server.url, project="OPS", username="bot@example.com",
        token="jira-api-token", webhook_secret=SECRET, **extra,
    )  # fmt: skip
    return connection


def redmine(team, lead, server):
    """Redmine for `team`, project ops; Redmine user 5 is the responder, 7 the commander."""
    connection, _ = tracker_connection_save(
        actor=lead, team=team, kind="redmine", site_url=server.url, project="ops", token=REDMINE_KEY,
        user_map={"5": "responder@example.com", "7": "commander@example.com"},
    )  # fmt: skip
    return connection


def linked(connection, item, number, **extra):
    """The item's GitHub issue acme/web#`number`, open and agreed with the item's owner (no due date)."""
    return TrackerIssue.objects.create(
        action_item=item, connection=connection, key=f"acme/web#{number}", external_id=str(number),
        url=f"https://github.com/acme/web/issues/{number}", seen={"status": "open", "owner": item.owner_id},
        agreed={"status": "open", "owner": item.owner_id, "due_date": None}, **extra,
    )  # fmt: skip


# --- What the trackers send ----------------------------------------------------------------------------


def github_hook(
    client, connection, action, number, *, state, reason=None, updated_at=None, assignee=None, delivery="d-1",
    secret=SECRET,
):  # fmt: skip
    """GitHub's `issues` event (`action` closed, reopened, assigned, unassigned), trimmed, for acme/web#`number`;
    `reason` is the issue's `state_reason`, `updated_at` its time (None: not sent)."""
    user = {"login": assignee, "id": 1, "type": "User"} if assignee else None
    issue = {
        "url": f"https://api.github.com/repos/acme/web/issues/{number}",
        "html_url": f"https://github.com/acme/web/issues/{number}", "number": number, "state": state,
        "state_reason": reason, "title": "Add a second check before destructive commands",
        "assignee": user, "assignees": [user] if user else [],
    }  # fmt: skip
    if updated_at is not None:
        issue["updated_at"] = updated_at
    payload = {
        "action": action, "issue": issue, "repository": {"id": 1296269, "name": "web", "full_name": "acme/web"},
        "sender": {"login": "octocat", "id": 1},
    }  # fmt: skip
    if action == "assigned":
        payload["assignee"] = user
    violations = github_contract.payload_violations(payload, strict=False)
    assert not violations, f"Not an issues {action} payload as GitHub describes it: {violations}"
    body = json.dumps(payload).encode()
    return client.post(
        reverse("incidents:tracker_webhook", args=[connection.pk]), data=body, content_type="application/json",
        HTTP_X_GITHUB_EVENT="issues", HTTP_X_GITHUB_DELIVERY=delivery, HTTP_X_HUB_SIGNATURE_256=sign(body, secret),
    )  # fmt: skip


_UNSET = object()
JIRA_RESOLUTIONS = {"Done": "10000", "Won't Do": "10001", "Duplicate": "10002", "Cannot Reproduce": "10003",
                    "Won't Fix": "10004"}  # fmt: skip


def jira_issue(
    key, *, category="new", status="To Do", assignee=None, due=None, updated=None, resolution=_UNSET
):
    """Jira's issue object ("Get issue", the webhook's `issue`), trimmed; `updated` None: not sent;
    `resolution` a resolution's name ("Won't Do"), None for unresolved (null), not given: not sent."""
    issue = {
        "id": "10002",
        "self": "https://acme.atlassian.net/rest/api/3/issue/10002",
        "key": key,
        "fields": {
            "status": {"name": status, "statusCategory": {"key": category, "name": status}},
            "assignee": assignee,
            "duedate": due,
            "summary": "Add a second check before destructive commands",
        },
    }
    if updated is not None:
        issue["fields"]["updated"] = updated
    if resolution is not _UNSET:
        issue["fields"]["resolution"] = resolution and {
            "self": f"https://acme.atlassian.net/rest/api/3/resolution/{JIRA_RESOLUTIONS[resolution]}",
            "id": JIRA_RESOLUTIONS[resolution], "description": "", "name": resolution,
        }  # fmt: skip
    return issue


def jira_hook(client, connection, key, items, *, delivery="j-1", **issue):
    """Jira's `jira:issue_updated` with a changelog of `items`; `issue` as `jira_issue` takes it."""
    payload = {
        "timestamp": 1764620000000,
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "user": {"accountId": "5b10a2844c20165700ede21g", "displayName": "Mia Krystof"},
        "issue": jira_issue(key, **issue),
        "changelog": {"id": "10100", "items": items},
    }
    body = json.dumps(payload).encode()
    return client.post(
        reverse("incidents:tracker_webhook", args=[connection.pk]), data=body, content_type="application/json",
        HTTP_X_ATLASSIAN_WEBHOOK_IDENTIFIER=delivery, HTTP_X_HUB_SIGNATURE=sign(body),
    )  # fmt: skip


def redmine_issue(status_id=1, *, assignee=None, due=None, updated=EARLY, subject="Add a check"):
    """`GET /issues/12.json` as Redmine 5.0 answers it (trimmed): no `assigned_to` when unassigned, a
    status without `is_closed`."""
    issue: dict[str, Any] = {
        "id": 12, "project": {"id": 1, "name": "Ops"}, "tracker": {"id": 1, "name": "Bug"},
        "status": {"id": status_id, "name": _STATUS_NAMES[status_id]}, "priority": {"id": 2, "name": "Normal"},
        "subject": subject, "description": "", "start_date": "2026-12-01", "due_date": due,
        "done_ratio": 0, "created_on": "2026-12-01T09:00:00Z", "updated_on": updated,
    }  # fmt: skip
    if assignee:
        issue["assigned_to"] = {"id": assignee, "name": "Someone"}
    return {"issue": issue}


# --- What a person sees and does -----------------------------------------------------------------------


def entries(incident) -> list[str]:
    """The incident's timeline entries' text, oldest first."""
    return list(TimelineEntry.objects.filter(incident=incident).order_by("id").values_list("body", flat=True))


def page_text(response) -> str:
    """A page's text as a person reads it: tags dropped, entities read, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def item_page_text(web, item) -> str:
    return page_text(web.get(reverse("incidents:action_item_detail", args=[item.pk])))


def settle_form(web, item, field) -> dict[str, str]:
    """The hidden fields of the settle form for `field` as the item page shows them now."""
    page = web.get(reverse("incidents:action_item_detail", args=[item.pk])).content.decode()
    block = page.split(f'id="tracker-conflict-{field}"', 1)[1].split("</form>", 1)[0]
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', block))
    return {k: html.unescape(v) for k, v in hidden.items()}


def settle(web, item, field, keep, **kwargs):
    """Choose on the item page as a person does ("Keep Hindsight's": `keep="hindsight"`, else "tracker")."""
    return web.post(
        reverse("incidents:action_item_tracker_conflict", args=[item.pk]),
        {**settle_form(web, item, field), "keep": keep}, **kwargs,
    )  # fmt: skip
