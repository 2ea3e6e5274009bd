"""API tokens, sent as ``Authorization: Token <key>`` or, as OAuth-style clients
do by default, ``Authorization: Bearer <key>``.

A token that is not valid costs its address: each one sent is counted against the
address before it is looked up (and given back if it was valid), so past the
address's budget for failures a client guessing or replaying tokens gets 429s, not
a database lookup each (core.throttling.credentials_attempt)."""

from __future__ import annotations

from rest_framework import authentication

from core.throttling import client_ip, credentials_attempt


class TokenAuthentication(authentication.TokenAuthentication):
    keywords = ("token", "bearer")

    def authenticate(self, request):
        words = authentication.get_authorization_header(request).split()
        if not words or words[0].decode("latin-1").lower() not in self.keywords:
            return None
        # DRF's own checks (one key, no spaces, valid characters) for either keyword.
        self.keyword = words[0].decode("latin-1")
        # Counted first (429 past the budget: no lookup); a failure raises and stays counted.
        attempt = credentials_attempt(client_ip(request))
        result = super().authenticate(request)
        if attempt is not None:
            attempt.refund()
        return result
