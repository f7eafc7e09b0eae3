from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from .models import ApiToken, Membership, SecurityEvent, Team, User
from .services import user_deactivate


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin, SimpleHistoryAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "time_zone", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff"]
    search_fields = ["email", "display_name"]
    inlines = [MembershipInline]
    actions = ["deactivate"]
    # Deactivation goes through the service (security event, timestamp), never a checkbox.
    readonly_fields = ["is_active", "deactivated_at", "last_login", "date_joined"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("display_name", "time_zone")}),
        ("Digest", {"fields": ("digest_enabled", "digest_weekday", "digest_hour")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined", "deactivated_at")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "display_name", "password1", "password2")}),
    )

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # users are deactivated, never deleted

    @admin.action(description="Deactivate selected users (they keep everything they wrote)")
    def deactivate(self, request, queryset):  # type: ignore[no-untyped-def]
        for user in queryset:
            user_deactivate(user=user, actor=request.user)
        self.message_user(request, f"{len(queryset)} user(s) deactivated.", messages.SUCCESS)


@admin.register(Team)
class TeamAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "key_prefix", "read_only", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["key_hash", "key_prefix"]


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "actor_email", "target", "ip_address"]
    list_filter = ["kind"]
    search_fields = ["actor_email", "target"]
