"""The API's one error shape, as the tests read it.

Every API error is ``{"detail", "code", "errors": [{"field", "message", "code"}, ...]}``
(core.errors.error_body). ``error_body`` checks a response is exactly that, and
``messages``/``codes`` read a validation error's items by field (None: no field).
"""

from __future__ import annotations

from typing import Any

# The codes of a publication the checklist refused (claims.services).
PUBLICATION_REFUSED = ("confirmation_required", "publish_blocked")


def error_body(response, status: int, code: str | None = None) -> dict[str, Any]:
    """The body of an error response, checked to be exactly the one shape (and to have
    ``code``, if given): ``detail`` reads every item, and an error that is not about
    input (any code but ``invalid``) has one item repeating ``detail`` and ``code``, but for a
    refused publication, whose first item says what to do and one item follows per checklist
    item in the way (``claims.api.views.publish_refused``)."""
    assert response.status_code == status, (response.status_code, getattr(response, "content", b"")[:500])
    # JSON, or the JSON-LD a ClaimReview's address answers in.
    assert response.headers["Content-Type"] in ("application/json", "application/ld+json"), response.headers
    body = response.json()
    assert list(body) == ["detail", "code", "errors"], body
    assert isinstance(body["detail"], str) and body["detail"], body
    assert isinstance(body["code"], str) and body["code"], body
    assert isinstance(body["errors"], list) and body["errors"], body
    for item in body["errors"]:
        assert list(item) == ["field", "message", "code"], item
        assert item["field"] is None or (isinstance(item["field"], str) and item["field"]), item
        assert isinstance(item["message"], str) and item["message"], item
        assert isinstance(item["code"], str) and item["code"], item
    read = [f"{item['field']}: {item['message']}" if item["field"] else item["message"] for item in body["errors"]]
    assert body["detail"] == "; ".join(read), body
    if body["code"] in PUBLICATION_REFUSED:
        # A refused publication: what to do first, then an item per checklist item in the way.
        assert body["errors"][0]["field"] is None and body["errors"][0]["code"] == body["code"], body
        assert len(body["errors"]) > 1 and all(item["field"] in ("status", "confirm") for item in body["errors"][1:])
    elif body["code"] != "invalid":
        assert body["errors"] == [{"field": None, "message": body["detail"], "code": body["code"]}], body
    if code is not None:
        assert body["code"] == code, body
    return body


def detail(response, status: int, code: str | None = None) -> str:
    """The message of an error in the one shape."""
    return error_body(response, status, code)["detail"]


def messages(response, status: int = 400) -> dict[str | None, list[str]]:
    """A validation error's messages by field, in the order they came (None: no field)."""
    by_field: dict[str | None, list[str]] = {}
    for item in error_body(response, status, "invalid")["errors"]:
        by_field.setdefault(item["field"], []).append(item["message"])
    return by_field


def codes(response, status: int = 400) -> dict[str | None, list[str]]:
    """A validation error's codes by field, in the order they came (None: no field)."""
    by_field: dict[str | None, list[str]] = {}
    for item in error_body(response, status, "invalid")["errors"]:
        by_field.setdefault(item["field"], []).append(item["code"])
    return by_field
