"""Timeline URLs (issue 3), included from incidents/urls.py under the `incidents` namespace."""

from django.urls import path

from incidents.timeline import views as timeline_views

urlpatterns = [
    path("incidents/<int:number>/timeline/quick-add/", timeline_views.quick_add, name="timeline_quick_add"),
    path("incidents/<int:number>/timeline/when/", timeline_views.when_preview, name="timeline_when"),
    path("incidents/<int:number>/timeline/changes/", timeline_views.changes, name="timeline_changes"),
    path("incidents/<int:number>/timeline/older/", timeline_views.older, name="timeline_older"),
    path(
        "incidents/<int:number>/timeline/import/", timeline_views.timeline_import_view, name="timeline_import"
    ),
    path(
        "incidents/<int:number>/timeline/<int:entry_id>/",
        timeline_views.entry_fragment,
        name="timeline_entry",
    ),
    path(
        "incidents/<int:number>/timeline/<int:entry_id>/edit/",
        timeline_views.entry_edit,
        name="timeline_edit",
    ),
    path(
        "incidents/<int:number>/timeline/<int:entry_id>/remove/",
        timeline_views.entry_remove,
        name="timeline_remove",
    ),
    path(
        "incidents/<int:number>/timeline/<int:entry_id>/restore/",
        timeline_views.entry_restore,
        name="timeline_restore",
    ),
    path(
        "incidents/<int:number>/timeline/<int:entry_id>/history/",
        timeline_views.entry_history,
        name="timeline_history",
    ),
]
