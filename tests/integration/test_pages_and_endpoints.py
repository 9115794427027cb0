"""Pages and endpoints of the three services: security headers, GraphiQL that forgets pasted headers, /metrics
behind a token when one is set."""

import base64
import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from shared import graphiql
from tests.gateway_app import gateway_client
from tests.service_apps import ServiceClient, service_client

SERVICES = ("gateway", "moderation", "notifier")


@pytest.fixture
def start(sqlite_catalogue: Path, tmp_path: Path) -> Callable[[str], ServiceClient]:
    """``async with start(name)(**settings) as client`` for any of the three services."""
    return lambda name: (
        gateway_client(sqlite_catalogue, tmp_path) if name == "gateway" else service_client(name, tmp_path)
    )


def _policy(response: httpx.Response) -> dict[str, list[str]]:
    directives = (d.split() for d in response.headers["content-security-policy"].split(";") if d.strip())
    return {name: sources for name, *sources in directives}


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@pytest.mark.parametrize("name", ["gateway", "moderation"])
async def test_graphiql_forgets_pasted_headers_and_its_policy_allows_exactly_what_the_page_loads(
    start: Callable[[str], ServiceClient], name: str
) -> None:
    async with start(name)() as client:
        page = await client.get("/graphql", headers={"accept": "text/html"})

    html, policy = page.text, _policy(page)
    assert "GraphiQL" in html
    assert "shouldPersistHeaders: false" in html
    assert "shouldPersistHeaders: true" not in html
    assert policy["default-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert page.headers["x-frame-options"] == "DENY"
    for body in re.findall(r"<script>(.*?)</script>", html, re.DOTALL):
        assert _sha256(body) in policy["script-src"]
    files = re.findall(r'<(script|link)[^>]*?(?:src|href)="((?!data:)[^"]+)"', html)
    assert len(files) >= 5, files  # React, ReactDOM, GraphiQL and its explorer, their style sheets
    for kind, url in files:
        assert url.startswith("/graphiql-assets/"), f"{url} would need the internet"
        assert "'self'" in policy["script-src" if kind == "script" else "style-src"], url
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]


@pytest.mark.parametrize("name", ["gateway", "moderation"])
async def test_graphiql_serves_the_files_its_page_loads_with_their_integrity_hashes(
    start: Callable[[str], ServiceClient], name: str
) -> None:
    async with start(name)() as client:
        html = (await client.get("/graphql", headers={"accept": "text/html"})).text
        tags = re.findall(r'<(?:script|link)[^>]*?(?:src|href)="(/[^"]+)"[^>]*?integrity="([^"]+)"', html, re.DOTALL)
        assert len(tags) >= 5, html
        for url, integrity in tags:
            asset = await client.get(url)
            assert asset.status_code == 200, url
            assert asset.headers["content-type"].startswith("text/css" if url.endswith(".css") else "text/javascript")
            assert asset.headers["x-content-type-options"] == "nosniff"
            algorithm, digest = integrity.split("-", 1)
            assert base64.b64encode(hashlib.new(algorithm, asset.content).digest()).decode() == digest, url


async def test_graphiql_says_its_files_are_missing_instead_of_loading_forever(
    start: Callable[[str], ServiceClient], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graphiql, "ASSETS", tmp_path / "not-built")
    async with start("moderation")() as client:
        page = await client.get("/graphql", headers={"accept": "text/html"})

    assert page.status_code == 503
    assert "fichiers non installés" in page.text
    assert "make install" in page.text
    assert "graphiql@3.8.3/graphiql.min.js" in page.text
    assert "<script" not in page.text


@pytest.mark.parametrize("name", SERVICES)
async def test_every_response_is_nosniff_without_referrer_and_html_is_never_framed(
    start: Callable[[str], ServiceClient], name: str
) -> None:
    async with start(name)() as client:
        responses = [
            await client.post("/graphql", json={"query": "{ __typename }"}),
            await client.get("/healthz"),
            await client.get("/metrics"),
            await client.get("/nowhere"),
        ]

    for response in responses:
        assert response.headers["x-content-type-options"] == "nosniff", response.url
        assert response.headers["referrer-policy"] == "no-referrer", response.url
        if response.headers.get("content-type", "").startswith("text/html"):
            assert response.headers["x-frame-options"] == "DENY"
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize("name", SERVICES)
async def test_metrics_answer_only_the_bearer_of_the_token_when_one_is_set(
    start: Callable[[str], ServiceClient], name: str
) -> None:
    async with start(name)(metrics_token="scrape-Secret-42") as client:
        anonymous = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"authorization": "Bearer scrape-Secret-41"})
        basic = await client.get("/metrics", headers={"authorization": "Basic scrape-Secret-42"})
        scraper = await client.get("/metrics", headers={"authorization": "Bearer scrape-Secret-42"})
        health = await client.get("/healthz")
    async with start(name)(metrics_token="") as client:  # as .env.example leaves it: no token
        open_metrics = await client.get("/metrics")

    for refused in (anonymous, wrong, basic):
        assert refused.status_code == 401
        assert refused.json()["code"] == "UNAUTHENTICATED"
        assert "structures_" not in refused.text
        assert refused.headers["www-authenticate"].startswith("Bearer")
    assert scraper.status_code == 200
    assert "structures_" in scraper.text
    assert health.status_code == 200
    assert open_metrics.status_code == 200
