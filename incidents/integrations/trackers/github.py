"""GitHub Issues (REST API `2022-11-28`): create an issue, read its state, the `issues` webhook.

Requests: `POST /repos/{owner}/{repo}/issues` with `title`, `body`, `assignees`; `GET
/repos/{owner}/{repo}/issues?since=...` (to find an issue a create that got no answer opened); `GET
/repos/{owner}/{repo}/issues/{number}`; `PATCH /repos/{owner}/{repo}/issues/{number}` with `state` and
`state_reason` (`completed`, `not_planned`, `reopened`), `assignees` or `title` ("Update an issue"); headers `Accept: application/vnd.github+json`,
`Authorization: Bearer <token>`, `X-GitHub-Api-Version: 2022-11-28`. GitHub has no due date: it is
written in the issue's body. Webhooks: `X-GitHub-Event: issues` with `action` closed / reopened /
assigned / unassigned, `X-GitHub-Delivery` (a GUID per delivery), `X-Hub-Signature-256`
(`sha256=` + hex HMAC-SHA256 of the raw body keyed with the webhook's secret). An issue's
`state_reason` `not_planned` or `duplicate` means closed without the work done; its `updated_at` orders
the states read (a late webhook or an old read is ignored).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from incidents.integrations.trackers.base import (
    CLOSE_REASONS,
    LOOK_BACK_SECONDS,
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
    parse_time,
    text_or_none,
    whole_number,
)

API_VERSION = "2022-11-28"
CHANGES = {"closed": "status", "reopened": "status", "assigned": "owner", "unassigned": "owner"}


class GitHubTracker(Tracker):
    kind = "github"
    label = "GitHub"
    delivery_header = "X-GitHub-Delivery"

    accept = "application/vnd.github+json"

    def credentials(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "X-GitHub-Api-Version": API_VERSION}

    def _repo_url(self, project: str = "") -> str:
        owner, _, repo = (project or self.project).partition("/")
        return (
            f"{self.site_url}/repos/{urllib.parse.quote(owner, safe='')}/{urllib.parse.quote(repo, safe='')}"
        )

    def _issue_url(self, key: str, external_id: str) -> str:
        """The issue's address from its stored key (`owner/repo#12`: the repository it was opened in, even
        if the team's repository changed since) and number."""
        repo = key.rpartition("#")[0] or self.project
        return f"{self._repo_url(repo)}/issues/{urllib.parse.quote(external_id, safe='')}"

    def create_issue(self, draft: IssueDraft) -> NewIssue:
        body = draft.description.strip()
        extra = [link_line(draft.link)]
        if draft.due_date:
            extra.append(f"Due: {draft.due_date.isoformat()}")
        request: dict[str, Any] = {
            "title": draft.title,
            "body": (body + "\n\n---\n" if body else "") + "\n".join(extra),
        }
        if draft.assignee:
            request["assignees"] = [draft.assignee]
        answer = self.send("POST", f"{self._repo_url()}/issues", request)
        number = whole_number(answer.get("number")) if isinstance(answer, dict) else None
        if number is None or number <= 0:
            raise TrackerError("GitHub's answer has no issue number.")
        return NewIssue(
            key=f"{self.project}#{number}",
            external_id=str(number),
            url=str(answer.get("html_url") or ""),
        )

    def find_issue(self, link: str, since: datetime) -> NewIssue | None:
        """ "List repository issues" updated since `since` (an issue opened then was updated then too;
        GitHub's issue search is left alone: its index lags behind a new issue by up to minutes), newest
        first, at most 100; the oldest whose body has the link line (pull requests are skipped)."""
        after = (since - timedelta(seconds=LOOK_BACK_SECONDS)).astimezone(UTC).replace(
            microsecond=0, tzinfo=None
        ).isoformat() + "Z"
        query = urllib.parse.urlencode(
            {"state": "all", "since": after, "sort": "created", "direction": "desc", "per_page": 100}
        )
        answer = self.send("GET", f"{self._repo_url()}/issues?{query}")
        line = link_line(link)
        found = [
            number
            for issue in (answer if isinstance(answer, list) else [])
            if isinstance(issue, dict) and "pull_request" not in issue
            and line in (text_or_none(issue.get("body")) or "").splitlines()
            and (number := whole_number(issue.get("number")) or 0) > 0
        ]  # fmt: skip
        if not found:
            return None
        number = min(found)
        return NewIssue(
            key=f"{self.project}#{number}",
            external_id=str(number),
            url=next(
                str(i.get("html_url") or "")
                for i in answer
                if isinstance(i, dict) and i.get("number") == number
            ),
        )

    def fetch_state(self, key: str, external_id: str) -> IssueState:
        return self._state(key, self.get_object(self._issue_url(key, external_id)))

    def update_issue(self, key: str, external_id: str, change: IssueChange) -> None:
        if change.field == "status":
            body: dict[str, Any] = (
                {"state": "closed", "state_reason": "not_planned" if change.not_planned else "completed"}
                if change.closed
                else {"state": "open", "state_reason": "reopened"}
            )
        elif change.field == "owner":
            body = {"assignees": [change.assignee] if change.assignee else []}
        elif change.field == "title":
            body = {"title": change.title}
        else:
            raise TrackerError("GitHub issues have no due date.")
        self.send("PATCH", self._issue_url(key, external_id), body)

    @staticmethod
    def _state(key: str, issue: Mapping[str, Any]) -> IssueState:
        """The typed reader of GitHub's issue object ("Get an issue", the `issues` webhook's `issue`): a
        `state` that is missing or not "open"/"closed" says nothing (`closed` None), an `assignee` that
        is missing or not a user object says nothing (None), null is nobody; without `assignee`, the
        first of `assignees` (`[]`: nobody)."""
        state = text_or_none(issue.get("state"))
        closed = {"open": False, "closed": True}.get(state or "")
        reason = text_or_none(issue.get("state_reason")) or ""
        reason = reason if closed and reason in CLOSE_REASONS else ""
        return IssueState(
            key=key,
            closed=closed,
            status=(f"closed as {reason.replace('_', ' ')}" if reason else str(state))
            if closed is not None
            else "",
            assignee=identity(issue["assignee"], "login") if "assignee" in issue else _first(issue),
            close_reason=reason,
            updated_at=parse_time(issue.get("updated_at")),
            title=text_or_none(issue.get("title")),
        )

    @staticmethod
    def verify(secret: str, headers: Mapping[str, str], body: bytes) -> None:
        if not hmac_sha256_matches(secret, body, headers.get("X-Hub-Signature-256", "")):
            raise SignatureInvalid("X-Hub-Signature-256 is missing or does not match the webhook secret.")

    def parse_webhook(self, headers: Mapping[str, str], payload: Any) -> list[WebhookUpdate]:
        if headers.get("X-GitHub-Event") != "issues" or not isinstance(payload, dict):
            return []
        changed = CHANGES.get(str(payload.get("action")))
        issue = payload.get("issue")
        repo = payload.get("repository") or {}
        if changed is None or not isinstance(issue, dict) or not isinstance(repo, dict):
            return []
        if str(repo.get("full_name") or "").lower() != self.project.lower():
            return []
        key = f"{self.project}#{issue.get('number')}"
        return [WebhookUpdate(state=self._state(key, issue), changed=frozenset({changed}))]


def _first(issue: Mapping[str, Any]) -> str | None:
    """The first login of the issue's `assignees` list ('' for an empty list: nobody), None when the
    list is missing or not a list of user objects."""
    assignees = issue.get("assignees")
    if not isinstance(assignees, list):
        return None
    if not assignees:
        return ""
    return identity(assignees[0], "login") if isinstance(assignees[0], dict) else None
