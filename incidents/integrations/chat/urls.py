"""Chat routes (included from incidents/integrations/urls.py, so names are `incidents:<name>`)."""

from django.urls import path

from incidents.integrations.chat import views

urlpatterns = [
    path("hooks/slack/commands/", views.slack_command, name="slack_command"),
    path("hooks/slack/interactivity/", views.slack_interactivity, name="slack_interactivity"),
    path("hooks/mattermost/command/", views.mattermost_command, name="mattermost_command"),
    path("hooks/mattermost/dialog/", views.mattermost_dialog, name="mattermost_dialog"),
]
