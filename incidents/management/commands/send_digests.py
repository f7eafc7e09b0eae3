"""`manage.py send_digests [--dry-run] [--user EMAIL]`: weekly digests now, for everyone or one user."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from incidents.notify.claims import Wanted, notifications_claim_many
from incidents.notify.delivery import notifications_publish
from incidents.notify.digests import digest_window
from incidents.notify.messages import digest_email


class Command(BaseCommand):
    help = (
        "Build the weekly digest of every user with digests on (or of --user) now. With --dry-run, print "
        "what would be sent and send nothing; otherwise claim this local week's digest (sent once per week, "
        "however often this runs) and queue it."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Print the digests; send nothing.")
        parser.add_argument("--user", metavar="EMAIL", help="Only this user's digest.")

    def handle(self, *args: Any, **options: Any) -> None:
        users = User.objects.filter(is_active=True).order_by("email")
        if options["user"]:
            email = options["user"].strip().lower()
            users = users.filter(email=email)
            if not users.exists():
                raise CommandError(f"No active user with the email {email!r}.")
        else:
            users = users.filter(digest_enabled=True)
        if getattr(settings, "SITE_URL_IS_DEFAULT", False):
            self.stderr.write(
                f"Note: links in the digests go to {settings.SITE_URL}, the default, because SITE_URL is "
                "not set. Set SITE_URL (in the environment or .env) to the address people open Hindsight at."
            )
        else:
            self.stdout.write(f"Links go to {settings.SITE_URL} (SITE_URL).")
        now = timezone.now()
        wanted = []
        for user in users:
            message = digest_email(user, now=now, in_progress=True)
            if message is None:
                self.stdout.write(f"{user.email}: nothing to report, no digest.")
                continue
            if options["dry_run"]:
                self.stdout.write(f"=== To: {user.email}\n=== Subject: {message.subject}\n{message.body}")
                continue
            period = digest_window(now, user.time_zone).period
            wanted.append(Wanted(user.email, "digest.weekly", f"user:{user.pk}", period, user.pk))
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was sent.")
            return
        ids = notifications_claim_many(wanted)
        notifications_publish(ids)
        self.stdout.write(
            f"Queued {len(ids)} digest(s); {len(wanted) - len(ids)} already sent or claimed this week."
        )
