"""The interactive API docs are served entirely by us (no CDN: newsrooms run offline too)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_docs_page_loads_swagger_ui_from_our_own_static_files(client):
    response = client.get("/api/v1/docs/")

    assert response.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', response.content.decode())
    scripts = [a for a in assets if a.endswith(".js")]
    assert scripts, "the page loads Swagger UI's script"
    assert all(a.startswith("/static/") for a in scripts), assets


def test_the_favicon_is_served(client):
    from django.contrib.staticfiles import finders

    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("claims/favicon.svg")
    assert finders.find("claims/favicon.svg")
