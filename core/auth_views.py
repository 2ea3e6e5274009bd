"""Logging in for API clients: ``POST /api/v1/auth/token/`` (username and password in,
token out), throttled per address and locked per username after repeated failures:
each attempt is counted before its password is checked (core.throttling.login_attempt)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from core.parsers import SafeJSONParser
from core.throttling import LOCKED_OUT, LoginRateThrottle, client_ip, login_attempt


class TokenView(ObtainAuthToken):
    throttle_classes = [LoginRateThrottle]
    parser_classes = [SafeJSONParser, FormParser, MultiPartParser]

    @extend_schema(
        summary="Get an API token",
        description="Send a username and password; use the token as `Authorization: Token <token>`. "
        "Repeated failures lock the username (and, after more, the address) for a while: 429 with Retry-After.",
        responses={
            200: inline_serializer("TokenResponse", fields={"token": serializers.CharField()}),
            400: OpenApiResponse(
                description="Wrong username or password (an error item with no field, code `authorization`), "
                "or one of them missing (an item on that field, code `required`)."
            ),
        },
        tags=["auth"],
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        username = request.data.get("username", "") if hasattr(request.data, "get") else ""
        username = username if isinstance(username, str) else ""
        # Counted before the password is checked, so parallel attempts cannot all be checked.
        attempt = login_attempt(username, client_ip(request))
        if attempt.wait:
            raise Throttled(attempt.wait, detail=LOCKED_OUT.format(minutes=max(1, attempt.wait // 60)))
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            raise ValidationError(serializer.errors)  # the attempt stays counted
        user = serializer.validated_data["user"]
        attempt.succeeded()
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
