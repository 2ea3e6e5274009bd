"""Django's flush, past the guard that refuses TRUNCATE on tracked tables: emptying
the whole database, history included, is what this command is for (the test
suite uses it between tests). It still asks first, unless --no-input."""

from __future__ import annotations

from django.core.management.commands import flush
from django.db import connections, transaction


class Command(flush.Command):
    def handle(self, **options):
        database = options["database"]
        with transaction.atomic(using=database):
            with connections[database].cursor() as cursor:
                cursor.execute("SET LOCAL factcheck.allow_truncate = 'on'")
            return super().handle(**options)
