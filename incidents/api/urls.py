"""`/api/v1/` (a DefaultRouter), the OpenAPI schema at `/api/schema/` and its docs at `/api/docs/`."""

from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from incidents.followup import api as followup_api
from incidents.incident import api as incident_api
from incidents.incident import attachment_api, catalog_api, process_api, task_api, update_api
from incidents.integrations.api import intake_view
from incidents.integrations.senders import SENDERS
from incidents.integrations.trackers.api import ActionItemTrackerView
from incidents.notify import api as notify_api
from incidents.review import api as review_api
from incidents.review import meeting_api
from incidents.timeline import api as timeline_api

router = DefaultRouter()
router.register("incidents", incident_api.IncidentViewSet, basename="incident")
router.register("timeline-entries", timeline_api.TimelineEntryViewSet, basename="timeline-entry")
router.register("contributing-factors", review_api.ContributingFactorViewSet, basename="contributing-factor")
router.register("postmortems", review_api.PostmortemViewSet, basename="postmortem")
router.register("action-items", followup_api.ActionItemViewSet, basename="action-item")
router.register("policy-findings", followup_api.PolicyFindingViewSet, basename="policy-finding")
router.register("services", catalog_api.ServiceViewSet, basename="service")
router.register("teams", incident_api.TeamViewSet, basename="team")
router.register("users", incident_api.UserViewSet, basename="user")
router.register("changes", timeline_api.ChangeEventViewSet, basename="change")
router.register("webhooks", notify_api.WebhookEndpointViewSet, basename="webhook")

app_name = "api"
urlpatterns = [
    path("v1/users/me/", incident_api.MeView.as_view(), name="me"),
    path("v1/alerts/", incident_api.AlertView.as_view(), name="alerts"),
    *[path(f"v1/integrations/{kind}/", intake_view(kind), name=f"integration-{kind}") for kind in SENDERS],
    path(
        "v1/action-items/<int:action_item_id>/tracker/",
        ActionItemTrackerView.as_view(),
        name="action-item-tracker",
    ),
    path(
        "v1/incidents/<int:number>/process/",
        process_api.IncidentProcessView.as_view(),
        name="incident-process",
    ),
    path(
        "v1/incidents/<int:number>/process/waiver/",
        process_api.IncidentWaiverView.as_view(),
        name="incident-process-waiver",
    ),
    path(
        "v1/incidents/<int:number>/updates/",
        update_api.IncidentUpdatesView.as_view(),
        name="incident-updates",
    ),
    path("v1/incidents/<int:number>/tasks/", task_api.IncidentTasksView.as_view(), name="incident-tasks"),
    path(
        "v1/incidents/<int:number>/tasks/<int:task_id>/",
        task_api.IncidentTaskView.as_view(),
        name="incident-task",
    ),
    path(
        "v1/incidents/<int:number>/attachments/",
        attachment_api.IncidentAttachmentsView.as_view(),
        name="incident-attachments",
    ),
    path(
        "v1/incidents/<int:number>/attachments/<int:attachment_id>/",
        attachment_api.IncidentAttachmentView.as_view(),
        name="incident-attachment",
    ),
    path(
        "v1/incidents/<int:number>/attachments/<int:attachment_id>/download/",
        attachment_api.IncidentAttachmentDownloadView.as_view(),
        name="incident-attachment-download",
    ),
    path(
        "v1/incidents/<int:number>/review-meetings/",
        meeting_api.ReviewMeetingsView.as_view(),
        name="incident-review-meetings",
    ),
    path(
        "v1/incidents/<int:number>/review-meetings/cancel/",
        meeting_api.ReviewMeetingCancelView.as_view(),
        name="incident-review-meeting-cancel",
    ),
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
