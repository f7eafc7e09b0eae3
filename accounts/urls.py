from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import selfservice, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/", views.token_create, name="token_create"),
    path("profile/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change.html", success_url=reverse_lazy("accounts:profile")
        ),
        name="password_change",
    ),
    path("sign-out-everywhere/", views.sign_out_everywhere, name="sign_out_everywhere"),
    path("password/reset/", selfservice.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        selfservice.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("login/code/", selfservice.login_code, name="login_code"),
    path("two-factor/", selfservice.two_factor, name="two_factor"),
    path("two-factor/off/", selfservice.two_factor_disable, name="two_factor_disable"),
    path("invitations/", selfservice.invitations, name="invitations"),
    path("invitations/<int:pk>/withdraw/", selfservice.invitation_withdraw, name="invitation_withdraw"),
    path("invitations/<str:token>/", selfservice.invitation_open, name="invitation_open"),
    path("profile/sessions/<int:session_id>/end/", selfservice.session_end, name="session_end"),
]
