"""Logging in for API clients: ``POST /api/v1/auth/token/`` (username and password in,
token out), throttled per address and locked per username after repeated failures."""

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
from core.throttling import LOCKED_OUT, LoginRateThrottle, client_ip, login_blocked, login_failed, login_succeeded


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
        ip = client_ip(request)
        wait = login_blocked(username, ip)
        if wait:
            raise Throttled(wait, detail=LOCKED_OUT.format(minutes=max(1, wait // 60)))
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            login_failed(username, ip)
            raise ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        login_succeeded(username, ip)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
