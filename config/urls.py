from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/", include("incidents.api.urls")),
    path("", include("incidents.urls")),
]

# JSON 404s under /api/ (even for URLs no route matches); the normal page elsewhere.
handler404 = "incidents.api.errors.not_found"
# A database outage answers 503 with Retry-After instead of a 500.
handler500 = "config.errors.server_error"
