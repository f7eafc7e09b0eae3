"""URLs of the blameless review pages, included from `incidents/urls.py` (names in the `incidents` namespace)."""

from django.urls import path

from incidents.review.views import blameless as views_blameless
from incidents.review.views import documents as views_documents
from incidents.review.views import factors as views_factors
from incidents.review.views import library as views_library
from incidents.review.views import meetings as views_meetings
from incidents.review.views import postmortems as views_postmortems

P = "incidents/<int:number>/postmortem/"
urlpatterns = [
    path("postmortems/", views_library.postmortem_library, name="postmortem_library"),
    path("postmortems/lessons/", views_library.postmortem_lessons, name="postmortem_lessons"),
    path("blameless/hint/", views_blameless.blameless_hint, name="blameless_hint"),
    path(P, views_postmortems.postmortem_detail, name="postmortem"),
    path(P + "start/", views_postmortems.postmortem_start, name="postmortem_start"),
    path(P + "edit/", views_postmortems.postmortem_edit, name="postmortem_edit"),
    path(P + "preview/", views_postmortems.postmortem_preview, name="postmortem_preview"),
    path(P + "questions/", views_postmortems.postmortem_questions, name="postmortem_questions"),
    path(P + "review/", views_postmortems.postmortem_request_review, name="postmortem_request_review"),
    path(P + "decide/", views_postmortems.postmortem_decide, name="postmortem_decide"),
    path(P + "publish/", views_postmortems.postmortem_publish, name="postmortem_publish"),
    path(P + "reopen/", views_postmortems.postmortem_reopen, name="postmortem_reopen"),
    path(P + "dismiss/", views_postmortems.blameless_dismiss, name="blameless_dismiss"),
    path(P + "diff/", views_postmortems.postmortem_diff, name="postmortem_diff"),
    path(P + "version/", views_postmortems.postmortem_version, name="postmortem_version"),
    path(P + "export.md", views_documents.postmortem_export_markdown, name="postmortem_export_md"),
    path(P + "export.json", views_documents.postmortem_export_json, name="postmortem_export_json"),
    path(P + "export.pdf", views_documents.postmortem_export_pdf, name="postmortem_export_pdf"),
    path(P + "print/", views_documents.postmortem_print, name="postmortem_print"),
    path(P + "import/", views_documents.postmortem_import, name="postmortem_import"),
    path(P + "meeting/", views_factors.meeting, name="meeting"),
    path(P + "meeting/factor/", views_factors.meeting_factor, name="meeting_factor"),
    path(P + "meeting/action/", views_factors.meeting_action, name="meeting_action"),
    path(P + "meeting/invite/", views_meetings.meeting_invite, name="meeting_invite"),
    path(P + "meeting/invite/cancel/", views_meetings.meeting_invite_cancel, name="meeting_invite_cancel"),
    path("incidents/<int:number>/factors/add/", views_factors.factor_add, name="factor_add"),
    path(
        "incidents/<int:number>/factors/<int:factor_id>/edit/", views_factors.factor_edit, name="factor_edit"
    ),
]
