"""API tokens, sent as ``Authorization: Token <key>`` or, as OAuth-style clients
do by default, ``Authorization: Bearer <key>``."""

from __future__ import annotations

from rest_framework import authentication


class TokenAuthentication(authentication.TokenAuthentication):
    keywords = ("token", "bearer")

    def authenticate(self, request):
        words = authentication.get_authorization_header(request).split()
        if not words or words[0].decode("latin-1").lower() not in self.keywords:
            return None
        # DRF's own checks (one key, no spaces, valid characters) for either keyword.
        self.keyword = words[0].decode("latin-1")
        return super().authenticate(request)
