"""Alert integration pages (the intake endpoints are in the API router's urls)."""

from django.urls import include, path

from incidents.integrations import views

urlpatterns = [
    path("settings/integrations/", views.integration_list, name="integration_list"),
    path("settings/integrations/<int:integration_id>/", views.integration_edit, name="integration_edit"),
    path(
        "settings/integrations/<int:integration_id>/token/",
        views.integration_rotate,
        name="integration_rotate",
    ),
    path("", include("incidents.integrations.trackers.urls")),
    path("", include("incidents.integrations.chat.urls")),
]
