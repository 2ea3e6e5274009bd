"""The OpenAPI schema says every error an operation can answer, in the shape it really has.

drf-spectacular documents the successful answers; ``document_errors`` (a
postprocessing hook, see ``SPECTACULAR_SETTINGS``) adds to each operation the
error statuses our code can return, worked out from its view as the request
would meet it: the permission classes (who may call it anonymously), the
parsers (a body that can be too large or of the wrong type), the throttles, the
renderers (the media types errors come in), ETag versioning (412) and path ids
or pagination (404). It also declares anonymous access (``{}`` in ``security``)
where the permissions allow it.

Every error is JSON in one shape, the shared component ``Error`` (built by
``core.errors.error_body``, whoever answers: core/exceptions.py, core/errors.py,
core/middleware.py, gunicorn)::

    {"detail": "a message a person can act on", "code": "machine_code",
     "errors": [{"field": "hops[0].source", "message": "...", "code": "does_not_exist"}]}

``errors`` holds ``ErrorItem``s: for input that failed validation (code ``invalid``)
one per message, with the field's path (null for the input as a whole) and the
message's own code; for any other error one, repeating ``detail`` and ``code``.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS

from core.concurrency import VersionedViewSetMixin
from core.middleware import MAX_URL_LENGTH
from core.permissions import RolePermission

ERROR = "Error"
ERROR_ITEM = "ErrorItem"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error the API answers: a message a person can act on, a stable code for programs, "
    "and each problem on its own. Input that failed validation has the code `invalid` and an item per message; "
    "a refused publication (`confirmation_required`, `publish_blocked`) has a first item saying what to send and "
    "an item per checklist item in the way, each with its own code; any other error (`not_found`, "
    "`permission_denied`, `not_authenticated`, `throttled`, `changed_since_read`, `unavailable`, ...) has one "
    "item, repeating `detail` and `code`.",
    "properties": {
        "detail": {
            "type": "string",
            "description": "What went wrong and what to do about it. For a validation error, every item's "
            "message, each after its field (`field: message`), joined by `; `.",
        },
        "code": {
            "type": "string",
            "description": "A stable, machine-readable code for the error as a whole: `invalid` for input "
            "that failed validation, otherwise what went wrong (`not_found`, `throttled`, ...).",
        },
        "errors": {
            "type": "array",
            "description": "Each problem on its own: one per validation message, or the error itself.",
            "items": _ref(ERROR_ITEM),
            "minItems": 1,
        },
    },
    "required": ["detail", "code", "errors"],
    "additionalProperties": False,
}

ERROR_ITEM_SCHEMA = {
    "type": "object",
    "description": "One problem with the request.",
    "properties": {
        "field": {
            "type": "string",
            "nullable": True,
            "description": "The input it is about, by path: `text`, `aliases[0]`, `hops[1].source`, or a query "
            "parameter's name. Null when it is about the request or the input as a whole.",
        },
        "message": {"type": "string", "description": "What is wrong with it, for a person."},
        "code": {
            "type": "string",
            "description": "A stable, machine-readable code: for validation the rule the value broke "
            "(`required`, `invalid`, `max_length`, `invalid_choice`, `min_value`, `unique`, `does_not_exist`, "
            "...), otherwise the error's own code.",
        },
    },
    "required": ["field", "message", "code"],
    "additionalProperties": False,
}

RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    }
}
WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "description": "How to authenticate: `Token`.",
        "required": True,
        "schema": {"type": "string"},
    }
}
ETAG = {
    "ETag": {
        "description": "The version of the representation; send it back in If-Match to PATCH or DELETE "
        "only if nobody changed the record since.",
        "required": True,
        "schema": {"type": "string"},
    }
}

_PAGINATION = {"page", "page_size", "cursor"}

# Renderers drf-spectacular leaves out of the schema (HTML for people, not clients),
# and CSV, which lists answer but errors never are.
_UNDOCUMENTED_MEDIA_TYPES = {"text/html", "text/csv"}

CSV_BODY = {
    "type": "string",
    "description": "Every record the filters select (not one page), one per row, with a header row: "
    "nested fields as dotted columns, lists joined by '; '. Streamed.",
}
CONDITIONAL_ETAG = {
    "ETag": {
        "description": "The version of this answer: send it in If-None-Match and get 304 while it is unchanged.",
        "schema": {"type": "string"},
    }
}


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB" if size >= 1024 * 1024 else f"{size} bytes"


class _Operation:
    """What an operation's view says about the errors it can answer."""

    def __init__(self, path: str, method: str, view: Any, operation: dict[str, Any]) -> None:
        self.path = path
        self.method = method.upper()
        self.view = view
        self.operation = operation
        self.safe = self.method in SAFE_METHODS

    # --- what the view does -------------------------------------------------------------

    def permissions(self) -> list[Any]:
        try:
            return list(self.view.get_permissions())
        except Exception:  # a view whose permissions need a real request: assume it checks roles
            return [None]

    def anonymous_allowed(self) -> bool:
        """Whether every permission lets an anonymous client through (no role needed)."""
        request = SimpleNamespace(method=self.method, user=AnonymousUser(), auth=None)
        for permission in self.permissions():
            try:
                if permission is None or not permission.has_permission(request, self.view):
                    return False
            except Exception:
                return False
        return True

    def denial_messages(self) -> list[str]:
        messages = []
        for permission in self.permissions():
            if isinstance(permission, RolePermission) and not self.safe:
                message = "Only editors may change records."
            else:
                message = getattr(permission, "message", None)
            if isinstance(message, str) and message not in messages:
                messages.append(message)
        return messages

    def session_auth(self) -> bool:
        return any(isinstance(auth, SessionAuthentication) for auth in self.view.get_authenticators())

    def throttle_scopes(self) -> set[str]:
        try:
            return {getattr(throttle, "scope", "") for throttle in self.view.get_throttles()}
        except Exception:
            return {""}

    def media_types(self) -> list[str]:
        """What errors are rendered as: JSON, and whatever the view's renderers negotiate."""
        types = ["application/json"]
        for renderer in self.view.get_renderers():
            media_type = renderer.media_type.split(";")[0].strip()
            if media_type not in types and media_type not in _UNDOCUMENTED_MEDIA_TYPES:
                types.append(media_type)
        return types

    def parser_types(self) -> list[str]:
        return [parser.media_type for parser in self.view.get_parsers()]

    def has_body(self) -> bool:
        return "requestBody" in self.operation

    def parameters(self, location: str) -> list[dict[str, Any]]:
        return [p for p in self.operation.get("parameters", []) if p.get("in") == location]

    def paginated(self) -> bool:
        names = {p.get("name") for p in self.parameters("query")}
        return bool(names & {"page", "cursor"})

    def versioned(self) -> bool:
        return isinstance(self.view, VersionedViewSetMixin) and self.method in ("PATCH", "DELETE")

    def noun(self) -> str:
        """``claim`` for /api/v1/claims/{id}/trace/: what the path's id names."""
        parts = self.path.strip("/").split("/")
        for i, part in enumerate(parts):
            if part.startswith("{") and i > 0:
                return parts[i - 1].removesuffix("s").replace("_", " ")
        return "record"

    # --- the errors -----------------------------------------------------------------------

    def errors(self) -> dict[str, tuple[str, Any, dict[str, Any]]]:
        """Status: (description, schema, headers)."""
        errors: dict[str, tuple[str, Any, dict[str, Any]]] = {}
        public = self.anonymous_allowed()
        # Pagination parameters are not validated (a page that does not exist is a 404);
        # a list refuses parameters it does not know (core.filters.StrictFilterBackend).
        has_query = self.paginated() or any(p.get("name") not in _PAGINATION for p in self.parameters("query"))

        reasons = []
        if self.has_body():
            reasons.append(
                "the body failed validation (code `invalid`, an item per message, by field) "
                "or is not well-formed (`parse_error`)"
            )
        if has_query:
            reasons.append("a query parameter is invalid or unknown (`invalid`, an item per message, by parameter)")
        reasons.append("the address holds a character that cannot be stored, such as a NUL")
        errors["400"] = ("Bad request: " + "; or ".join(reasons) + ".", _ref(ERROR), {})

        if public:
            errors["401"] = (
                "The Authorization header holds a token that is not valid. Send none to use this anonymously.",
                _ref(ERROR),
                WWW_AUTHENTICATE,
            )
        else:
            errors["401"] = (
                "Authentication needed: no credentials were sent, or the token is not valid.",
                _ref(ERROR),
                WWW_AUTHENTICATE,
            )

        forbidden = []
        if not public:
            forbidden.extend(self.denial_messages() or ["Your account has no role that allows this."])
        if not self.safe and self.session_auth():
            forbidden.append("A client logged in with the session cookie sent no valid CSRF token.")
        if forbidden:
            errors["403"] = ("Forbidden. " + " ".join(forbidden), _ref(ERROR), {})

        not_found = []
        if self.parameters("path"):
            noun = self.noun()
            hidden = " (anonymous clients see published claims only)" if public and noun == "claim" else ""
            not_found.append(f"No {noun} with this id is visible to you{hidden}.")
        if self.paginated():
            not_found.append("The page or cursor does not exist: follow the `next` and `previous` links.")
        if not_found:
            errors["404"] = ("Not found. " + " ".join(not_found), _ref(ERROR), {})

        produced = ", ".join(self.media_types())
        errors["406"] = (
            f"The Accept header allows none of the media types this operation answers with ({produced}).",
            _ref(ERROR),
            {},
        )

        if not self.safe and not public:
            errors["409"] = (
                "Conflict with the stored data: the change would break a rule of the database "
                "(a duplicate, or a reference to something that is gone). Nothing was changed.",
                _ref(ERROR),
                {},
            )

        if self.versioned():
            errors["412"] = (
                "If-Match does not match the record's current ETag: someone changed it since you read it. "
                "Nothing was changed; GET it again and re-apply your change.",
                _ref(ERROR),
                {},
            )

        if self.has_body():
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            errors["413"] = (
                f"The request body is larger than the limit ({_megabytes(limit)})."
                if limit
                else "The request body is too large.",
                _ref(ERROR),
                {},
            )

        errors["414"] = (
            f"The address (path and query string) is longer than {MAX_URL_LENGTH} characters.",
            _ref(ERROR),
            {},
        )

        if self.has_body():
            accepted = ", ".join(self.parser_types())
            errors["415"] = (f"The Content-Type is not one this operation reads ({accepted}).", _ref(ERROR), {})

        scopes = self.throttle_scopes()
        if "login" in scopes:
            errors["429"] = (
                "Too many attempts to log in from this address, or too many failed ones for this username: "
                "wait the Retry-After seconds before trying again.",
                _ref(ERROR),
                RETRY_AFTER,
            )
        elif scopes:
            errors["429"] = (
                "Too many requests: wait the Retry-After seconds before trying again.",
                _ref(ERROR),
                RETRY_AFTER,
            )

        errors["503"] = (
            "The database, or the cache that counts rate limits, is unavailable, or the request took too long. "
            "Nothing was changed; try again after Retry-After seconds.",
            _ref(ERROR),
            RETRY_AFTER,
        )
        return errors

    # --- writing them into the operation ---------------------------------------------------

    def document(self) -> None:
        responses = self.operation.setdefault("responses", {})
        media_types = self.media_types()
        for status, (description, schema, headers) in self.errors().items():
            response = responses.setdefault(status, {})
            # A description written on the view says it better than the generic one.
            if not response.get("description"):
                response["description"] = description
            if not response.get("content"):
                response["content"] = {media_type: {"schema": schema} for media_type in media_types}
            if headers:
                response["headers"] = {**headers, **response.get("headers", {})}
        ok = responses.get("200")
        if ok is not None and isinstance(self.view, VersionedViewSetMixin):
            if getattr(self.view, "action", None) in ("retrieve", "partial_update"):
                ok["headers"] = {**ETAG, **ok.get("headers", {})}
        if ok is not None and self.method == "GET":
            ok["headers"] = {**CONDITIONAL_ETAG, **ok.get("headers", {})}
            responses.setdefault("304", {"description": "Not modified: the If-None-Match ETag is still current."})
        if ok is not None and "text/csv" in ok.get("content", {}):
            ok["content"]["text/csv"] = {"schema": CSV_BODY}
        self.operation["responses"] = dict(sorted(responses.items()))

        security = self.operation.get("security")
        if security is not None and self.anonymous_allowed() and {} not in security:
            security.append({})


def document_errors(result: dict[str, Any], generator, request, public, **kwargs) -> dict[str, Any]:
    """Postprocessing hook: the error responses, anonymous access and a server for every operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(ERROR, ERROR_SCHEMA)
    schemas.setdefault(ERROR_ITEM, ERROR_ITEM_SCHEMA)
    result["components"]["schemas"] = dict(sorted(schemas.items()))

    paths = result.get("paths", {})
    for path, _regex, method, callback in generator.endpoints or []:
        view = generator.create_view(callback, method)
        path = generator.coerce_path(path, method, view)
        if not path.startswith("/"):
            path = "/" + path
        operation = paths.get(path, {}).get(method.lower())
        if operation is not None:
            _Operation(path, method, view, operation).document()

    if not result.get("servers"):
        result["servers"] = [{"url": "/", "description": "This server."}]
    return result
