"""Middleware: who made a change (for the history), requests refused at the door, and
every API error in the one shape (core.errors.error_body)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from pghistory.middleware import HistoryMiddleware

from core.errors import error_response, in_error_shape
from core.text import unstorable

# Longer request targets are refused (414) before anything else reads them.
MAX_URL_LENGTH = 4096


class ChangeContextMiddleware(HistoryMiddleware):
    """Records who made each change and through which door (admin, API)."""

    def get_context(self, request) -> dict[str, Any]:
        context = super().get_context(request)
        if request.path.startswith("/admin/"):
            context["app"] = "admin"
        elif request.path.startswith("/api/"):
            context["app"] = "api"
        else:
            context["app"] = "web"
        return context


class RequestSanityMiddleware:
    """Refuses, with a message, what no view should have to handle: a request target
    over 4 KiB (414) and, anywhere in the path or query string, characters
    PostgreSQL cannot store (a NUL, half a surrogate pair), which would otherwise
    fail a filter's query with a 500. JSON for the API, plain text elsewhere.

    On the way out, an API error that something other than our code answered (Django's
    empty 412 for a GET whose If-Match names another version, a view that built its own
    body) is put into the one error shape: it sits outside every middleware that answers."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        target = request.META.get("PATH_INFO", "") + "?" + request.META.get("QUERY_STRING", "")
        if len(target) > MAX_URL_LENGTH:
            return error_response(
                request,
                414,
                f"The address is {len(target)} characters long; the limit is {MAX_URL_LENGTH}.",
                "uri_too_long",
            )
        problem = unstorable(request.path)
        if problem is None:
            for key, values in request.GET.lists():
                problem = unstorable(key) or next(filter(None, map(unstorable, values)), None)
                if problem:
                    problem = f"{problem} in the query parameter {key!r}"
                    break
        if problem:
            return error_response(request, 400, f"The address contains {problem}, which is not allowed.", "invalid")
        return in_error_shape(request, self.get_response(request))


class ContentSecurityPolicyMiddleware:
    """A content security policy for every HTML page (the admin, the API docs): scripts,
    styles, images and fonts from this site only, nothing framed, forms posted here.
    Inline styles are allowed (the admin and the trace picture use style attributes);
    inline scripts are not: the API docs load theirs from a URL of their own."""

    POLICY = "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.POLICY)
        return response


class ApiHeadersMiddleware:
    """Headers every API answer carries: ``Vary: Authorization`` (an answer is the
    caller's: a cache must not hand a reader's list to the public), and the
    ``RateLimit-Limit``/``-Remaining``/``-Reset`` of the caller's budget."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/"):
            patch_vary_headers(response, ["Authorization"])
            budget = getattr(request, "rate_limit", None)
            if budget is not None:
                limit, remaining, reset = budget
                response["RateLimit-Limit"] = str(limit)
                response["RateLimit-Remaining"] = str(remaining)
                response["RateLimit-Reset"] = str(reset)
        return response
