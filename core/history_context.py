from __future__ import annotations

import contextlib
import getpass
from collections.abc import Iterator

# Commands that never touch tracked data; wrapping them would only add noise
# (and runserver's requests carry their own context).
_UNTRACKED = {"runserver", "test", "shell", "dbshell", "help", "check", "makemigrations", "spectacular"}


@contextlib.contextmanager
def command_context(argv: list[str]) -> Iterator[None]:
    command = argv[1] if len(argv) > 1 else ""
    if not command or command in _UNTRACKED or command.startswith("-"):
        yield
        return
    import django

    django.setup()
    import pghistory

    with pghistory.context(app="command", command=command, os_user=getpass.getuser()):
        yield
