"""Every page route of the incidents app, one `include` per area (route names are `incidents:<name>`)."""

from django.urls import include, path

app_name = "incidents"
urlpatterns = [
    path("", include("incidents.incident.urls")),
    path("", include("incidents.timeline.urls")),
    path("", include("incidents.review.urls")),
    path("", include("incidents.followup.urls")),
    path("", include("incidents.notify.urls")),
    path("", include("incidents.insights.urls")),
    path("", include("incidents.audit.urls")),
    path("", include("incidents.integrations.urls")),
]
