"""The floor: the least our read endpoints can cost, to measure the app against.

A WSGI app with no Django in the request path: raw psycopg (one connection a
process, statements prepared by psycopg after their fifth use) and orjson. It answers
the same URLs as the API, for an anonymous reader, with the same bytes (the
benchmark compares them, ``tests/test_bench.py`` too):

    GET /api/v1/claims/                       first page, and a page by ?cursor= (forwards)
    GET /api/v1/claims/{id}/                  a published claim
    GET /api/v1/claims/{id}/trace/            its trace (default chain_limit)
    GET /api/v1/sources/{id}/dependents/      the first page of claims relying on a source (no count),
                                              for a token whose user has a role (one query)

A trace is judged by the same code the API uses (``claims.provenance``: the one graph
query, ``assemble``, ``redact``, ``Trace.as_dict``): what the floor leaves out is the
framework (middleware, ORM, serializers, renderers, throttles), not the work a trace
is. Anything else answers 404. Served by gunicorn with the app's own configuration
(``python -m gunicorn -c factcheck/gunicorn.conf.py corpus.floor:application``),
DATABASE_URL naming the database.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlencode

import orjson
import psycopg

from claims.provenance.graph import CHAIN_LIMIT, distance_in, role_in
from claims.provenance.load import BARE_GRAPHS_SQL, assemble, bare_graphs, trace_sql
from claims.provenance.redaction import redact
from core.access import PUBLIC, Viewer, confidential_document_title, confidential_placeholder
from core.roles import ROLES

PAGE_SIZE = 50  # REST_FRAMEWORK["PAGE_SIZE"]
PUBLISHED = "published"
# claims.models.RATING_VALUES (the floor reads no models); the byte comparison keeps them equal.
RATING_VALUES = {"false": 1, "mostly_false": 2, "mixed": 3, "mostly_true": 4, "true": 5, "unproven": None}
CLAIM_COLUMNS = (
    "id, text, status, rating, rating_explanation, event_start, event_end, event_approximate, language, "
    "published_at, created_at, updated_at"
)
JSON = [("Content-Type", "application/json")]


class NotFound(Exception):
    pass


def connect(url: str) -> psycopg.Connection:
    """A connection as the app's (UTC, no JIT), in autocommit: every answer is one snapshot per query."""
    return psycopg.connect(url, autocommit=True, options="-c jit=off -c timezone=UTC")


def dumps(data: Any) -> bytes:
    # DRF's JSONRenderer: compact, UTF-8, datetimes in UTC as ...Z, U+2028/2029 escaped.
    body = orjson.dumps(data, option=orjson.OPT_UTC_Z)
    if b"\xe2\x80\xa8" in body or b"\xe2\x80\xa9" in body:
        body = body.replace("\u2028".encode(), b"\\u2028").replace("\u2029".encode(), b"\\u2029")
    return body


def absolute(environ: dict, **params: str) -> str:
    """rest_framework.utils.urls.replace_query_param on the request's own address."""
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    query.update({key: [value] for key, value in params.items()})
    return f"http://{environ['HTTP_HOST']}{environ['PATH_INFO']}?{urlencode(sorted(query.items()), doseq=True)}"


def cursor_token(position: int, *, reverse: bool = False) -> str:
    """rest_framework.pagination.CursorPagination.encode_cursor, offset 0 (ids are unique)."""
    tokens = {"r": "1"} if reverse else {}
    tokens["p"] = str(position)
    return base64.b64encode(urlencode(tokens, doseq=True).encode("ascii")).decode("ascii")


def read_cursor(token: str) -> int:
    try:
        tokens = parse_qs(base64.b64decode(token.encode("ascii")).decode("ascii"), keep_blank_values=True)
        if "r" in tokens or int(tokens.get("o", ["0"])[0]):
            raise ValueError("the floor reads forward cursors only")
        return int(tokens["p"][0])
    except (ValueError, KeyError, UnicodeError) as exc:
        raise NotFound from exc


class Floor:
    """The WSGI app. ``connection`` gives this process's connection (made on first use)."""

    def __init__(self, connection: Callable[[], psycopg.Connection]) -> None:
        self.connection = connection
        self.routes = [
            (re.compile(r"/api/v1/claims/"), self.claims),
            (re.compile(r"/api/v1/claims/(\d+)/"), self.claim),
            (re.compile(r"/api/v1/claims/(\d+)/trace/"), self.trace),
            (re.compile(r"/api/v1/sources/(\d+)/dependents/"), self.dependents),
        ]

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] == "GET":
            for pattern, view in self.routes:
                match = pattern.fullmatch(environ["PATH_INFO"])
                if match:
                    try:
                        body = dumps(view(environ, *(int(g) for g in match.groups())))
                    except NotFound:
                        break
                    start_response("200 OK", [*JSON, ("Content-Length", str(len(body)))])
                    return [body]
        body = b'{"detail":"Not found.","code":"not_found","errors":[]}'
        start_response("404 Not Found", [*JSON, ("Content-Length", str(len(body)))])
        return [body]

    # --- reads

    def _rows(self, sql: str, params: Any = ()) -> list[tuple]:
        with self.connection().cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def _claim_dicts(self, rows: list[tuple]) -> list[dict]:
        """ClaimSerializer's fields, in its order."""
        topics: dict[int, list[str]] = {}
        if rows:
            for claim_id, slug in self._rows(
                "SELECT ct.claim_id, t.slug FROM claims_claim_topics ct JOIN claims_topic t ON t.id = ct.topic_id "
                "WHERE ct.claim_id = ANY(%s) ORDER BY t.name",
                [[row[0] for row in rows]],
            ):
                topics.setdefault(claim_id, []).append(slug)
        return [
            {
                "id": cid,
                "text": text,
                "status": status,
                "rating": rating,
                "rating_value": RATING_VALUES.get(rating) if rating else None,
                "rating_explanation": explanation,
                "topics": topics.get(cid, []),
                "event_start": start,
                "event_end": end,
                "event_approximate": approximate,
                "language": language,
                "published_at": published,
                "created_at": created,
                "updated_at": updated,
            }
            for (cid, text, status, rating, explanation, start, end, approximate, language, published, created,
                 updated) in rows
        ]  # fmt: skip

    def _detail(self, claim_id: int) -> dict:
        """ClaimDetailSerializer's answer for the public."""
        rows = self._rows(
            f"SELECT {CLAIM_COLUMNS} FROM claims_claim WHERE id = %s AND status = %s", [claim_id, PUBLISHED]
        )
        if not rows:
            raise NotFound
        (claim,) = self._claim_dicts(rows)
        appearances = []
        for quote, doc_id, title, url, publisher, confidential, description in self._rows(
            "SELECT a.quote, d.id, d.title, d.url, p.id, p.confidential, p.public_description "
            "FROM claims_appearance a JOIN sources_document d ON d.id = a.document_id "
            "LEFT JOIN sources_source p ON p.id = d.publisher_id WHERE a.claim_id = %s ORDER BY a.id",
            [claim_id],
        ):
            if publisher is not None and confidential:  # Document.hidden_from(PUBLIC)
                title = confidential_document_title(confidential_placeholder(publisher, description))
                url = quote = ""
            appearances.append({"document": {"id": doc_id, "title": title, "url": url}, "quote": quote})
        claim["appearances"] = appearances
        claim["reviews_elsewhere"] = [
            dict(zip(("id", "author", "author_url", "url", "rating", "rating_label", "date_published",
                      "claim_reviewed"), row, strict=True))
            for row in self._rows(
                "SELECT id, author, author_url, url, rating, rating_label, date_published, claim_reviewed "
                "FROM claims_foreignreview WHERE claim_id = %s ORDER BY date_published DESC, id DESC",
                [claim_id],
            )
        ]  # fmt: skip
        return claim

    def _traces(self, claim_ids: list[int], chain_limit: int) -> dict:
        (row,) = self._rows(trace_sql(), {"claims": claim_ids, "as_of": None})
        return assemble(claim_ids, row, chain_limit=chain_limit)

    def _viewer(self, environ: dict) -> Viewer:
        """The token's user's roles (core.roles.user_roles), in one query; the public without a token."""
        words = environ.get("HTTP_AUTHORIZATION", "").split()
        if len(words) != 2 or words[0].lower() not in ("token", "bearer"):
            return PUBLIC
        rows = self._rows(
            "SELECT u.is_superuser, array(SELECT g.name FROM auth_user_groups ug"
            " JOIN auth_group g ON g.id = ug.group_id WHERE ug.user_id = u.id AND g.name = ANY(%s))"
            " FROM authtoken_token t JOIN auth_user u ON u.id = t.user_id WHERE t.key = %s AND u.is_active",
            [list(ROLES), words[1]],
        )
        if not rows:
            raise NotFound  # the API answers 401: not floored
        superuser, roles = rows[0]
        return Viewer(roles=frozenset(ROLES if superuser else roles))

    # --- endpoints

    def claims(self, environ: dict) -> dict:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if set(query) - {"cursor"}:
            raise NotFound  # filters, search, page sizes: not floored
        before = read_cursor(query["cursor"][0]) if "cursor" in query else None
        rows = self._rows(
            f"SELECT {CLAIM_COLUMNS} FROM claims_claim WHERE status = %s"
            + (" AND id < %s" if before is not None else "")
            + " ORDER BY id DESC LIMIT %s",
            [PUBLISHED, *([before] if before is not None else []), PAGE_SIZE + 1],
        )
        page = rows[:PAGE_SIZE]
        results = self._claim_dicts(page)
        for claim in results:
            claim["search"] = None
        following = len(rows) > PAGE_SIZE
        return {
            "next": absolute(environ, cursor=cursor_token(page[-1][0])) if following else None,
            "previous": absolute(environ, cursor=cursor_token(page[0][0], reverse=True))
            if before is not None and page
            else None,
            "results": results,
        }

    def claim(self, environ: dict, claim_id: int) -> dict:
        return self._detail(claim_id)

    def trace(self, environ: dict, claim_id: int) -> dict:
        if environ.get("QUERY_STRING"):
            raise NotFound  # as_of and chain_limit: not floored
        claim = self._detail(claim_id)
        trace = redact(self._traces([claim_id], CHAIN_LIMIT)[claim_id], PUBLIC)
        return {"claim": claim, **trace.as_dict()}

    def dependents(self, environ: dict, source_id: int) -> dict:
        viewer = self._viewer(environ)
        if not viewer.reads_unpublished or environ.get("QUERY_STRING"):
            raise NotFound  # the API answers 401 to the public; filters and pages: not floored
        if not self._rows("SELECT 1 FROM sources_source WHERE id = %s", [source_id]):
            raise NotFound
        # Claims citing the source, for a viewer with a role (every claim), newest first;
        # its role and distance in each judged on the page's bare graphs, as the API does.
        rows = self._rows(
            "SELECT c.id, c.text, c.status, c.rating FROM claims_claim c WHERE EXISTS (SELECT 1 FROM "
            "claims_statement s WHERE s.claim_id = c.id AND s.source_id = %s) ORDER BY c.id DESC LIMIT %s",
            [source_id, PAGE_SIZE + 1],
        )
        following, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
        ids = [row[0] for row in rows]
        graphs = bare_graphs(ids, self._rows(BARE_GRAPHS_SQL, {"claims": ids})) if rows else {}
        return {
            "next": absolute(environ, cursor=cursor_token(rows[-1][0])) if following else None,
            "previous": None,
            "results": [
                {"id": cid, "text": text, "status": status, "rating": rating,
                 "role": role_in(*graphs[cid], source_id), "distance": distance_in(*graphs[cid], source_id)}
                for cid, text, status, rating in rows
            ],
        }  # fmt: skip


_connection: psycopg.Connection | None = None


def _process_connection() -> psycopg.Connection:
    """One connection per process (gunicorn's sync workers answer one request at a time)."""
    global _connection
    if _connection is None or _connection.closed:
        _connection = connect(os.environ["DATABASE_URL"])
    return _connection


application = Floor(_process_connection)
