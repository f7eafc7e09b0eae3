"""Chat endpoints: Slack's slash command and interactivity (message shortcut) requests, Mattermost's slash
command and its declare dialog. Each is authenticated by the chat server's own proof (no session, no CSRF token): Slack's
`X-Slack-Signature` over `v0:<timestamp>:<body>` with the signing secret, checked by `slack_sdk`'s
SignatureVerifier, which also refuses a timestamp more than five minutes away, and a request whose
signature was taken before (replays within those minutes); Mattermost's
command token, plus its `trigger_id` (which carries the user and the time Mattermost made it: a trigger
more than five minutes old, for someone else, or seen before is a replay); for Mattermost's dialog submission (which Mattermost does not sign) the `state` Hindsight
signed when it opened the dialog (Slack's modal carries the same in `private_metadata`). A refused
request gets 401 and nothing is stored. Every chat API call made while answering shares one budget well
under Slack's 3 s (`clients.answer_deadline`)."""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import hmac
import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict, RawPostDataException
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from slack_sdk.signature import SignatureVerifier

from incidents.integrations.chat.clients import (
    DECLARE_CALLBACK,
    DIALOG_MAX_AGE_SECONDS,
    ChatError,
    MattermostClient,
    SlackClient,
    answer_deadline,
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
    chat_request_forget,
)

MAX_BODY_BYTES = 200_000
SHORTCUT = "add_to_timeline"


TOO_LARGE = f"The request is larger than Hindsight takes from a chat server ({MAX_BODY_BYTES // 1000} KB)."


class BodyTooLarge(Exception):
    """A body over MAX_BODY_BYTES (or over Django's DATA_UPLOAD_MAX_MEMORY_SIZE, which would otherwise
    answer an HTML 400 the chat server cannot show): each endpoint answers 413 in its own protocol."""


def _body(request: HttpRequest) -> bytes | None:
    """The raw body; None for a multipart upload (already read: chat servers send url-encoded forms or
    JSON). BodyTooLarge over MAX_BODY_BYTES."""
    try:
        body = request.body
    except RawPostDataException:
        return None
    except RequestDataTooBig as exc:
        raise BodyTooLarge from exc
    if len(body) > MAX_BODY_BYTES:
        raise BodyTooLarge
    return body


def _too_large(view: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """Answer a BodyTooLarge in the chat server's protocol: the message as the command's ephemeral text
    (Slack and Mattermost show `text`), and Mattermost's dialog `error`."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest) -> HttpResponse:
        try:
            return view(request)
        except BodyTooLarge:
            return JsonResponse(
                {"response_type": "ephemeral", "text": TOO_LARGE, "error": TOO_LARGE, "detail": TOO_LARGE},
                status=413,
            )

    return wrapped


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
@_too_large
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
        user_id=form.get("user_id", "")[:100], client=SlackClient(workspace, deadline=answer_deadline()),
        trigger_id=form.get("trigger_id", "")[:200],
    )  # fmt: skip
    return _answer(chat_command(context=context, text=form.get("text", "")[:4000]))


def _text(value: Any, limit: int) -> Any:
    """A text field as sent: a string cut to `limit`, None as '', anything else passed on to be refused."""
    if value is None:
        return ""
    return value[:limit] if isinstance(value, str) else value


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _told(client: SlackClient, payload: dict[str, Any], channel: str, user: str, text: str) -> JsonResponse:
    """Tell the person who used a shortcut `text`, ephemeral: through chat.postEphemeral, else (the bot
    is not in that channel, Slack refused) the interaction's `response_url`. The answer itself carries
    the text too. Every path of a shortcut ends here, so nobody is left without an answer."""
    try:
        client.tell(channel, user, text)
    except ChatError:
        with contextlib.suppress(ChatError):
            client.respond(str(payload.get("response_url") or ""), text)
    return JsonResponse({"response_type": "ephemeral", "text": text})


@csrf_exempt
@require_POST
@_too_large
def slack_interactivity(request: HttpRequest) -> HttpResponse:
    """Slack's interactivity requests: the "Add to timeline" message shortcut (`message_action`), the
    declare modal's submission (`view_submission`). A shortcut always gets an answer the person sees."""
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
    team, channel, user, message = (_dict(payload.get(k)) for k in ("team", "channel", "user", "message"))
    workspace = str(team.get("id") or "")[:100]
    client = SlackClient(workspace, deadline=answer_deadline())
    channel_id, user_id = str(channel.get("id") or "")[:100], str(user.get("id") or "")[:100]
    if payload.get("type") != "message_action" or payload.get("callback_id") != SHORTCUT:
        return _told(client, payload, channel_id, user_id, "Hindsight does not know this action.")
    context = ChatContext(
        provider=ChatProvider.SLACK, workspace=workspace, channel_id=channel_id,
        channel_name=str(channel.get("name") or "")[:200], team_name=str(team.get("domain") or "")[:100],
        user_id=user_id, client=client,
    )  # fmt: skip
    reply = chat_message_capture(
        context=context, author_id=str(message.get("user") or "")[:100],
        message_ts=str(message.get("ts") or "")[:40], text=_text(message.get("text"), 20_000),
    )  # fmt: skip
    return _told(client, payload, channel_id, user_id, reply.text)


def _declare_submitted(payload: dict[str, Any]) -> HttpResponse:
    """The declare modal's submission: 200 closes it; `response_action: errors` shows field errors.
    `private_metadata` must be the state Hindsight signed when it opened the modal, for this person in
    this workspace, less than an hour ago; else the modal says so and nothing is declared. A modal
    declares once: submitted again (a retry, a replay signed anew), it says so and declares nothing."""
    view = _dict(payload.get("view"))
    if view.get("callback_id") != DECLARE_CALLBACK:
        return HttpResponse(status=200)
    team, user = _dict(payload.get("team")), _dict(payload.get("user"))
    workspace = str(team.get("id") or "")[:100]
    where = dialog_state_read(str(view.get("private_metadata") or ""))
    if where is None or not where["u"] or (where["u"], where["t"]) != (str(user.get("id") or ""), workspace):
        return _field_errors({"title": "This form was not opened by Hindsight for you here: "
                                       "type `/incident declare` again."})  # fmt: skip
    # One declare per modal opened: claimed (on its signed state, made once per opening) before anything
    # is declared, so the same submission sent again, even signed anew, declares nothing a second time;
    # released when the modal answers field errors, as the person then sends it again corrected.
    fingerprint = "slack-view:" + str(view.get("private_metadata"))
    if not chat_request_first_time(signature=fingerprint, keep=timedelta(seconds=DIALOG_MAX_AGE_SECONDS)):
        return _field_errors({"title": SUBMITTED})
    values = _dict(_dict(view.get("state")).get("values"))
    title = _dict(_dict(values.get("title")).get("title")).get("value")
    option = _dict(_dict(_dict(values.get("severity")).get("severity")).get("selected_option"))
    context = ChatContext(
        provider=ChatProvider.SLACK, workspace=workspace, channel_id=where["c"][:100],
        channel_name=where["n"][:200], team_name=where["d"][:100] or str(team.get("domain") or "")[:100],
        user_id=where["u"][:100], client=SlackClient(workspace, deadline=answer_deadline()),
    )  # fmt: skip
    errors = chat_dialog_declare(context=context, title=title, severity=option.get("value"))
    if errors:
        chat_request_forget(signature=fingerprint)
    return _field_errors(errors) if errors else HttpResponse(status=200)


def _field_errors(errors: dict[str, str]) -> JsonResponse:
    """Slack's answer that keeps a modal open with a message under each field (`block_id`: text)."""
    return JsonResponse({"response_action": "errors", "errors": errors})


TRIGGER_MAX_AGE_MS = 5 * 60 * 1000


def _mattermost_trigger_fresh(trigger_id: str, user_id: str) -> bool:
    """True for a Mattermost `trigger_id` made for `user_id` within five minutes either side of now, and
    not seen before (recorded now). Mattermost makes it as base64 of `<id>:<user id>:<Unix ms>:<its
    signature>` (model.GenerateTriggerId); its token is fixed, so this is what stops a replay."""
    try:
        parts = base64.b64decode(trigger_id, validate=True).decode().split(":", 3)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    if len(parts) != 4 or not user_id or parts[1] != user_id or not parts[2].isdigit():
        return False
    if abs(time.time() * 1000 - int(parts[2][:15])) > TRIGGER_MAX_AGE_MS:
        return False
    return chat_request_first_time(signature="mattermost:" + trigger_id)


@csrf_exempt
@require_POST
@_too_large
def mattermost_command(request: HttpRequest) -> HttpResponse:
    """Mattermost's slash command, authenticated by its token (`MATTERMOST_COMMAND_TOKEN`, compared in
    constant time) and guarded against replays by its `trigger_id` (`_mattermost_trigger_fresh`)."""
    body = _body(request)
    expected = str(getattr(settings, "MATTERMOST_COMMAND_TOKEN", "") or "")
    if body is None or not expected:
        return _refused()
    form = _form(body)
    sent = form.get("token", "") or request.headers.get("Authorization", "").removeprefix("Token ").strip()
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        return _refused()
    if not _mattermost_trigger_fresh(form.get("trigger_id", "")[:500], form.get("user_id", "")[:100]):
        return _refused()
    workspace = form.get("team_id", "")[:100]
    context = ChatContext(
        provider=ChatProvider.MATTERMOST, workspace=workspace, channel_id=form.get("channel_id", "")[:100],
        channel_name=form.get("channel_name", "")[:200], team_name=form.get("team_domain", "")[:100],
        user_id=form.get("user_id", "")[:100], client=MattermostClient(workspace, deadline=answer_deadline()),
        trigger_id=form.get("trigger_id", "")[:500],
    )  # fmt: skip
    return _answer(chat_command(context=context, text=form.get("text", "")[:4000]))


@csrf_exempt
@require_POST
@_too_large
def mattermost_dialog(request: HttpRequest) -> HttpResponse:
    """The declare dialog's submission (Mattermost's `SubmitDialogRequest`, JSON). Mattermost signs
    nothing here: the dialog's `state`, signed by Hindsight when it opened the dialog, must be valid, less
    than an hour old and name the same person, team and channel as the submission, else 401 and nothing
    is stored (a body that is not JSON, or a cancellation without that state, is 401 too). Answers `{"errors": {field: message}}` to show field errors, `{}` to close the dialog."""
    body = _body(request)
    try:
        payload = _dict(json.loads(body or b""))
    except (ValueError, RecursionError):
        return _refused()  # not a submission Hindsight signed: refused as unsigned, nothing said of it
    where = dialog_state_read(str(payload.get("state") or ""))
    who = (
        str(payload.get("user_id") or ""),
        str(payload.get("team_id") or ""),
        str(payload.get("channel_id") or ""),
    )
    if where is None or not where["u"] or (where["u"], where["t"], where["c"]) != who:
        return _refused()
    if payload.get("cancelled"):
        return JsonResponse({})
    if payload.get("callback_id") != DECLARE_CALLBACK:
        return JsonResponse({})
    # Claimed before anything is declared, so a replay (or two at once) declares nothing a second time;
    # released when the dialog answers field errors, as the person then sends it again corrected.
    fingerprint = "mattermost-dialog:" + str(payload.get("state"))
    if not chat_request_first_time(signature=fingerprint, keep=timedelta(seconds=DIALOG_MAX_AGE_SECONDS)):
        return JsonResponse({"error": SUBMITTED, "detail": SUBMITTED}, status=409)
    submission = _dict(payload.get("submission"))
    context = ChatContext(
        provider=ChatProvider.MATTERMOST, workspace=where["t"][:100], channel_id=where["c"][:100],
        channel_name=where["n"][:200], team_name=where["d"][:100], user_id=where["u"][:100],
        client=MattermostClient(where["t"][:100], deadline=answer_deadline()),
    )  # fmt: skip
    errors = chat_dialog_declare(
        context=context, title=submission.get("title"), severity=submission.get("severity")
    )
    if errors:
        chat_request_forget(signature=fingerprint)
    return JsonResponse({"errors": errors} if errors else {})


SUBMITTED = (
    "This dialog was submitted already: nothing was declared again. Type `/incident declare` for another."
)
