"""Tracker routes (included from incidents/integrations/urls.py, so names are `incidents:<name>`)."""

from django.urls import path

from incidents.integrations.trackers import views

urlpatterns = [
    path("settings/trackers/", views.tracker_list, name="tracker_list"),
    path("settings/trackers/<int:tracker_id>/", views.tracker_edit, name="tracker_edit"),
    path("action-items/<int:item_id>/tracker/", views.action_item_tracker, name="action_item_tracker"),
    path(
        "action-items/<int:item_id>/tracker/panel/",
        views.action_item_tracker_panel,
        name="action_item_tracker_panel",
    ),
    path(
        "action-items/<int:item_id>/tracker/settle/",
        views.action_item_tracker_conflict,
        name="action_item_tracker_conflict",
    ),
    path("hooks/trackers/<int:tracker_id>/", views.tracker_webhook, name="tracker_webhook"),
]
