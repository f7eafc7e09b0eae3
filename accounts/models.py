"""Users, teams and memberships. Users are deactivated, never deleted."""

from __future__ import annotations

import hashlib
import secrets
import zoneinfo
from collections.abc import Iterator
from datetime import UTC
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from simple_history.models import HistoricalRecords


def validate_time_zone(value: str) -> None:
    """Raise ValidationError unless `value` is an IANA time-zone name such as `Pacific/Auckland`."""
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone (for example Europe/Berlin).")


class UserQuerySet(models.QuerySet["User"]):
    def delete(self) -> Any:
        raise RuntimeError("Users are deactivated, never deleted: use accounts.services.user_deactivate.")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_queryset(self) -> UserQuerySet:
        return UserQuerySet(self.model, using=self._db)

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email address.

    `time_zone` is an IANA name; every time is shown in it. Digest preferences say when the weekly
    digest is sent, in the user's local time.
    """

    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=150, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    digest_enabled = models.BooleanField(default=True)
    digest_weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.MONDAY)
    digest_hour = models.PositiveSmallIntegerField(default=9)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    # Part of the session hash: bumping it ends every session of the user (accounts.security).
    session_generation = models.PositiveIntegerField(default=0, editable=False)
    # Two-factor sign-in (accounts.totp): the base32 secret once confirmed, and the last time step used
    # (a code is accepted once). An admin can require it for a local account.
    totp_secret = models.CharField(max_length=64, blank=True, editable=False)
    totp_enabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    totp_last_step = models.BigIntegerField(default=0, editable=False)
    totp_required = models.BooleanField(
        default=False, help_text="The person must set up two-factor sign-in before using Hindsight."
    )

    objects = UserManager()
    # Old password hashes must not pile up in the history table; sign-ins are security events instead.
    history = HistoricalRecords(
        excluded_fields=["password", "last_login", "session_generation", "totp_secret", "totp_last_step"]
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []  # unannotated: the stubs declare it as a class variable on AbstractBaseUser

    class Meta:
        ordering = ["display_name", "email"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(digest_hour__gte=0, digest_hour__lte=23), name="digest_hour_0_23"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def name(self) -> str:
        return self.display_name or self.email.split("@")[0]

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")

    def _session_hash(self, secret: str | bytes | None = None) -> str:
        key_salt = "accounts.User.get_session_auth_hash"
        value = f"{self.password}:{self.session_generation}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()

    @property
    def totp_enabled(self) -> bool:
        return bool(self.totp_secret and self.totp_enabled_at)

    def get_session_auth_hash(self) -> str:
        """Django's session hash, over the password hash and `session_generation`.

        A session whose stored hash no longer matches (password changed, sign-out everywhere,
        deactivation) is flushed by `django.contrib.auth.get_user` on its next request.
        """
        return self._session_hash()

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(secret=fallback_secret)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Users are deactivated, never deleted: use accounts.services.user_deactivate.")


class Team(models.Model):
    """A group of people who own services and action items."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    chat_webhook_url = models.URLField(
        blank=True, help_text="Slack-compatible or Microsoft Teams incoming webhook."
    )
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="IANA zone the team's chat messages give times in (with UTC beside them).",
    )
    members = models.ManyToManyField(User, through="Membership", related_name="teams")
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        """The team's zone (`time_zone`), UTC when the stored name is no longer known."""
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")


class Membership(models.Model):
    """A user's role in a team: viewer reads, responder records and reviews, lead also manages the team."""

    class Role(models.TextChoices):
        VIEWER = "viewer", "Viewer"
        RESPONDER = "responder", "Responder"
        LEAD = "lead", "Team lead"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.RESPONDER)
    # Made from the identity provider's groups (accounts.sso): removed when the groups no longer give it.
    from_sso = models.BooleanField(default=False)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="unique_membership")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"


class ApiToken(models.Model):
    """A named API token. Only the SHA-256 of the secret is stored; the secret is shown once."""

    PREFIX = "hst_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    key_prefix = models.CharField(max_length=12)
    read_only = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @staticmethod
    def hash_key(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def generate_key(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)


class SsoGroupMapping(models.Model):
    """What a group in the identity provider's `groups` claim gives at sign-in: a team role, admin, or both.

    Edited by admins. At each single sign-on the user's memberships made from groups are set to what their
    groups give now (a user removed from a group loses the team), and, when any row grants admin, the
    user is an admin exactly when one of their groups grants it.
    """

    group = models.CharField(max_length=200, help_text="The group's name as the provider sends it.")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="sso_groups")
    role = models.CharField(max_length=20, choices=Membership.Role.choices, default=Membership.Role.RESPONDER)
    grants_admin = models.BooleanField(default=False)

    class Meta:
        ordering = ["group"]
        constraints = [models.UniqueConstraint(fields=["group", "team"], name="unique_sso_group_team")]

    def __str__(self) -> str:
        return f"{self.group} → {self.team or ''} {self.role if self.team else ''}{' admin' if self.grants_admin else ''}"


class Invitation(models.Model):
    """An invitation by email to join a team; only the SHA-256 of the link's token is stored."""

    email = models.EmailField()
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=20, choices=Membership.Role.choices, default=Membership.Role.RESPONDER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} to {self.team}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class UserSession(models.Model):
    """One sign-in (a browser or device), for the sessions list on the profile.

    It is live while its Django session exists, has not expired, and was made in the user's current
    `session_generation` (sign-out everywhere bumps it).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sign_in_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    generation = models.PositiveIntegerField(default=0)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} since {self.created_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


class SecurityEvent(models.Model):
    """A security-relevant event (sign-in, denied access, role change, export, deletion). Kept at least a year."""

    class Kind(models.TextChoices):
        SIGN_IN = "sign_in", "Sign-in"
        SIGN_IN_FAILED = "sign_in_failed", "Failed sign-in"
        SIGN_OUT = "sign_out", "Sign-out"
        ACCESS_DENIED = "access_denied", "Access denied"
        ROLE_CHANGE = "role_change", "Role change"
        EXPORT = "export", "Export"
        DELETION = "deletion", "Deletion"
        RESTORE = "restore", "Restore"
        VISIBILITY_CHANGE = "visibility_change", "Visibility change"
        DEACTIVATION = "deactivation", "Deactivation"
        TOKEN = "token", "API token"
        PASSWORD_RESET = "password_reset", "Password reset"
        INVITATION = "invitation", "Invitation"
        TWO_FACTOR = "two_factor", "Two-factor sign-in"

    kind = models.CharField(max_length=30, choices=Kind.choices)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_email = models.CharField(max_length=254, blank=True)
    target = models.CharField(max_length=255, blank=True)
    detail = models.TextField(blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.target}"
