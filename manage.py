#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings.local")
    from django.core.management import execute_from_command_line

    from core.history_context import command_context

    # Changes made by management commands are recorded as such in the history.
    with command_context(sys.argv):
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
