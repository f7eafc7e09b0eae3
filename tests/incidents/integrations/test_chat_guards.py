"""Chat requests an outside tester sent with fake Slack and Mattermost servers: dialog fields that are too
long or not text, forged modal state, a channel already linked, a chat API that fails or is slow, a
shortcut whose answer cannot be posted, a message time of `0`, a replayed Mattermost command, and a
mirror post queued before its incident became restricted.

Requests are signed as Slack signs them and shaped as Slack and Mattermost send them (test_chat.py); a
recording server on loopback stands in for their Web APIs.
"""

from __future__ import annotations

import html
import json
import time
import urllib.parse
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.integrations.chat.clients import dialog_state
from incidents.models import ChatChannel, Incident, IncidentStatus, TimelineEntry, Visibility
from tests.incidents.integrations import test_chat as chat

pytestmark = pytest.mark.django_db

slack = chat.slack  # the recording Slack and Mattermost servers of test_chat.py
mattermost = chat.mattermost


def _submit(hook, *, title, severity="SEV2", metadata=None, user="U0CORA", **signing):
    # Slack's `view_submission` for the declare modal, with the state Hindsight put in it.
    metadata = (
        metadata
        if metadata is not None
        else dialog_state(user_id="U0CORA", team_id="T0ACME", channel_id="C0INC", channel_name="inc-checkout")
    )
    payload = {
        "type": "view_submission", "team": {"id": "T0ACME", "domain": "acme"}, "user": {"id": user},
        "view": {"type": "modal", "callback_id": "declare", "private_metadata": metadata, "state": {"values": {
            "title": {"title": {"type": "plain_text_input", "value": title}},
            "severity": {"severity": {"type": "static_select", "selected_option": {"value": severity}}},
        }}},
    }  # fmt: skip
    return chat._post(
        hook, reverse("incidents:slack_interactivity"), {"payload": json.dumps(payload)}, **signing
    )


def test_a_dialog_title_too_long_or_not_text_is_a_field_error_and_declares_nothing(
    client_for, slack, commander
):
    hook = client_for(None)
    long = _submit(hook, title="x" * 500)
    assert long.json() == {
        "response_action": "errors",
        "errors": {"title": "Keep the title to 200 characters (this one has 500)."},
    }
    listed = _submit(hook, title=["Checkout", "down"])
    assert listed.json()["errors"] == {"title": "Type the title as text."}
    assert not Incident.objects.exists()
    assert _submit(hook, title="y" * 200).status_code == 200  # the longest title is taken whole
    assert Incident.objects.get().title == "y" * 200


@pytest.mark.parametrize(
    "metadata",
    [
        '{"channel_id": "C0OTHER", "channel_name": "general"}',  # made up, not signed by Hindsight
        "not json at all",
        dialog_state(
            user_id="U0RORY", team_id="T0ACME", channel_id="C0INC", channel_name="x"
        ),  # someone else's
    ],
)
def test_a_modal_state_hindsight_did_not_sign_for_this_person_is_refused(
    client_for, slack, commander, metadata
):
    answer = _submit(client_for(None), title="Checkout is down", metadata=metadata)
    assert answer.json()["response_action"] == "errors"
    assert "not opened by Hindsight for you" in answer.json()["errors"]["title"]
    assert not Incident.objects.exists()


def test_a_mattermost_dialog_title_too_long_is_a_field_error(client_for, mattermost, responder):
    state = dialog_state(user_id="rory8id", team_id="mmteam", channel_id="mmchan", channel_name="inc")
    payload = {"type": "dialog_submission", "callback_id": "declare", "state": state, "user_id": "rory8id",
               "channel_id": "mmchan", "team_id": "mmteam", "submission": {"title": "z" * 201, "severity": "SEV3"}}  # fmt: skip
    answer = client_for(None).post(
        reverse("incidents:mattermost_dialog"), data=json.dumps(payload), content_type="application/json"
    )
    assert answer.json() == {"errors": {"title": "Keep the title to 200 characters (this one has 201)."}}
    assert not Incident.objects.exists()


def test_a_channel_of_a_resolved_incident_is_moved_only_when_asked(client_for, slack, commander, incident):
    from tests.factories import IncidentFactory

    incident.status = IncidentStatus.RESOLVED
    incident.save()
    ChatChannel.objects.create(provider="slack", workspace="T0ACME", channel_id="C0INC", incident=incident)
    other = IncidentFactory(title="Search is slow", commander=commander, declared_by=commander)
    hook = client_for(None)
    asked = chat.command(hook, "U0CORA", f"link {other.reference}")
    assert f"This channel belongs to {incident.reference}; it stays linked to it" in asked.json()["text"]
    assert f"`/incident link {other.reference} move`" in asked.json()["text"]
    assert ChatChannel.objects.get().incident == incident
    moved = chat.command(hook, "U0CORA", f"link {other.reference} move")
    assert "now" in moved.json()["text"]
    assert ChatChannel.objects.get().incident == other
    # Declaring in a channel that belongs to another incident declares, links nothing, and says so.
    declared = chat.command(hook, "U0CORA", "declare Payments are failing SEV2")
    assert "belongs to" in declared.json()["text"]
    assert ChatChannel.objects.get().incident == other


def test_the_dialog_tells_the_person_when_the_channel_stays_with_another_incident(
    client_for, slack, commander, incident
):
    ChatChannel.objects.create(provider="slack", workspace="T0ACME", channel_id="C0INC", incident=incident)
    assert _submit(client_for(None), title="Payments are failing").status_code == 200
    assert Incident.objects.count() == 2
    (told,) = chat._posts(slack, "/api/chat.postEphemeral")
    assert (told.form["user"], told.form["channel"]) == ("U0CORA", "C0INC")
    assert f"belongs to {incident.reference}, which is still active" in told.form["text"]
    assert ChatChannel.objects.get().incident == incident


@pytest.mark.parametrize("failure", [(500, {"ok": False}), (200, {"ok": False, "error": "internal_error"})])
def test_a_failing_user_lookup_is_said_to_have_failed(client_for, slack, commander, incident, failure):
    ChatChannel.objects.create(provider="slack", workspace="T0ACME", channel_id="C0INC", incident=incident)
    slack.answers[("POST", "/api/users.info")] = failure
    answer = chat.command(client_for(None), "U0CORA", "note the primary is back")
    assert "Hindsight could not ask Slack who you are" in answer.json()["text"]
    assert "knows no one" not in answer.json()["text"]
    assert not TimelineEntry.objects.filter(source="chat").exists()


def test_a_user_slack_does_not_know_is_still_unknown(client_for, slack, commander):
    answer = chat.command(client_for(None), "U0NOBODY", "note hello")  # users.info: user_not_found
    assert "knows no one by the email" in answer.json()["text"]


def test_every_chat_call_while_answering_slack_ends_well_within_its_3_seconds(
    client_for, slack, commander, incident, monkeypatch
):
    from incidents.integrations.chat import clients

    ChatChannel.objects.create(provider="slack", workspace="T0ACME", channel_id="C0INC", incident=incident)
    timeouts: list[float] = []
    real = clients.open_guarded

    def recording(request, *, timeout):
        timeouts.append(timeout)
        return real(request, timeout=timeout)

    monkeypatch.setattr(clients, "open_guarded", recording)
    chat.command(client_for(None), "U0CORA", "note <@U0RORY> restarted the primary")
    assert timeouts
    assert max(timeouts) <= clients.ANSWER_BUDGET_SECONDS <= 2.0
    # Past the budget no call is made: the person is told the lookup failed, in time.
    timeouts.clear()
    clock = [1000.0]
    monkeypatch.setattr(clients.time, "monotonic", lambda: clock[0])
    client = clients.SlackClient("T0ACME", deadline=clients.answer_deadline())
    clock[0] += clients.ANSWER_BUDGET_SECONDS
    with pytest.raises(clients.ChatError, match="in time"):
        client.person("U0CORA")
    assert timeouts == []


def test_a_shortcut_always_answers_the_person_even_where_the_bot_cannot_post(
    client_for, slack, commander, responder, incident
):
    ChatChannel.objects.create(provider="slack", workspace="T0ACME", channel_id="C0INC", incident=incident)
    slack.answers[("POST", "/api/chat.postEphemeral")] = (200, {"ok": False, "error": "channel_not_found"})
    slack.answers[("POST", "/hooks/app-actions/T0ACME/1/2")] = (200, {})
    hook = client_for(None)
    ts = f"{(timezone.now() - timedelta(minutes=3)).timestamp():.6f}"
    payload = {
        "type": "message_action", "callback_id": "add_to_timeline", "trigger_id": "1.2.3",
        "response_url": slack.url + "/hooks/app-actions/T0ACME/1/2", "team": {"id": "T0ACME", "domain": "acme"},
        "channel": {"id": "C0INC", "name": "inc-checkout"}, "user": {"id": "U0RORY"},
        "message": {"type": "message", "user": "U0CORA", "ts": ts, "text": "DB at 100% CPU"},
    }  # fmt: skip
    url = reverse("incidents:slack_interactivity")
    for shape in (
        payload,
        {**payload, "callback_id": "something_else"},
        {**payload, "user": {"id": "U0NOBODY"}},
    ):
        answer = chat._post(hook, url, {"payload": json.dumps(shape)})
        assert answer.status_code == 200
        assert answer.json()["response_type"] == "ephemeral"
        assert answer.json()["text"]
    responded = [r.json for r in slack.requests if r.path == "/hooks/app-actions/T0ACME/1/2"]
    assert [r["response_type"] for r in responded] == ["ephemeral"] * 3
    assert "Added to" in responded[0]["text"]
    assert "does not know this action" in responded[1]["text"]
    assert "knows no one" in responded[2]["text"]


def test_a_response_url_that_is_not_slacks_is_never_called(client_for, slack, commander, incident):
    ChatChannel.objects.create(provider="slack", workspace="T0ACME", channel_id="C0INC", incident=incident)
    slack.answers[("POST", "/api/chat.postEphemeral")] = (200, {"ok": False, "error": "channel_not_found"})
    payload = {"type": "message_action", "callback_id": "nope", "response_url": "https://evil.example/x",
               "team": {"id": "T0ACME"}, "channel": {"id": "C0INC"}, "user": {"id": "U0RORY"}}  # fmt: skip
    answer = chat._post(
        client_for(None), reverse("incidents:slack_interactivity"), {"payload": json.dumps(payload)}
    )
    assert answer.json()["text"]
    assert all(r.path.startswith("/api/") for r in slack.requests)


@pytest.mark.parametrize("ts", ["0", "", "-5", "99999999999", "1.2e3"])
def test_a_message_without_a_usable_time_gets_the_time_it_was_added_and_says_so(
    client_for, slack, commander, responder, incident, ts
):
    ChatChannel.objects.create(provider="slack", workspace="T0ACME", channel_id="C0INC", incident=incident)
    before = timezone.now() - timedelta(seconds=1)
    answer = chat.shortcut(client_for(None), "U0RORY", "U0CORA", ts, "Failover started")
    assert answer.status_code == 200
    entry = TimelineEntry.objects.get(source="chat")
    assert entry.occurred_at >= before
    assert entry.occurred_at.year != 1970
    assert "Slack gave this message no usable time" in entry.body
    assert entry.body.startswith("Failover started")


def test_a_real_message_time_is_kept(client_for, slack, commander, responder, incident):
    ChatChannel.objects.create(provider="slack", workspace="T0ACME", channel_id="C0INC", incident=incident)
    sent = datetime(2026, 11, 30, 22, 15, 3, tzinfo=UTC)
    chat.shortcut(client_for(None), "U0RORY", "U0CORA", f"{sent.timestamp():.6f}", "Failover started")
    entry = TimelineEntry.objects.get(source="chat")
    assert entry.occurred_at == sent
    assert "no usable time" not in entry.body


def _mm(hook, trigger, *, user_id="rory8id", text="note Failover finished"):
    fields = {"channel_id": "mmchan", "team_id": "mmteam", "text": text, "token": "xr3j5x3p4pfjpe8e6k3mc3adhc",
              "user_id": user_id, "command": "/incident", "trigger_id": trigger}  # fmt: skip
    return hook.post(
        reverse("incidents:mattermost_command"), data=urllib.parse.urlencode(fields),
        content_type="application/x-www-form-urlencoded",
    )  # fmt: skip


def test_a_replayed_mattermost_command_is_refused(client_for, mattermost, responder, incident):
    import time

    ChatChannel.objects.create(
        provider="mattermost", workspace="mmteam", channel_id="mmchan", incident=incident
    )
    hook = client_for(None)
    trigger = chat.mm_trigger("rory8id")
    assert _mm(hook, trigger).status_code == 200
    assert _mm(hook, trigger).status_code == 401  # the same request again
    old = chat.mm_trigger("rory8id", millis=int((time.time() - 6 * 60) * 1000), client_id="other1")
    assert _mm(hook, old).status_code == 401  # made more than five minutes ago
    assert _mm(hook, chat.mm_trigger("cora8id", client_id="other2")).status_code == 401  # someone else's
    assert _mm(hook, "").status_code == 401
    assert _mm(hook, "bm90IGEgdHJpZ2dlcg==").status_code == 401  # base64, but not a trigger
    assert TimelineEntry.objects.filter(source="chat").count() == 1
    assert _mm(hook, chat.mm_trigger("rory8id", client_id="other3")).status_code == 200  # a new command


def test_a_mirror_post_queued_before_the_incident_became_restricted_is_not_sent(
    client_for, slack, commander, incident, monkeypatch, django_capture_on_commit_callbacks
):
    from incidents.models import Notification
    from incidents.notify import delivery

    ChatChannel.objects.create(provider="slack", workspace="T0ACME", channel_id="C0INC", incident=incident,
                               channel_name="inc-checkout")  # fmt: skip
    monkeypatch.setattr(delivery, "notifications_publish", lambda ids: None)  # the broker holds it for now
    with django_capture_on_commit_callbacks(execute=True):
        client_for(commander).post(reverse("incidents:timeline_quick_add", args=[incident.number]),
                                   {"body": "Customer data may be exposed", "kind": "observation"})  # fmt: skip
    queued = Notification.objects.get(kind="chat.mirror")
    # Made restricted after the post was queued, in a way that leaves the channel linked (another
    # process, a migration, an admin's bulk edit): only the check at send time stands in the way.
    Incident.objects.filter(pk=incident.pk).update(visibility=Visibility.RESTRICTED)
    assert ChatChannel.objects.filter(incident=incident).exists()
    assert delivery.notification_deliver(notification_id=queued.pk) == "skipped"
    assert chat._posts(slack) == []
    # The same post, the incident internal again, is sent: the check above is what stopped it.
    Incident.objects.filter(pk=incident.pk).update(visibility=Visibility.INTERNAL)
    Notification.objects.filter(pk=queued.pk).update(status="pending")
    assert delivery.notification_deliver(notification_id=queued.pk) == "sent"
    assert "Customer data may be exposed" in chat._posts(slack)[-1].form["text"]


@pytest.mark.parametrize("text", ["Failover\x00started", ["Failover", "started"]])
def test_a_captured_message_with_a_nul_or_that_is_not_text_is_refused(
    client_for, slack, commander, responder, incident, text
):
    ChatChannel.objects.create(provider="slack", workspace="T0ACME", channel_id="C0INC", incident=incident)
    ts = f"{(timezone.now() - timedelta(minutes=1)).timestamp():.6f}"
    answer = chat.shortcut(client_for(None), "U0RORY", "U0CORA", ts, text)
    assert "This message was not added" in answer.json()["text"]
    assert not TimelineEntry.objects.filter(source="chat").exists()


def test_a_dialog_title_with_a_nul_is_refused(client_for, slack, commander):
    # (A NUL typed in a slash command arrives in the form itself, which the input guard refuses first.)
    answer = _submit(client_for(None), title="Checkout\x00down")  # JSON inside the form: "\u0000"
    assert "control character" in answer.json()["errors"]["title"]
    assert not Incident.objects.exists()


def test_a_replayed_mattermost_dialog_submission_declares_nothing_again(client_for, mattermost, commander):
    # Found by an outside tester: Mattermost signs nothing in a dialog submission, and the same body sent
    # again (within the hour its signed state is valid) declared a second incident.
    mattermost.answers[("GET", "/api/v4/users/cora8id")] = (200, {
        "id": "cora8id", "username": "cora", "email": "commander@example.com", "email_verified": True,
    })  # fmt: skip
    mattermost.answers[("POST", "/api/v4/posts")] = (201, {"id": "p1"})
    state = dialog_state(user_id="cora8id", team_id="mmteam", channel_id="mmchan", channel_name="inc")
    hook = client_for(None)

    def submit(title):
        payload = {"type": "dialog_submission", "callback_id": "declare", "state": state, "user_id": "cora8id",
                   "channel_id": "mmchan", "team_id": "mmteam", "submission": {"title": title, "severity": "SEV2"}}  # fmt: skip
        return hook.post(
            reverse("incidents:mattermost_dialog"), data=json.dumps(payload), content_type="application/json"
        )

    assert "errors" in submit(" ").json()  # a field error: the person corrects it and sends it again
    assert submit("Search is timing out").json() == {}
    later = timezone.now() + timedelta(minutes=30)
    import time_machine

    with time_machine.travel(later):
        replayed = submit("Search is timing out")
    assert replayed.status_code == 409
    assert "submitted already" in replayed.json()["error"]  # SubmitDialogResponse's general error
    assert Incident.objects.count() == 1


BIG = 2_700_000  # over Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), which answered an HTML 400


@pytest.mark.parametrize(
    ("url", "content_type", "key"),
    [
        ("incidents:slack_command", "application/x-www-form-urlencoded", "text"),
        ("incidents:slack_interactivity", "application/x-www-form-urlencoded", "text"),
        ("incidents:mattermost_command", "application/x-www-form-urlencoded", "text"),
        ("incidents:mattermost_dialog", "application/json", "error"),
    ],
)
def test_a_body_too_large_gets_an_answer_the_chat_server_shows(client_for, slack, url, content_type, key):
    for size in (250_000, BIG):  # over Hindsight's own limit, and over Django's
        answer = client_for(None).post(reverse(url), data=b"x" * size, content_type=content_type)
        assert answer.status_code == 413
        assert answer["Content-Type"] == "application/json"
        assert "larger than Hindsight takes" in answer.json()[key]


def test_a_tracker_webhook_too_large_gets_json(client_for, admin_user, team):
    from incidents.integrations.trackers.models import TrackerConnection

    connection = TrackerConnection.objects.create(team=team, kind="github", project="acme/web",
                                                  site_url="https://api.github.com")  # fmt: skip
    answer = client_for(None).post(
        reverse("incidents:tracker_webhook", args=[connection.pk]), data=b"x" * BIG,
        content_type="application/json", HTTP_X_GITHUB_EVENT="issues",
    )  # fmt: skip
    assert answer.status_code == 413
    assert "larger than a tracker's webhook" in answer.json()["detail"]


def test_a_declare_modal_submitted_twice_declares_once_even_signed_anew(client_for, slack, commander):
    hook = client_for(None)
    metadata = dialog_state(user_id="U0CORA", team_id="T0ACME", channel_id="CDECL", channel_name="inc-db")
    first = _submit(hook, title="Primary DB at 100% CPU", metadata=metadata)
    again = _submit(  # signed again, with another timestamp: not a replay of the same request
        hook, title="Primary DB at 100% CPU", metadata=metadata, timestamp=int(time.time()) - 30
    )
    assert first.status_code == 200
    assert again.json() == {"response_action": "errors", "errors": {"title": (
        "This dialog was submitted already: nothing was declared again. Type `/incident declare` for another."
    )}}  # fmt: skip
    assert Incident.objects.filter(title="Primary DB at 100% CPU").count() == 1
    other = dialog_state(user_id="U0CORA", team_id="T0ACME", channel_id="CDECL", channel_name="inc-db")
    assert other != metadata  # the next modal opened is its own, even within the same second
    assert _submit(hook, title="Replica lagging", metadata=other).status_code == 200


def test_a_declare_modal_corrected_after_a_field_error_declares(client_for, slack, commander):
    hook = client_for(None)
    metadata = dialog_state(user_id="U0CORA", team_id="T0ACME", channel_id="CDECL", channel_name="inc-db")
    assert "errors" in _submit(hook, title="   ", metadata=metadata).json()
    assert _submit(hook, title="Primary DB at 100% CPU", metadata=metadata).status_code == 200
    assert Incident.objects.filter(title="Primary DB at 100% CPU").count() == 1


@pytest.mark.parametrize("ts", ["abc", "1764581000.000200abc", "1e9", ""])
def test_a_shortcut_on_a_message_whose_ts_is_not_slacks_links_to_nothing(
    client_for, slack, commander, responder, incident, ts
):
    ChatChannel.objects.create(provider="slack", workspace="T0ACME", channel_id="C0INC", incident=incident)
    chat.shortcut(client_for(None), "U0RORY", "U0CORA", ts, "Failover started")
    entry = TimelineEntry.objects.get(source="chat")
    assert "Message by Cora Commander in Slack" in entry.body
    assert "](" not in entry.body  # no link made of it
    assert not [r for r in slack.requests if r.path == "/api/chat.getPermalink"]  # nor asked for


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("https://slack.com/app_redirect?team=T0ACME&channel=C0INC", "Slack channel"),
        ("https://acme.slack.com/archives/C0INC", "Slack channel"),
        ("https://chat.example.com/ops/channels/inc-checkout", "#inc-checkout"),
        ("https://teams.microsoft.com/l/channel/19%3a1/General", "teams.microsoft.com"),
    ],
)
def test_an_incidents_chat_link_is_named_on_its_page_not_shown_raw(
    client_for, commander, incident, url, label
):
    Incident.objects.filter(pk=incident.pk).update(chat_channel_url=url)
    page = client_for(commander).get(reverse("incidents:detail", args=[incident.number])).content.decode()
    link = page.split("<dt>Chat</dt>", 1)[1].split("</dd>", 1)[0]
    assert f">{label}</a>" in html.unescape(link)
