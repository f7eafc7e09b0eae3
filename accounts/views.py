from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .forms import ApiTokenForm, ProfileForm, SignInForm
from .models import ApiToken
from .tokens import api_token_create, api_token_revoke, tokens_for


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Profile saved.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", _profile_context(request, form))


def _profile_context(request: HttpRequest, form: ProfileForm, **extra: object) -> dict[str, object]:
    context: dict[str, object] = {
        "form": form,
        "tokens": tokens_for(request.user),
        "token_form": ApiTokenForm(),
    }
    context.update(extra)
    return context


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
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
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    api_token_revoke(actor=request.user, token=token)
    messages.success(request, f"Token {token.name} revoked.")
    return redirect("accounts:profile")
