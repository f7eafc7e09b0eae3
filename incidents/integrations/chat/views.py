"""Chat endpoints: Slack's slash command and interactivity (message shortcut) requests, Mattermost's slash
command and its declare dialog. Each is authenticated by the chat server's own proof (no session, no CSRF token): Slack's
`X-Slack-Signature` over `v0:<timestamp>:<body>` with the signing secret, checked by `slack_sdk`'s
SignatureVerifier, which also refuses a timestamp more than five minutes away, and a request whose
signature was taken before (replays within those minutes); Mattermost's
command token; for Mattermost's dialog submission (which Mattermost does not sign) the `state` Hindsight
signed when it opened the dialog. A refused request gets 401 and nothing is stored."""

from __future__ import annotations

import contextlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict, RawPostDataException
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from slack_sdk.signature import SignatureVerifier

from incidents.integrations.chat.clients import (
    DECLARE_CALLBACK,
    ChatError,
    MattermostClient,
    SlackClient,
    dialog_state_read,
)
from incidents.integrations.chat.models import ChatProvider
from incidents.integrations.chat.services import (
    ChatContext,
    Reply,
    chat_command,
    chat_dialog_declare,
    chat_message_capture,
    chat_request_first_time,
)

MAX_BODY_BYTES = 200_000
SHORTCUT = "add_to_timeline"


def _body(request: HttpRequest) -> bytes | None:
    try:
        body = request.body
    except RawPostDataException:  # a multipart upload, already read: chat servers send url-encoded forms
        return None
    return body if len(body) <= MAX_BODY_BYTES else None


def _slack_verified(request: HttpRequest, body: bytes) -> bool:
    secret = str(getattr(settings, "SLACK_SIGNING_SECRET", "") or "")
    if not secret:
        return False
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    if not SignatureVerifier(secret).is_valid(body=body, timestamp=timestamp, signature=signature):
        return False
    return chat_request_first_time(signature=signature)  # the same signed request twice: a replay


def _refused() -> JsonResponse:
    return JsonResponse({"detail": "The request's signature or timestamp is not valid."}, status=401)


def _answer(reply: Reply) -> JsonResponse:
    return JsonResponse({"response_type": "in_channel" if reply.public else "ephemeral", "text": reply.text})


def _form(body: bytes) -> QueryDict:
    return QueryDict(body.decode("utf-8", errors="replace"))


@csrf_exempt
@require_POST
def slack_command(request: HttpRequest) -> HttpResponse:
    """Slack's `/incident` slash command (url-encoded form: team_id, channel_id, user_id, text, ...)."""
    body = _body(request)
    if body is None or not _slack_verified(request, body):
        return _refused()
    form = _form(body)
    workspace = form.get("team_id", "")[:100]
    context = ChatContext(
        provider=ChatProvider.SLACK, workspace=workspace, channel_id=form.get("channel_id", "")[:100],
        channel_name=form.get("channel_name", "")[:200], team_name=form.get("team_domain", "")[:100],
        user_id=form.get("user_id", "")[:100], client=SlackClient(workspace),
        trigger_id=form.get("trigger_id", "")[:200],
    )  # fmt: skip
    return _answer(chat_command(context=context, text=form.get("text", "")[:4000]))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@csrf_exempt
@require_POST
def slack_interactivity(request: HttpRequest) -> HttpResponse:
    """Slack's interactivity requests: the "Add to timeline" message shortcut (`message_action`)."""
    body = _body(request)
    if body is None or not _slack_verified(request, body):
        return _refused()
    try:
        payload = json.loads(_form(body).get("payload", ""))
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        return JsonResponse({"detail": "Expected a `payload` field with JSON."}, status=400)
    payload = _dict(payload)
    if payload.get("type") == "view_submission":
        return _declare_submitted(payload)
    if payload.get("type") != "message_action" or payload.get("callback_id") != SHORTCUT:
        return HttpResponse(status=200)
    team, channel, user, message = (_dict(payload.get(k)) for k in ("team", "channel", "user", "message"))
    workspace = str(team.get("id") or "")[:100]
    client = SlackClient(workspace)
    context = ChatContext(
        provider=ChatProvider.SLACK, workspace=workspace, channel_id=str(channel.get("id") or "")[:100],
        channel_name=str(channel.get("name") or "")[:200], team_name=str(team.get("domain") or "")[:100],
        user_id=str(user.get("id") or "")[:100], client=client,
    )  # fmt: skip
    reply = chat_message_capture(
        context=context, author_id=str(message.get("user") or "")[:100],
        message_ts=str(message.get("ts") or "")[:40], text=str(message.get("text") or "")[:20_000],
    )  # fmt: skip
    # The entry is recorded either way; Slack shows no answer to a shortcut without this message.
    with contextlib.suppress(ChatError):
        client.tell(context.channel_id, context.user_id, reply.text)
    return HttpResponse(status=200)


def _declare_submitted(payload: dict[str, Any]) -> HttpResponse:
    """The declare modal's submission: 200 closes it; `response_action: errors` shows field errors."""
    view = _dict(payload.get("view"))
    if view.get("callback_id") != DECLARE_CALLBACK:
        return HttpResponse(status=200)
    try:
        where = _dict(json.loads(str(view.get("private_metadata") or "{}")))
    except (ValueError, RecursionError):
        where = {}
    values = _dict(_dict(view.get("state")).get("values"))
    title = _dict(_dict(values.get("title")).get("title")).get("value")
    option = _dict(_dict(_dict(values.get("severity")).get("severity")).get("selected_option"))
    team, user = _dict(payload.get("team")), _dict(payload.get("user"))
    workspace = str(team.get("id") or "")[:100]
    context = ChatContext(
        provider=ChatProvider.SLACK, workspace=workspace, channel_id=str(where.get("channel_id") or "")[:100],
        channel_name=str(where.get("channel_name") or "")[:200], team_name=str(team.get("domain") or "")[:100],
        user_id=str(user.get("id") or "")[:100], client=SlackClient(workspace),
    )  # fmt: skip
    errors = chat_dialog_declare(
        context=context, title=str(title or "")[:200], severity=str(option.get("value") or "")
    )
    if errors:
        return JsonResponse({"response_action": "errors", "errors": errors})
    return HttpResponse(status=200)


@csrf_exempt
@require_POST
def mattermost_command(request: HttpRequest) -> HttpResponse:
    """Mattermost's slash command, authenticated by its token (`MATTERMOST_COMMAND_TOKEN`, compared in
    constant time)."""
    body = _body(request)
    expected = str(getattr(settings, "MATTERMOST_COMMAND_TOKEN", "") or "")
    if body is None or not expected:
        return _refused()
    form = _form(body)
    sent = form.get("token", "") or request.headers.get("Authorization", "").removeprefix("Token ").strip()
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        return _refused()
    workspace = form.get("team_id", "")[:100]
    context = ChatContext(
        provider=ChatProvider.MATTERMOST, workspace=workspace, channel_id=form.get("channel_id", "")[:100],
        channel_name=form.get("channel_name", "")[:200], team_name=form.get("team_domain", "")[:100],
        user_id=form.get("user_id", "")[:100], client=MattermostClient(workspace),
        trigger_id=form.get("trigger_id", "")[:200],
    )  # fmt: skip
    return _answer(chat_command(context=context, text=form.get("text", "")[:4000]))


@csrf_exempt
@require_POST
def mattermost_dialog(request: HttpRequest) -> HttpResponse:
    """The declare dialog's submission (Mattermost's `SubmitDialogRequest`, JSON). Mattermost signs
    nothing here: the dialog's `state`, signed by Hindsight when it opened the dialog, must be valid, less
    than an hour old and name the same person, team and channel as the submission, else 401 and nothing
    is stored. Answers `{"errors": {field: message}}` to show field errors, `{}` to close the dialog."""
    body = _body(request)
    try:
        payload = _dict(json.loads(body or b""))
    except (ValueError, RecursionError):
        return JsonResponse({"detail": "Expected a JSON dialog submission."}, status=400)
    if payload.get("cancelled"):
        return JsonResponse({})
    where = dialog_state_read(str(payload.get("state") or ""))
    who = (
        str(payload.get("user_id") or ""),
        str(payload.get("team_id") or ""),
        str(payload.get("channel_id") or ""),
    )
    if where is None or not where["u"] or (where["u"], where["t"], where["c"]) != who:
        return _refused()
    if payload.get("callback_id") != DECLARE_CALLBACK:
        return JsonResponse({})
    submission = _dict(payload.get("submission"))
    context = ChatContext(
        provider=ChatProvider.MATTERMOST, workspace=where["t"][:100], channel_id=where["c"][:100],
        channel_name=where["n"][:200], team_name=where["d"][:100], user_id=where["u"][:100],
        client=MattermostClient(where["t"][:100]),
    )  # fmt: skip
    errors = chat_dialog_declare(
        context=context,
        title=str(submission.get("title") or "")[:200],
        severity=str(submission.get("severity") or ""),
    )
    return JsonResponse({"errors": errors} if errors else {})
