"""Audit URLs: history pages, and admin soft-delete, restore and the deleted list."""

from django.urls import path

from incidents.audit import views

urlpatterns = [
    path("incidents/<int:number>/history/", views.incident_history, name="history"),
    path("incidents/<int:number>/postmortem/history/", views.postmortem_history, name="postmortem_history"),
    path("action-items/<int:item_id>/history/", views.action_item_history, name="action_item_history"),
    path("findings/<int:finding_id>/history/", views.finding_history, name="finding_history"),
    path("incidents/<int:number>/delete/", views.incident_delete, name="delete"),
    path("incidents/<int:number>/restore/", views.incident_restore_view, name="restore"),
    path("incidents/deleted/", views.deleted_list, name="deleted_list"),
    path("security-events.csv", views.security_events_csv, name="security_events_csv"),
]
