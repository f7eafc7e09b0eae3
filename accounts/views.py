from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.forms import ApiTokenForm, ProfileForm, SignInForm
from accounts.http import AuthenticatedRequest
from accounts.models import ApiToken
from accounts.security import (
    user_sessions_live,
    user_sign_out_everywhere,
)
from accounts.selfservice import two_factor_locked, two_factor_locked_out, two_factor_start
from accounts.sso import sso_enabled
from accounts.tokens import api_token_create, api_token_revoke, tokens_for


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            sso_enabled=sso_enabled(),
            sso_name=settings.OIDC_PROVIDER_NAME,
            local_sign_in=settings.LOCAL_SIGN_IN,
            sso_failed=self.request.GET.get("sso") == "failed",
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.LOCAL_SIGN_IN:
            return HttpResponseBadRequest("Sign-in with a password is switched off: use single sign-on.")
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        """A user with two-factor sign-in on gives the code next; everyone else is signed in now."""
        user = form.get_user()
        if user.totp_enabled:
            if two_factor_locked(user.pk):
                return two_factor_locked_out(self.request, user.email)
            return two_factor_start(self.request, user, user.backend, self.get_success_url())
        return super().form_valid(form)


@login_required
def profile(request: AuthenticatedRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Profile saved.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", _profile_context(request, form))


def _profile_context(request: AuthenticatedRequest, form: ProfileForm, **extra: object) -> dict[str, object]:
    context: dict[str, object] = {
        "form": form,
        "tokens": tokens_for(request.user),
        "token_form": ApiTokenForm(),
        "sessions": user_sessions_live(request.user),
        "current_session": request.session.session_key,
    }
    context.update(extra)
    return context


@login_required
@require_POST
def token_create(request: AuthenticatedRequest) -> HttpResponse:
    """Create an API token and show its secret once, on this response only (never stored in clear)."""
    token_form = ApiTokenForm(request.POST)
    new_secret = None
    if token_form.is_valid():
        try:
            _, new_secret = api_token_create(
                actor=request.user,
                name=token_form.cleaned_data["name"],
                read_only=token_form.cleaned_data["access"] == "read",
            )
        except ValidationError as exc:
            token_form.add_error("name", exc.message_dict.get("name", exc.messages))
    context = _profile_context(
        request, ProfileForm(instance=request.user), token_form=token_form, new_secret=new_secret
    )
    response = render(request, "accounts/profile.html", context, status=200 if new_secret else 400)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    api_token_revoke(actor=request.user, token=token)
    messages.success(request, f"Token {token.name} revoked.")
    return redirect("accounts:profile")


@login_required
@require_POST
def sign_out_everywhere(request: AuthenticatedRequest) -> HttpResponse:
    """End every session of the signed-in user, this one included."""
    user_sign_out_everywhere(user=request.user, request=request)
    messages.success(request, "You are signed out on every browser and device.")
    return redirect("accounts:login")
