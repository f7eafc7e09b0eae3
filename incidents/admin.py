from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from . import models as m


@admin.register(m.Service)
class ServiceAdmin(SimpleHistoryAdmin):
    list_display = ["name", "team"]
    prepopulated_fields = {"slug": ("name",)}


@admin.register(m.Incident)
class IncidentAdmin(SimpleHistoryAdmin):
    list_display = ["number", "title", "severity", "status", "visibility", "started_at", "deleted_at"]
    list_filter = ["severity", "status", "visibility"]
    search_fields = ["title"]


@admin.register(m.TimelineEntry)
class TimelineEntryAdmin(SimpleHistoryAdmin):
    list_display = ["incident", "occurred_at", "kind", "source", "author"]
    list_filter = ["kind", "source"]


for model in (
    m.Tag,
    m.ContributingFactor,
    m.PostmortemTemplate,
    m.Postmortem,
    m.PostmortemReview,
    m.ActionItem,
    m.PolicyFinding,
    m.Subscription,
    m.SeverityMailingList,
    m.WebhookEndpoint,
    m.WebhookDelivery,
    m.ChangeEvent,
):
    admin.site.register(model, SimpleHistoryAdmin if hasattr(model, "history") else admin.ModelAdmin)


@admin.register(m.Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "recipient",
        "object_key",
        "period",
        "status",
        "attempts",
        "last_error",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["recipient", "object_key"]
