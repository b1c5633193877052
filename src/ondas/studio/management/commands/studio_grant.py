"""`ondas studio grant EMAIL SLUG --role owner`: staff give someone a role."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ondas.core.errors import OndasError
from ondas.studio.models import Role
from ondas.studio.selectors import studio_target_by_slug, user_by_email
from ondas.studio.services.members import membership_grant


class Command(BaseCommand):
    help = "Give a person a role on a show (or, with --book, an audiobook)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="the person's account address")
        parser.add_argument("slug", help="the show's slug (or the book's)")
        parser.add_argument("--role", choices=Role.values, default=Role.OWNER)
        parser.add_argument(
            "--book", action="store_true", help="SLUG names an audiobook"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_by_email(email=options["email"])
        if user is None:
            raise CommandError(f"No account has the address {options['email']}.")
        target = studio_target_by_slug(slug=options["slug"], book=options["book"])
        if target is None:
            what = "audiobook" if options["book"] else "show"
            raise CommandError(f"No {what} has the slug {options['slug']}.")
        try:
            membership = membership_grant(
                target=target, user=user, role=options["role"]
            )
        except OndasError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        self.stdout.write(f"{user.email} is now {membership.role} of “{target.title}”.")
