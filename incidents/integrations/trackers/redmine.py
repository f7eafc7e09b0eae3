"""Redmine (REST API, 5.x): create an issue, read its state, set a field. No webhooks: Redmine has none
without a plugin, so its issues are read by the sweep (`TRACKER_RECONCILE_SECONDS`) and Hindsight's own
changes are pushed on save as for the other trackers.

Requests, authenticated with `X-Redmine-API-Key`: `POST /issues.json` with `issue` (`project_id` the
project's identifier, `subject`, `description`, `assigned_to_id`, `due_date` `YYYY-MM-DD`); `GET
/issues/{id}.json`; `GET /issues.json` (to find an issue a create that got no answer opened); `PUT /issues/{id}.json` with `issue.status_id`, `assigned_to_id`, `due_date` or
`subject`; `GET /issue_statuses.json` (which statuses close an issue). An issue is closed when its
status `is_closed`; the status "Rejected" closes it without the work done. Its `updated_on` orders the
states read. People are Redmine user ids (`assigned_to.id`), mapped under People (`5 = person@…`).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from incidents.integrations.trackers.base import (
    ABSENT,
    LOOK_BACK_SECONDS,
    IssueChange,
    IssueDraft,
    IssueState,
    NewIssue,
    SignatureInvalid,
    Tracker,
    TrackerError,
    WebhookUpdate,
    link_line,
    mapping,
    parse_due_date,
    parse_time,
    text_or_none,
    whole_number,
)

PROJECT = re.compile(r"[a-z][a-z0-9_-]{0,99}")  # a Redmine project identifier
NOT_DONE = {"rejected": "not_planned", "won't do": "not_planned", "duplicate": "duplicate"}


class RedmineTracker(Tracker):
    kind = "redmine"
    label = "Redmine"
    has_due_date = True

    def credentials(self) -> dict[str, str]:
        return {"X-Redmine-API-Key": self.token}

    def _issue_url(self, external_id: str) -> str:
        return f"{self.site_url}/issues/{urllib.parse.quote(external_id, safe='')}.json"

    def create_issue(self, draft: IssueDraft) -> NewIssue:
        body = draft.description.strip()
        issue: dict[str, Any] = {
            "project_id": self.project,
            "subject": draft.title[:255],
            "description": (body + "\n\n" if body else "") + link_line(draft.link),
        }
        if draft.assignee.isdigit():
            issue["assigned_to_id"] = int(draft.assignee)
        if draft.due_date:
            issue["due_date"] = draft.due_date.isoformat()
        answer = mapping(
            mapping(self.send("POST", f"{self.site_url}/issues.json", {"issue": issue})).get("issue")
        )
        number = whole_number(answer.get("id"))
        if number is None or number <= 0:
            raise TrackerError("Redmine's answer has no issue id.")
        return NewIssue(
            key=f"{self.project}#{number}", external_id=str(number), url=f"{self.site_url}/issues/{number}"
        )

    def find_issue(self, link: str, since: datetime) -> NewIssue | None:
        """`GET /issues.json` of the project, open or closed, created since `since`, oldest first (at most
        100): the first whose description has the link line."""
        after = (since - timedelta(seconds=LOOK_BACK_SECONDS)).astimezone(UTC).replace(
            microsecond=0, tzinfo=None
        ).isoformat() + "Z"
        query = urllib.parse.urlencode(
            {
                "project_id": self.project,
                "status_id": "*",
                "created_on": f">={after}",
                "sort": "id",
                "limit": 100,
            }
        )
        answer = mapping(self.send("GET", f"{self.site_url}/issues.json?{query}"))
        line = link_line(link)
        for issue in answer.get("issues") or []:
            issue = mapping(issue)
            number = whole_number(issue.get("id"))
            text = (text_or_none(issue.get("description")) or "").replace("\r\n", "\n")
            if number is not None and number > 0 and line in text.splitlines():
                return NewIssue(
                    key=f"{self.project}#{number}",
                    external_id=str(number),
                    url=f"{self.site_url}/issues/{number}",
                )
        return None

    def fetch_state(self, key: str, external_id: str) -> IssueState:
        issue = self.get_object(self._issue_url(external_id)).get("issue")
        if not isinstance(issue, dict):
            raise TrackerError("Redmine's answer is not an issue.")
        state = self._state(key, issue)
        status_id = whole_number(mapping(issue.get("status")).get("id"))
        if state.closed is None and status_id is not None:  # Redmine before 5.1 leaves out `is_closed`
            closed = {s["id"]: s["is_closed"] for s in self._statuses()}.get(status_id)
            if closed is not None:
                reason = NOT_DONE.get(state.status.lower(), "") if closed else ""
                state = replace(state, closed=closed, close_reason=reason)
        return state

    def _statuses(self) -> list[dict[str, Any]]:
        """The issue statuses as `{id, name, is_closed}`, in Redmine's order."""
        answer = mapping(self.send("GET", f"{self.site_url}/issue_statuses.json"))
        found = []
        for s in answer.get("issue_statuses") or []:
            s = mapping(s)
            if whole_number(s.get("id")) is not None and isinstance(s.get("is_closed"), bool):
                found.append({"id": s["id"], "name": str(s.get("name") or ""), "is_closed": s["is_closed"]})
        return found

    def _status_for(self, change: IssueChange) -> int:
        """A status id that closes (for good, or as not planned) or reopens an issue. TrackerError when
        Redmine has none."""
        statuses = self._statuses()
        if not change.closed:
            wanted = [s for s in statuses if not s["is_closed"]]
        else:
            closing = [s for s in statuses if s["is_closed"]]
            rejected = [s for s in closing if s["name"].lower() in NOT_DONE]
            wanted = (
                (rejected or closing) if change.not_planned else [s for s in closing if s not in rejected]
            )
            wanted = wanted or closing
        if not wanted:
            raise TrackerError(
                f"Redmine has no status that {'closes' if change.closed else 'reopens'} an issue."
            )
        return int(wanted[0]["id"])

    def update_issue(self, key: str, external_id: str, change: IssueChange) -> None:
        fields: dict[str, Any]
        if change.field == "status":
            fields = {"status_id": self._status_for(change)}
        elif change.field == "owner":
            fields = {"assigned_to_id": int(change.assignee) if change.assignee.isdigit() else ""}
        elif change.field == "title":
            fields = {"subject": change.title[:255]}
        else:
            fields = {"due_date": change.due_date.isoformat() if change.due_date else ""}
        self.send("PUT", self._issue_url(external_id), {"issue": fields})

    @staticmethod
    def _state(key: str, issue: Mapping[str, Any]) -> IssueState:
        """The typed reader of Redmine's issue (`GET /issues/{id}.json`): `closed` from the status's
        `is_closed` (absent or not a boolean: None); the assignee's user id, nobody when Redmine leaves
        `assigned_to` out (it does for an unassigned issue), None when it is of the wrong type; the due
        date only when `due_date` is sent (null: none)."""
        status = mapping(issue.get("status"))
        is_closed = status.get("is_closed")
        closed = is_closed if isinstance(is_closed, bool) else None
        name = text_or_none(status.get("name")) or ""
        assigned = issue.get("assigned_to", ABSENT)
        if assigned is ABSENT or assigned is None:
            assignee: str | None = ""
        else:
            number = whole_number(mapping(assigned).get("id"))
            assignee = str(number) if number is not None else None
        due, invalid = parse_due_date(issue.get("due_date"))
        return IssueState(
            key=key,
            closed=closed,
            status=name,
            assignee=assignee,
            due_date=due,
            close_reason=NOT_DONE.get(name.lower(), "") if closed else "",
            due_date_invalid=invalid,
            updated_at=parse_time(issue.get("updated_on")),
            due_date_known="due_date" in issue and not invalid,
            title=text_or_none(issue.get("subject")),
        )

    @staticmethod
    def verify(secret: str, headers: Mapping[str, str], body: bytes) -> None:
        raise SignatureInvalid("Redmine sends no webhooks: Hindsight reads its issues in the sweep.")

    def parse_webhook(self, headers: Mapping[str, str], payload: Any) -> list[WebhookUpdate]:
        return []
