"""Follow-through routes (included from incidents/urls.py, so names are `incidents:<name>`)."""

from django.urls import path

from incidents.views import followup as views

urlpatterns = [
    path("my-work/", views.my_work, name="my_work"),
    path("action-items/", views.team_board, name="team_board"),
    path("action-items/new/", views.action_item_new, name="action_item_new"),
    path("action-items/export.csv", views.action_item_export, name="action_item_export"),
    path("action-items/<int:item_id>/", views.action_item_detail, name="action_item_detail"),
    path("action-items/<int:item_id>/edit/", views.action_item_edit, name="action_item_edit"),
    path("action-items/<int:item_id>/status/", views.action_item_status, name="action_item_status"),
    path("action-items/<int:item_id>/recheck/", views.action_item_recheck, name="action_item_recheck"),
    path(
        "action-items/<int:item_id>/recurrence/", views.action_item_recurrence, name="action_item_recurrence"
    ),
    path("findings/", views.finding_list, name="finding_list"),
    path("findings/new/", views.finding_new, name="finding_new"),
    path("findings/export.csv", views.finding_export, name="finding_export"),
    path("findings/<int:finding_id>/", views.finding_detail, name="finding_detail"),
    path("findings/<int:finding_id>/edit/", views.finding_edit, name="finding_edit"),
    path("findings/<int:finding_id>/status/", views.finding_transition, name="finding_transition"),
    path("findings/<int:finding_id>/verify/", views.finding_verify, name="finding_verify"),
    path("findings/<int:finding_id>/accept-risk/", views.finding_accept_risk, name="finding_accept_risk"),
    path("findings/<int:finding_id>/seen-again/", views.finding_seen_again, name="finding_seen_again"),
    path("reassign/", views.reassign, name="reassign"),
    path("reassign/bulk/", views.bulk_reassign, name="bulk_reassign"),
]
