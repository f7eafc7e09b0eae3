"""Incident pages: dashboard, list, declare, the incident page, edit and the status actions."""

from django.urls import path

from incidents.incident import (
    attachment_views,
    exports,
    live,
    people,
    process_views,
    task_views,
    type_views,
    update_views,
    views,
)

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("incidents/", views.incident_list, name="list"),
    path("incidents/declare/", views.incident_declare, name="declare"),
    path("incidents/export.csv", exports.incident_export, name="export_csv"),
    path("incidents/<int:number>/", views.incident_detail, name="detail"),
    path("incidents/<int:number>/edit/", views.incident_edit, name="edit"),
    path("incidents/<int:number>/header/", live.incident_header, name="header"),
    path("incidents/<int:number>/status/", views.incident_status, name="status"),
    path("incidents/<int:number>/severity/", views.incident_severity, name="severity"),
    path("incidents/<int:number>/reopen/", views.incident_reopen, name="reopen"),
    path("incidents/<int:number>/roles/", people.incident_role, name="role"),
    path("incidents/<int:number>/fields/", type_views.incident_custom_fields, name="custom_fields"),
    path(
        "incidents/<int:number>/postmortem-waiver/",
        process_views.incident_postmortem_waive,
        name="postmortem_waiver",
    ),
    path("incidents/<int:number>/tasks/", task_views.incident_tasks, name="tasks"),
    path("incidents/<int:number>/updates/", update_views.incident_update_post, name="stakeholder_update"),
    path(
        "incidents/<int:number>/attachments/",
        attachment_views.incident_attachment_upload,
        name="attachment_upload",
    ),
    path(
        "incidents/<int:number>/attachments/<int:attachment_id>/remove/",
        attachment_views.incident_attachment_remove,
        name="attachment_remove",
    ),
    path(
        "incidents/<int:number>/attachments/<int:attachment_id>/",
        attachment_views.incident_attachment_download,
        name="attachment",
    ),
    path(
        "incidents/<int:number>/attachments/<int:attachment_id>/thumbnail/",
        attachment_views.incident_attachment_thumbnail,
        name="attachment_thumbnail",
    ),
    path("status/", update_views.status_page, name="status_page"),
    path("incidents/<int:number>/participants/", people.incident_participant, name="participant"),
    path("incidents/<int:number>/people/", people.people_suggestions, name="people_suggestions"),
    path("settings/", views.settings_index, name="settings"),
    path("settings/services/", views.service_list, name="service_list"),
    path("settings/services/<slug:slug>/", views.service_edit, name="service_edit"),
    path("settings/types/", type_views.incident_type_list, name="incident_type_list"),
    path("settings/types/<slug:type_slug>/", type_views.incident_type_edit, name="incident_type_edit"),
    path(
        "settings/types/<slug:type_slug>/fields/<int:field_id>/",
        type_views.custom_field_edit,
        name="custom_field_edit",
    ),
    path("settings/process-rules/", process_views.process_rule_list, name="process_rule_list"),
    path(
        "settings/process-rules/<slug:type_slug>/<str:severity>/",
        process_views.process_rule_edit,
        name="process_rule_edit",
    ),
    path("settings/tags/", views.tag_list, name="tag_list"),
    path("settings/tags/<int:tag_id>/", views.tag_edit, name="tag_edit"),
    path("settings/tags/<int:tag_id>/merge/", views.tag_merge, name="tag_merge"),
    path("settings/tags/<int:tag_id>/delete/", views.tag_delete, name="tag_delete"),
]
