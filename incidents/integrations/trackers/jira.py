"""Jira Cloud (REST API v3): create an issue, read its state, the `jira:issue_updated` webhook.

Requests: `POST /rest/api/3/issue` with `fields` (`project.key`, `summary`, `issuetype.name`,
`description` in Atlassian Document Format, `duedate` `YYYY-MM-DD`, `assignee.accountId`); `GET
/rest/api/3/issue/{key}?fields=status,assignee,duedate,resolution,updated,summary`; `PUT
/rest/api/3/issue/{key}` with `fields.duedate` or `fields.summary`; `GET /rest/api/3/search/jql` (to find
an issue a create that got no answer opened); basic authentication with the account's email
and an API token. An issue is closed when its status is in the `done` status category. Admin webhooks
with a secret send `X-Hub-Signature` (`sha256=` + hex HMAC-SHA256 of the raw body) and
`X-Atlassian-Webhook-Identifier` (the same on every retry of one delivery). The issue's `updated`
orders the states read; a resolution such as "Won't Do" or "Duplicate" closes it without the work done.
"""

from __future__ import annotations

import base64
import re
import urllib.parse
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from incidents.integrations.trackers.base import (
    ABSENT,
    IssueChange,
    IssueDraft,
    IssueState,
    NewIssue,
    SignatureInvalid,
    Tracker,
    TrackerError,
    WebhookUpdate,
    hmac_sha256_matches,
    identity,
    link_line,
    mapping,
    parse_due_date,
    parse_time,
    text_or_none,
)

ISSUE_KEY = re.compile(r"[A-Z][A-Z0-9_]{0,49}-[1-9][0-9]{0,17}")
# Resolutions of Jira's default schemes that close an issue without the work done.
NOT_DONE = {"won't do": "not_planned", "won't fix": "not_planned", "cannot reproduce": "not_planned",
            "incomplete": "not_planned", "duplicate": "duplicate"}  # fmt: skip
READ_FIELDS = "status,assignee,duedate,resolution,updated,summary"
CHANGES = {"status": "status", "resolution": "status", "assignee": "owner", "duedate": "due_date"}


def adf(*paragraphs: str, link: str = "") -> dict[str, Any]:
    """An Atlassian Document Format document: one paragraph per text, then the link back (as a link mark)."""
    content: list[dict[str, Any]] = [
        {"type": "paragraph", "content": [{"type": "text", "text": p}]} for p in paragraphs if p.strip()
    ]
    if link:
        content.append(
            {
                "type": "paragraph",
                "content": [
                    {"type": "text", "text": link_line("")},
                    {"type": "text", "text": link, "marks": [{"type": "link", "attrs": {"href": link}}]},
                ],
            }
        )
    return {"type": "doc", "version": 1, "content": content}


class JiraTracker(Tracker):
    kind = "jira"
    label = "Jira"
    has_due_date = True
    delivery_header = "X-Atlassian-Webhook-Identifier"

    def credentials(self) -> dict[str, str]:
        basic = base64.b64encode(f"{self.username}:{self.token}".encode()).decode()
        return {"Authorization": f"Basic {basic}"}

    def create_issue(self, draft: IssueDraft) -> NewIssue:
        fields: dict[str, Any] = {
            "project": {"key": self.project},
            "summary": draft.title[:255],
            "issuetype": {"name": self.issue_type},
            "description": adf(draft.description, link=draft.link),
        }
        if draft.due_date:
            fields["duedate"] = draft.due_date.isoformat()
        if draft.assignee:
            fields["assignee"] = {"accountId": draft.assignee}
        answer = self.send("POST", f"{self.site_url}/rest/api/3/issue", {"fields": fields})
        key = str(answer.get("key") or "") if isinstance(answer, dict) else ""
        if not ISSUE_KEY.fullmatch(key):
            raise TrackerError("Jira's answer has no issue key.")
        return NewIssue(
            key=key, external_id=str(answer.get("id") or key), url=f"{self.site_url}/browse/{key}"
        )

    def find_issue(self, link: str, since: datetime) -> NewIssue | None:
        """ "Search for issues using JQL (enhanced search)": the project's issues whose description has
        the link as a phrase, oldest first; the first whose description (Atlassian Document Format)
        carries exactly that link (text search matches loosely, so each is checked). `since` is not put
        into the JQL, whose times are in the Jira user's own zone: the link names one item only."""
        phrase = link.replace("\\", "\\\\").replace('"', '\\"')
        jql = f'project = "{self.project}" AND description ~ "\\"{phrase}\\"" ORDER BY created ASC'
        query = urllib.parse.urlencode({"jql": jql, "fields": "description", "maxResults": 20})
        answer = mapping(self.send("GET", f"{self.site_url}/rest/api/3/search/jql?{query}"))
        for issue in answer.get("issues") or []:
            issue = mapping(issue)
            key = str(issue.get("key") or "")
            if ISSUE_KEY.fullmatch(key) and link in _links(mapping(issue.get("fields")).get("description")):
                return NewIssue(
                    key=key, external_id=str(issue.get("id") or key), url=f"{self.site_url}/browse/{key}"
                )
        return None

    def fetch_state(self, key: str, external_id: str) -> IssueState:
        url = f"{self.site_url}/rest/api/3/issue/{urllib.parse.quote(key, safe='')}?fields={READ_FIELDS}"
        return self._state(key, self.get_object(url))

    def update_issue(self, key: str, external_id: str, change: IssueChange) -> None:
        issue_url = f"{self.site_url}/rest/api/3/issue/{urllib.parse.quote(key, safe='')}"
        if change.field == "owner":
            self.send("PUT", f"{issue_url}/assignee", {"accountId": change.assignee or None})
        elif change.field == "due_date":
            due = change.due_date.isoformat() if change.due_date else None
            self.send("PUT", issue_url, {"fields": {"duedate": due}})
        elif change.field == "title":
            self.send("PUT", issue_url, {"fields": {"summary": change.title[:255]}})
        else:
            self.send(
                "POST",
                f"{issue_url}/transitions",
                {"transition": {"id": self._transition(key, change.closed)}},
            )

    def _transition(self, key: str, closed: bool) -> str:
        """The id of a transition the issue offers now into the `done` status category (`closed`) or out of
        it (to `new` first, else `indeterminate`). TrackerError when the workflow offers none."""
        answer = self.send(
            "GET", f"{self.site_url}/rest/api/3/issue/{urllib.parse.quote(key, safe='')}/transitions"
        )
        offered = [t for t in mapping(answer).get("transitions") or [] if isinstance(t, dict) and t.get("id")]

        def category(t: dict[str, Any]) -> str:
            return str(mapping(mapping(t.get("to")).get("statusCategory")).get("key") or "")

        wanted = ["done"] if closed else ["new", "indeterminate"]
        for name in wanted:
            for t in offered:
                if category(t) == name:
                    return str(t["id"])
        goal = "a done status" if closed else "an open status"
        raise TrackerError(f"Jira's workflow offers no transition of {key} to {goal}.")

    @staticmethod
    def _state(key: str, issue: Mapping[str, Any], resolved_as: str | None = None) -> IssueState:
        """The typed reader of Jira's issue object ("Get issue", the webhook's `issue`): `closed` from the
        status category (`new`, `indeterminate`: open; `done`: closed; missing, another key or the wrong
        type: None, no information); the due date only when `fields.duedate` is sent (null: none; a string
        that is not a date, or another type: a warning, Hindsight keeps its own); the assignee only when
        `fields.assignee` is a person object (null: nobody). The resolution's name is `fields.resolution.name`,
        else `resolved_as` (a webhook's changelog `toString` for `resolution`, when the issue has no such field)."""
        fields = mapping(issue.get("fields"))
        status = mapping(fields.get("status"))
        category = text_or_none(mapping(status.get("statusCategory")).get("key"))
        closed = {"new": False, "indeterminate": False, "done": True}.get(category or "")
        due, invalid = parse_due_date(fields.get("duedate"))
        assignee = fields.get("assignee", ABSENT)
        if "resolution" in fields:
            resolved_as = text_or_none(mapping(fields.get("resolution")).get("name"))
        resolution = (resolved_as or "").replace("\u2019", "'").lower()  # Won’t Do as Won't Do
        return IssueState(
            key=key,
            closed=closed,
            status=(text_or_none(status.get("name")) or "") if closed is not None else "",
            assignee=None if assignee is ABSENT else identity(assignee, "accountId"),
            assignee_email=text_or_none(mapping(assignee).get("emailAddress")) or "",
            due_date=due,
            close_reason=NOT_DONE.get(resolution, "") if closed else "",
            due_date_invalid=invalid,
            updated_at=parse_time(fields.get("updated")),
            due_date_known="duedate" in fields and not invalid,
            title=text_or_none(fields.get("summary")),
        )

    @staticmethod
    def verify(secret: str, headers: Mapping[str, str], body: bytes) -> None:
        if not hmac_sha256_matches(secret, body, headers.get("X-Hub-Signature", "")):
            raise SignatureInvalid("X-Hub-Signature is missing or does not match the webhook secret.")

    def parse_webhook(self, headers: Mapping[str, str], payload: Any) -> list[WebhookUpdate]:
        if not isinstance(payload, dict) or payload.get("webhookEvent") != "jira:issue_updated":
            return []
        issue = payload.get("issue")
        changelog = payload.get("changelog")
        if not isinstance(issue, dict) or not isinstance(changelog, dict) or not issue.get("key"):
            return []
        items = changelog.get("items")
        if not isinstance(items, list):
            return []
        changed = {
            CHANGES[str(i.get("field") or i.get("fieldId"))]
            for i in items
            if isinstance(i, dict) and str(i.get("field") or i.get("fieldId")) in CHANGES
        }
        if not changed:
            return []
        resolved_as = next(
            (text_or_none(i.get("toString")) for i in reversed(items)
             if isinstance(i, dict) and str(i.get("field") or i.get("fieldId")) == "resolution"),
            None,
        )  # fmt: skip
        state = self._state(str(issue["key"]), issue, resolved_as)
        return [WebhookUpdate(state=state, changed=frozenset(changed))]


def _links(node: Any, depth: int = 0) -> set[str]:
    """Every link of an Atlassian Document Format node: the `href` of its link marks and its texts."""
    if depth > 30 or not isinstance(node, dict | list):
        return set()
    if isinstance(node, list):
        return {link for n in node for link in _links(n, depth + 1)}
    found = {str(m["attrs"].get("href")) for m in node.get("marks") or []
             if isinstance(m, dict) and m.get("type") == "link" and isinstance(m.get("attrs"), dict)}  # fmt: skip
    if isinstance(node.get("text"), str):
        found.add(node["text"])
    return found | _links(node.get("content"), depth + 1)
