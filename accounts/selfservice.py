"""Pages people use on their own accounts: password reset, invitations, two-factor sign-in, sessions.

Password reset never says whether an address has an account (the same page follows every request), and is
rate-limited per address and per client address; over the limit nothing is sent, and the page is the same.
"""

from __future__ import annotations

import time
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from accounts.forms import AcceptInvitationForm, CodeForm, InvitationForm
from accounts.invitations import (
    can_invite,
    invitation_accept,
    invitation_create,
    invitation_for_token,
    invitation_revoke,
    teams_for_inviter,
)
from accounts.mail import address_allowed
from accounts.models import Invitation, SecurityEvent, User
from accounts.security import client_ip, security_event_record, user_session_end
from accounts.totp import totp_disable, totp_enable, totp_new_secret, totp_uri, totp_verify

PENDING = "hindsight_2fa_pending"
PENDING_SECONDS = 300
MAX_CODE_TRIES = 5
SETUP_KEY_SESSION = "hindsight_2fa_setup"


def _over_limit(key: str, limit: int, window: int) -> bool:
    """Count one more hit of `key` in the cache; True once it exceeds `limit` within `window` seconds."""
    cache.add(key, 0, window)
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return False


class AllowlistPasswordResetForm(PasswordResetForm):
    """Django's reset form, mailing only addresses `accounts.mail.address_allowed` lets through."""

    def send_mail(self, subject_template_name: str, email_template_name: str, context: dict[str, Any],
                  from_email: str | None, to_email: str, html_email_template_name: str | None = None) -> None:  # fmt: skip
        if address_allowed(to_email):
            super().send_mail(subject_template_name, email_template_name, context, from_email, to_email,
                              html_email_template_name)  # fmt: skip


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link. Always answers with the same "check your email" page."""

    form_class = AllowlistPasswordResetForm

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/emails/password_reset.txt"
    subject_template_name = "accounts/emails/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")
    extra_email_context = {"site_url": settings.SITE_URL}

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not settings.LOCAL_SIGN_IN:
            raise Http404("Passwords are switched off: sign in with single sign-on.")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        email = form.cleaned_data["email"].strip().lower()
        window = 3600
        limited = _over_limit(f"pwreset:email:{email}", settings.PASSWORD_RESET_PER_EMAIL_HOUR, window)
        limited |= _over_limit(
            f"pwreset:ip:{client_ip(self.request)}", settings.PASSWORD_RESET_PER_IP_HOUR, window
        )
        security_event_record(kind=SecurityEvent.Kind.PASSWORD_RESET, actor_email=email, target=email,
                              detail="rate-limited: not sent" if limited else "requested")  # fmt: skip
        if limited:
            return redirect(self.success_url)
        form.cleaned_data["email"] = email
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The link from the email: choose a new password (every other session then ends)."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


# --- Two-factor sign-in -----------------------------------------------------------------------------------


def two_factor_start(request: HttpRequest, user: User, backend: str, next_url: str) -> HttpResponse:
    """After a correct password for a user with two-factor on: keep who it is and ask for the code."""
    request.session[PENDING] = {
        "user": user.pk,
        "backend": backend,
        "next": next_url,
        "at": time.time(),
        "tries": 0,
    }
    return redirect("accounts:login_code")


def _code_lock_key(user_pk: int) -> str:
    return f"totp:wrong-codes:user:{user_pk}"


def two_factor_locked(user_pk: int) -> bool:
    """True while the account has had `AXES_FAILURE_LIMIT` wrong codes (from any address) within the
    cool-off; a right code clears the count."""
    return int(cache.get(_code_lock_key(user_pk)) or 0) >= settings.AXES_FAILURE_LIMIT


def two_factor_locked_out(request: HttpRequest, email: str) -> HttpResponse:
    """The lock-out page password failures get (django-axes'); the pending sign-in is dropped."""
    request.session.pop(PENDING, None)
    return get_lockout_response(request, None, {"username": email})


def login_code(request: HttpRequest) -> HttpResponse:
    """The second sign-in step: the code from the authenticator app. Five wrong codes restart sign-in.

    Wrong codes count against the account across sign-ins, like wrong passwords: each is a failed sign-in
    for django-axes (the same `AXES_FAILURE_LIMIT` per address and account, wrong passwords and codes
    together), and the account also counts them from every address (`AXES_FAILURE_LIMIT` within
    `AXES_COOLOFF_HOURS`). Over either limit the code step shows the lock-out page, even for a right code.
    """
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        messages.info(request, "Sign in with your email and password first.")
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        user = User.objects.filter(pk=pending["user"], is_active=True).first()
        email = getattr(user, "email", "")
        credentials = {settings.AXES_USERNAME_FORM_FIELD: email}
        if two_factor_locked(pending["user"]) or AxesProxyHandler.is_locked(request, credentials):
            return two_factor_locked_out(request, email)
        if user is not None and totp_verify(user=user, code=form.cleaned_data["code"]):
            request.session.pop(PENDING, None)
            cache.delete(_code_lock_key(user.pk))
            login(request, user, backend=pending["backend"])
            return redirect(pending["next"] or settings.LOGIN_REDIRECT_URL)
        pending["tries"] += 1
        security_event_record(kind=SecurityEvent.Kind.SIGN_IN_FAILED, actor_email=email,
                              target=email, detail="wrong two-factor code")  # fmt: skip
        window = int(settings.AXES_COOLOFF_TIME * 3600)
        _over_limit(_code_lock_key(pending["user"]), settings.AXES_FAILURE_LIMIT, window)
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False) or two_factor_locked(pending["user"]):
            return two_factor_locked_out(request, email)
        if pending["tries"] >= MAX_CODE_TRIES:
            request.session.pop(PENDING, None)
            messages.error(request, "Too many wrong codes: sign in again.")
            return redirect("accounts:login")
        request.session[PENDING] = pending
        form.add_error("code", "That code does not match; type the 6 digits your app shows now.")
        status = 400
    elif request.method == "POST":
        status = 400
    return render(request, "accounts/login_code.html", {"form": form}, status=status)


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Set up two-factor sign-in (a new secret until confirmed with a code), or see that it is on."""
    user = request.user
    assert isinstance(user, User)
    if user.totp_enabled:
        if request.method == "POST":
            # Only turning it off takes a code here (two_factor_disable); a code posted to this page changes nothing.
            form = CodeForm(request.POST)
            form.is_valid()
            form.add_error(
                None, "Two-factor sign-in is already on; to turn it off, use Turn off with a code."
            )
            return render(request, "accounts/two_factor.html", {"enabled": True, "form": form}, status=400)
        return render(request, "accounts/two_factor.html", {"enabled": True, "form": CodeForm()})
    secret = request.session.get(SETUP_KEY_SESSION) or totp_new_secret()
    request.session[SETUP_KEY_SESSION] = secret
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                totp_enable(user=user, secret=secret, code=form.cleaned_data["code"])
            except ValidationError as exc:
                form.add_error("code", exc.message_dict["code"])
            else:
                request.session.pop(SETUP_KEY_SESSION, None)
                messages.success(
                    request, "Two-factor sign-in is on: you will be asked for a code when you sign in."
                )
                return redirect("accounts:profile")
        status = 400
    context = {"enabled": False, "form": form, "secret": secret, "uri": totp_uri(user, secret)}
    response = render(request, "accounts/two_factor.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    """Turn two-factor sign-in off with a current code (refused while the account must use it)."""
    user = request.user
    assert isinstance(user, User)
    form = CodeForm(request.POST)
    try:
        totp_disable(user=user, actor=user, code=form.data.get("code", ""))
    except ValidationError as exc:
        form.is_valid()
        form.add_error("code", exc.message_dict["code"])
        return render(request, "accounts/two_factor.html", {"enabled": True, "form": form}, status=400)
    messages.success(request, "Two-factor sign-in is off.")
    return redirect("accounts:profile")


# --- Invitations ------------------------------------------------------------------------------------------


@login_required
def invitations(request: HttpRequest) -> HttpResponse:
    """Team leads and admins invite people to their teams and see the open invitations."""
    teams = teams_for_inviter(request.user)
    if not teams.exists():
        raise PermissionDenied("Only team leads and admins invite people.")
    form = InvitationForm(request.POST or None, teams=teams)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                invitation = invitation_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for field, errs in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errs)
            except PermissionDenied:
                form.add_error("team", "Choose a team you lead.")
            else:
                if address_allowed(invitation.email):
                    messages.success(request, f"Invitation sent to {invitation.email}.")
                else:
                    messages.warning(request, f"Invitation made, but not emailed: {invitation.email} is not on "
                                              "EMAIL_ALLOWLIST and this is not production.")  # fmt: skip
                return redirect("accounts:invitations")
        status = 400
    pending = [
        i
        for i in Invitation.objects.filter(team__in=teams).select_related("team", "invited_by")[:200]
        if i.is_open
    ]
    return render(request, "accounts/invitations.html", {"form": form, "pending": pending}, status=status)


@login_required
@require_POST
def invitation_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=pk)
    if not can_invite(request.user, invitation.team):
        raise Http404("No such invitation.")
    invitation_revoke(actor=request.user, invitation=invitation)
    messages.success(request, f"Invitation to {invitation.email} withdrawn.")
    return redirect("accounts:invitations")


def invitation_open(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the invitation email: choose a name, time zone and password, then you are signed in."""
    invitation = invitation_for_token(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = AcceptInvitationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user = invitation_accept(raw=token, password=form.cleaned_data["password1"],
                                         display_name=form.cleaned_data["display_name"],
                                         time_zone=form.cleaned_data["time_zone"])  # fmt: skip
            except ValidationError as exc:
                errors = getattr(exc, "message_dict", {None: exc.messages})
                for field, errs in errors.items():
                    form.add_error("password1" if field == "password" else None, errs)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, f"Welcome to {invitation.team.name}.")
                return redirect(settings.LOGIN_REDIRECT_URL)
        status = 400
    return render(
        request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation}, status=status
    )


# --- Sessions -----------------------------------------------------------------------------------------------


@login_required
@require_POST
def session_end(request: HttpRequest, session_id: int) -> HttpResponse:
    """End one other session of the signed-in user (the sessions list on the profile)."""
    user = request.user
    assert isinstance(user, User)
    if not user_session_end(user=user, session_id=session_id):
        raise Http404("No such session.")
    messages.success(request, "That session is signed out.")
    return redirect("accounts:profile")
