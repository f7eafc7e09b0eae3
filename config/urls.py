from django.contrib import admin
from django.urls import include, path

from accounts import sso

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("oidc/authenticate/", sso.sso_start, name="sso_start"),
    path("oidc/callback/", sso.sso_callback, name="sso_callback"),
    path("api/", include("incidents.api.urls")),
    path("", include("incidents.urls")),
]

# JSON 404s under /api/ (even for URLs no route matches); the normal page elsewhere.
handler404 = "incidents.api.errors.not_found"
# A database outage answers 503 with Retry-After instead of a 500.
handler500 = "config.errors.server_error"
