from django.urls import include, path

from incidents.views import incident as views

app_name = "incidents"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("incidents/", views.incident_list, name="list"),
    path("incidents/declare/", views.incident_declare, name="declare"),
    path("incidents/<int:number>/", views.incident_detail, name="detail"),
    path("incidents/<int:number>/edit/", views.incident_edit, name="edit"),
    path("incidents/<int:number>/status/", views.incident_status, name="status"),
    path("incidents/<int:number>/severity/", views.incident_severity, name="severity"),
    path("incidents/<int:number>/reopen/", views.incident_reopen, name="reopen"),
    path("incidents/<int:number>/timeline/add/", views.timeline_add, name="timeline_add"),
    path("", include("incidents.urls_followup")),
    path("", include("incidents.review_urls")),
    path("", include("incidents.urls_timeline")),
    path("", include("incidents.urls_subscriptions")),
]

from incidents.views import insights as insights_views  # noqa: E402

urlpatterns += [
    path("insights/", insights_views.insights, name="insights"),
    path("insights/<slug:figure>.csv", insights_views.insights_csv, name="insights_csv"),
    path("search/", insights_views.search_page, name="search"),
    path("incidents/similar/", insights_views.similar_preview, name="similar_preview"),
    path("incidents/<int:number>/similar/", insights_views.similar_for_incident, name="similar"),
]

urlpatterns += [path("", include("incidents.urls_audit"))]
