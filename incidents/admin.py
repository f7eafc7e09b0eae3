from __future__ import annotations

import secrets
from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import redirect
from simple_history.admin import SimpleHistoryAdmin

from accounts.http import AuthenticatedRequest
from accounts.models import SecurityEvent
from incidents import models as m
from incidents.audit.views import security_events_download
from incidents.incident.services.lifecycle import incident_restore
from incidents.notify.delivery import notifications_retry


class NoHardDeleteAdmin(SimpleHistoryAdmin):
    """Records of what happened are never hard-deleted from the UI; incidents are soft-deleted instead."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("no", "Not deleted"), ("yes", "Deleted")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


class ServiceDependencyInline(admin.TabularInline):
    model = m.ServiceDependency
    fk_name = "service"
    extra = 0
    verbose_name_plural = "depends on"


@admin.register(m.Service)
class ServiceAdmin(SimpleHistoryAdmin):
    """The catalog's settings pages are the usual place to edit services; this is the fallback."""

    list_display = ["name", "team", "tier"]
    list_filter = ["tier"]
    prepopulated_fields = {"slug": ("name",)}
    inlines = [ServiceDependencyInline]


@admin.register(m.Incident)
class IncidentAdmin(NoHardDeleteAdmin):
    list_display = ["number", "title", "severity", "status", "visibility", "started_at", "deleted_at"]
    list_filter = ["severity", "status", "visibility", DeletedFilter]
    search_fields = ["title"]
    readonly_fields = ["deleted_at"]
    actions = ["soft_delete", "restore"]

    @admin.action(description="Delete selected incidents (soft, with confirmation)…")
    def soft_delete(
        self, request: HttpRequest, queryset: QuerySet[m.Incident]
    ) -> HttpResponseRedirect | None:
        """One incident goes to its confirmation page (which asks for a reason); several are refused."""
        if queryset.count() != 1:
            self.message_user(
                request, "Delete one incident at a time: each needs a reason.", messages.WARNING
            )
            return None
        return redirect("incidents:delete", number=queryset.get().number)

    @admin.action(description="Restore selected deleted incidents")
    def restore(self, request: AuthenticatedRequest, queryset: QuerySet[m.Incident]) -> None:
        restored = 0
        for incident in queryset.filter(deleted_at__isnull=False):
            incident_restore(incident=incident, actor=request.user)
            restored += 1
        self.message_user(request, f"{restored} incident(s) restored.", messages.SUCCESS)


@admin.register(m.TimelineEntry)
class TimelineEntryAdmin(NoHardDeleteAdmin):
    list_display = ["incident", "occurred_at", "kind", "source", "author"]
    list_filter = ["kind", "source"]


kept: tuple[type[Model], ...] = (m.ContributingFactor, m.Postmortem, m.ActionItem, m.PolicyFinding)
for model in kept:
    admin.site.register(model, NoHardDeleteAdmin)

configuration: tuple[type[Model], ...] = (
    m.Tag,
    m.PostmortemTemplate,
    m.PostmortemReview,
    m.Subscription,
    m.SeverityMailingList,
    m.WebhookDelivery,
    m.ChangeEvent,
)
for model in configuration:
    admin.site.register(model, SimpleHistoryAdmin if hasattr(model, "history") else admin.ModelAdmin)


@admin.register(m.WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Outbound webhooks (admins only, as the whole admin): whether each carries restricted incidents is
    in the list and on the form."""

    list_display = ("url", "events", "is_active", "include_restricted", "created_at")
    list_filter = ("is_active", "include_restricted")
    exclude = ("secret",)  # shown once, by the API that creates or rotates it; never on a page

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        """An endpoint added here gets a generated secret, shown once in the message after saving."""
        generated = not obj.secret
        if generated:
            obj.secret = secrets.token_urlsafe(32)
        super().save_model(request, obj, form, change)
        if generated:
            messages.warning(request, f"Copy this signing secret now, it is shown this once: {obj.secret}")


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
    def retry_deliveries(self, request: HttpRequest, queryset: QuerySet[m.Notification]) -> None:
        count = notifications_retry(ids=list(queryset.values_list("id", flat=True)))
        self.message_user(request, f"{count} delivery record(s) queued again.")


@admin.register(m.AlertIntegration)
class AlertIntegrationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "team", "is_active", "key_prefix", "last_used_at"]
    list_filter = ["kind", "is_active"]
    exclude = ["key_hash"]
    readonly_fields = ["key_prefix", "last_used_at", "created_at", "created_by"]


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """Read-only: events are written by Hindsight and deleted only by prune_security_events after a year.

    Registered here rather than in accounts/admin.py: its export writes CSV with `incidents.csv`, and
    accounts imports nothing from incidents."""

    list_display = ["created_at", "kind", "actor_email", "target", "ip_address"]
    list_filter = ["kind", "created_at"]
    search_fields = ["actor_email", "target", "detail"]
    date_hierarchy = "created_at"
    actions = ["export_csv"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Export selected events as CSV")
    def export_csv(self, request: HttpRequest, queryset: QuerySet[SecurityEvent]) -> StreamingHttpResponse:
        detail = f"{queryset.count()} selected in admin"
        return security_events_download(request, queryset, filename="security-events.csv", detail=detail)
