"""Middleware: who made a change (for the history), requests refused at the door, and
every API error in the one shape (core.errors.error_body)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import MiddlewareNotUsed, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from pghistory.middleware import HistoryMiddleware

from core.db_routing import begin_request, replica_aliases
from core.errors import (
    CACHE_UNAVAILABLE_DETAIL,
    UNAVAILABLE_DETAIL,
    database_unavailable,
    error_response,
    in_error_shape,
    is_api,
    too_many_fields,
)
from core.text import unstorable
from core.throttling import CacheUnavailable, charge_refusal, throttled_detail

# Longer request targets are refused (414) before anything else reads them.
MAX_URL_LENGTH = 4096


class ChangeContextMiddleware(HistoryMiddleware):
    """Records who made each change and through which door (admin, API).

    Naming who needs ``request.user``, loaded here, outside the views, for every write: a
    database that is away is answered as everywhere else (503 with Retry-After, JSON for
    the API), even with DEBUG on, never with a crash page."""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The response of everything inside comes back as a response, never an exception
        # (Django wraps each middleware): what is caught here is the context's own work.
        try:
            return super().__call__(request)
        except Exception as error:
            if not database_unavailable(error):
                raise
            return error_response(request, 503, UNAVAILABLE_DETAIL, "unavailable")

    def get_context(self, request) -> dict[str, Any]:
        context = super().get_context(request)
        if request.path.startswith("/admin/"):
            context["app"] = "admin"
        elif request.path.startswith("/api/"):
            context["app"] = "api"
        else:
            context["app"] = "web"
        return context


class ReadYourWritesMiddleware:
    """Opens each request's routing between the primary and the replicas
    (core.db_routing): safe requests read a replica that has replayed their client's
    last write, and a request that wrote remembers the primary's position for its
    client. Not used when no replica is configured.

    Outside the session middleware: a login's session is saved before the position is
    read, so the next page finds it."""

    def __init__(self, get_response) -> None:
        if not replica_aliases():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        routing = begin_request(request)
        response = self.get_response(request)
        routing.finish(response)
        return response


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
            try:
                parameters = request.GET.lists()
            except TooManyFieldsSent:
                return error_response(request, 400, too_many_fields(), "invalid")
            for key, values in parameters:
                problem = unstorable(key) or next(filter(None, map(unstorable, values)), None)
                if problem:
                    problem = f"{problem} in the query parameter {key!r}"
                    break
        if problem:
            return error_response(request, 400, f"The address contains {problem}, which is not allowed.", "invalid")
        response = in_error_shape(request, self.get_response(request))
        if is_api(request) and 300 <= response.status_code < 400 and not response.streaming and not response.content:
            # A redirect with no body (Django's APPEND_SLASH, ours) has no body type either.
            del response["Content-Type"]
        return response


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
    ``RateLimit-Limit``/``-Remaining``/``-Reset`` of the caller's budget.

    And refusals cost: DRF refuses a request (401, 403) before its throttles run, so
    here every API refusal is charged to the caller's budget (an anonymous caller's
    address, a user's account) as an answered request is, and past the budget the
    answer is a 429 with Retry-After (core.throttling.charge_refusal). A cache that is
    away makes it a 503, as for every other request."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_api(request):
            if response.status_code in (401, 403):
                response = self._charge_refusal(request, response)
            patch_vary_headers(response, ["Authorization"])
            budget = getattr(request, "rate_limit", None)
            if budget is not None:
                limit, remaining, reset = budget
                response["RateLimit-Limit"] = str(limit)
                response["RateLimit-Remaining"] = str(remaining)
                response["RateLimit-Reset"] = str(reset)
        return response

    @staticmethod
    def _charge_refusal(request: HttpRequest, response: HttpResponse) -> HttpResponse:
        try:
            wait = charge_refusal(request)
        except CacheUnavailable:
            return error_response(request, 503, CACHE_UNAVAILABLE_DETAIL, "unavailable")
        if not wait:
            return response
        refused = error_response(request, 429, throttled_detail(wait), "throttled")
        refused["Retry-After"] = str(wait)
        return refused
