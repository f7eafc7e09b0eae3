from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from accounts.http import AuthenticatedRequest
from accounts.models import ApiToken, Membership, SecurityEvent, SsoGroupMapping, Team, User
from accounts.security import current_request, security_event_record
from accounts.services import user_deactivate


class MembershipAuditMixin:
    """Records a role-change security event for every membership added, changed or removed in the admin."""

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)  # type: ignore[misc]  # a mixin: ModelAdmin is next in the MRO
            return
        ids = [f.instance.pk for f in formset.forms if f.instance.pk is not None]
        # Read the stored roles: the forms' instances already carry the edited values.
        before = dict(Membership.objects.filter(pk__in=ids).values_list("pk", "role"))
        super().save_formset(request, form, formset, change)  # type: ignore[misc]  # a mixin: ModelAdmin is next in the MRO
        for membership in formset.new_objects:
            _role_event(membership, f"added as {membership.role}")
        for membership, _fields in formset.changed_objects:
            _role_event(membership, f"role {before.get(membership.pk, '?')} -> {membership.role}")
        for membership in formset.deleted_objects:
            _role_event(membership, "removed from team")


def _role_event(membership: Membership, detail: str) -> None:
    security_event_record(
        kind=SecurityEvent.Kind.ROLE_CHANGE,
        actor=_request_user(),
        target=f"user:{membership.user_id} {membership.user.email} team:{membership.team.slug}",
        detail=detail,
    )


def _request_user() -> Any:
    request = current_request()
    return getattr(request, "user", None)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class UserAdmin(MembershipAuditMixin, BaseUserAdmin, SimpleHistoryAdmin):
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
        ("Two-factor sign-in", {"fields": ("totp_required",)}),
        ("Dates", {"fields": ("last_login", "date_joined", "deactivated_at")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "display_name", "password1", "password2")}),
    )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # users are deactivated, never deleted

    @admin.action(description="Deactivate selected users (they keep everything they wrote)")
    def deactivate(self, request: AuthenticatedRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            user_deactivate(user=user, actor=request.user)
        self.message_user(request, f"{len(queryset)} user(s) deactivated.", messages.SUCCESS)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        """Deactivation ends every session; staff and superuser changes are recorded as role changes."""
        old = User.objects.filter(pk=obj.pk).first() if change else None
        deactivating = old is not None and old.is_active and not obj.is_active
        if deactivating:
            obj.is_active = True  # user_deactivate below switches it off, ends sessions and records it
        super().save_model(request, obj, form, change)
        if old is None:
            return
        if deactivating:
            user_deactivate(user=obj, actor=request.user)
        for flag in ("is_staff", "is_superuser"):
            if getattr(old, flag) != getattr(obj, flag):
                security_event_record(
                    kind=SecurityEvent.Kind.ROLE_CHANGE,
                    actor=request.user,
                    target=f"user:{obj.pk} {obj.email}",
                    detail=f"{flag} {getattr(old, flag)} -> {getattr(obj, flag)}",
                )


@admin.register(Team)
class TeamAdmin(MembershipAuditMixin, SimpleHistoryAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "key_prefix", "read_only", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["key_hash", "key_prefix"]


@admin.register(SsoGroupMapping)
class SsoGroupMappingAdmin(admin.ModelAdmin):
    """The table that turns the identity provider's groups into team roles and admin rights."""

    list_display = ["group", "team", "role", "grants_admin"]
    list_filter = ["team", "grants_admin"]
    search_fields = ["group"]
