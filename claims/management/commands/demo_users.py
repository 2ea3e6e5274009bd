"""Demo users for local use: ``manage.py demo_users`` (``make run`` calls it)."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from claims.seeding import SeedError, demo_users_ensure


class Command(BaseCommand):
    help = (
        "Create the users editor, journalist, auditor (in their role groups) and the superuser admin, "
        "with API tokens. Passwords come from DEMO_PASSWORD or are generated and shown once. "
        "Idempotent. Refuses to run with DEBUG off unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (not for production).")
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="Where the app runs, for the printed links."
        )

    def handle(self, *args, force: bool, base_url: str, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: demo users with known passwords do not belong in production. Use --force to insist."
            )
        try:
            users = demo_users_ensure(password=os.environ.get("DEMO_PASSWORD") or None)
        except SeedError as exc:
            raise CommandError(str(exc)) from None
        base_url = base_url.rstrip("/")
        self.stdout.write(f"Admin:    {base_url}/admin/")
        self.stdout.write(f"API docs: {base_url}/api/v1/docs/")
        self.stdout.write(f"{'user':<11} {'role':<18} {'uses':<12} {'password':<40} API token")
        for user in users:
            role = ", ".join(user.roles) or "superuser"
            # Journalists read through the API (the admin would show confidential identities).
            uses = "API" if tuple(user.roles) == ("journalist",) else "admin+API"
            shown = user.password if user.password is not None else "(unchanged; set DEMO_PASSWORD to reset)"
            self.stdout.write(f"{user.username:<11} {role:<18} {uses:<12} {shown:<40} {user.token}")
        if any(u.password for u in users) and not os.environ.get("DEMO_PASSWORD"):
            self.stdout.write(self.style.WARNING("Generated passwords are shown only this once."))
