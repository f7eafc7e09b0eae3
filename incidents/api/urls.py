"""`/api/v1/` (a DefaultRouter), the OpenAPI schema at `/api/schema/` and its docs at `/api/docs/`."""

from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from incidents.api import views

router = DefaultRouter()
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("timeline-entries", views.TimelineEntryViewSet, basename="timeline-entry")
router.register("contributing-factors", views.ContributingFactorViewSet, basename="contributing-factor")
router.register("postmortems", views.PostmortemViewSet, basename="postmortem")
router.register("action-items", views.ActionItemViewSet, basename="action-item")
router.register("policy-findings", views.PolicyFindingViewSet, basename="policy-finding")
router.register("services", views.ServiceViewSet, basename="service")
router.register("teams", views.TeamViewSet, basename="team")
router.register("changes", views.ChangeEventViewSet, basename="change")
router.register("webhooks", views.WebhookEndpointViewSet, basename="webhook")

app_name = "api"
urlpatterns = [
    path("v1/users/me/", views.MeView.as_view(), name="me"),
    path("v1/alerts/", views.AlertView.as_view(), name="alerts"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI sets inline styles; scripts stay 'self' only (the init script is served by the view).
    path(
        "docs/",
        csp_update({"style-src": ["'self'", "'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema")
        ),
        name="docs",
    ),
]
