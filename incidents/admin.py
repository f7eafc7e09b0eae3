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
    """Delivery records: what was sent, skipped or failed, and why. Failed rows can be retried."""

    list_display = [
        "created_at",
        "kind",
        "recipient",
        "object_key",
        "period",
        "status",
        "attempts",
        "sent_at",
        "error_summary",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["recipient", "object_key", "last_error"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "recipient", "user", "kind", "object_key", "period", "subject", "status", "attempts",
        "locked_until", "last_error", "created_at", "sent_at",
    ]  # fmt: skip
    actions = ["retry_deliveries"]

    @admin.display(description="Last error")
    def error_summary(self, obj: m.Notification) -> str:
        return (obj.last_error[:120] + "…") if len(obj.last_error) > 120 else obj.last_error

    @admin.action(description="Retry the selected failed or pending deliveries")
    def retry_deliveries(self, request, queryset):  # type: ignore[no-untyped-def]
        from incidents.services.notify import notifications_retry

        count = notifications_retry(ids=list(queryset.values_list("id", flat=True)))
        self.message_user(request, f"{count} delivery record(s) queued again.")
