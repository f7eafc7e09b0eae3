from django.urls import path

from incidents.notify import views

urlpatterns = [
    path("subscriptions/", views.subscriptions, name="subscriptions"),
    path("incidents/<int:number>/subscribe/", views.incident_subscribe, name="subscribe"),
    path("settings/mailing-lists/", views.mailing_lists, name="mailing_lists"),
    path("settings/chat/", views.team_chat_list, name="team_chat_list"),
    path("settings/chat/<slug:team_slug>/", views.team_chat_edit, name="team_chat_edit"),
]
