"""The gateway serves the espace professionnel at ``/``: client-side routes fall back to ``index.html``, hashed
assets are cached for a year and the page never, the page's policy allows no inline script, and a gateway whose
``web/dist`` is not built still starts and says in French how to build it."""

import base64
import gzip
import hashlib
from pathlib import Path

import pytest
from starlette.types import Message

from gateway.web import EspaceProfessionnel
from tests.gateway_app import GatewayClient, gateway_client

INDEX = '<!doctype html><html lang="fr"><head><script type="module" src="/assets/index-AbC123.js"></script></head>'


@pytest.fixture
def start(sqlite_catalogue: Path, tmp_path: Path) -> GatewayClient:
    return gateway_client(sqlite_catalogue, tmp_path)


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    folder = tmp_path / "dist"
    (folder / "assets").mkdir(parents=True)
    (folder / "dsfr").mkdir()
    (folder / "index.html").write_text(INDEX)
    (folder / "assets" / "index-AbC123.js").write_text("console.log('espace professionnel')")
    (folder / "dsfr" / "dsfr.min.css").write_text("body{}")
    return folder


def _policy(header: str) -> dict[str, list[str]]:
    directives = (d.split() for d in header.split(";") if d.strip())
    return {name: sources for name, *sources in directives}


@pytest.mark.parametrize("path", ["/", "/disponibilites", "/etablissements/RXN0YWJ/modalites"])
async def test_the_page_and_its_client_side_routes_answer_index_html_never_cached(
    start: GatewayClient, dist: Path, path: str
) -> None:
    async with start(web_dist=dist) as client:
        response = await client.get(path)

    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-frame-options"] == "DENY"


async def test_the_page_policy_allows_scripts_from_the_gateway_only_and_the_two_colour_scheme_styles(
    start: GatewayClient, dist: Path
) -> None:
    async with start(web_dist=dist) as client:
        policy = _policy((await client.get("/")).headers["content-security-policy"])

    def sha256(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert policy["script-src"] == ["'self'"]
    assert sorted(policy["style-src"]) == sorted(
        ["'self'", sha256(":root { color-scheme: dark; }"), sha256(":root { color-scheme: light; }")]
    )
    assert policy["connect-src"] == ["'self'"]
    assert policy["default-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


async def test_hashed_assets_are_cached_for_a_year_other_files_are_revalidated(
    start: GatewayClient, dist: Path
) -> None:
    async with start(web_dist=dist) as client:
        asset = await client.get("/assets/index-AbC123.js")
        dsfr = await client.get("/dsfr/dsfr.min.css")
        again = await client.get("/dsfr/dsfr.min.css", headers={"if-none-match": dsfr.headers["etag"]})

    assert asset.status_code == 200
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "content-security-policy" not in asset.headers
    assert dsfr.headers["cache-control"] == "no-cache"
    assert again.status_code == 304


async def test_a_browser_accepting_gzip_gets_the_builds_compressed_asset_others_the_plain_one(
    start: GatewayClient, dist: Path
) -> None:
    script = "console.log('espace professionnel')"
    (dist / "assets" / "index-AbC123.js.gz").write_bytes(gzip.compress(script.encode(), 9))
    (dist / "dsfr" / "dsfr.min.css.gz").write_bytes(gzip.compress(b"body{}", 9))
    async with start(web_dist=dist) as client:
        style = await client.get("/dsfr/dsfr.min.css", headers={"accept-encoding": "gzip"})
        packed = await client.get("/assets/index-AbC123.js", headers={"accept-encoding": "gzip, br"})
        plain = await client.get("/assets/index-AbC123.js", headers={"accept-encoding": "identity"})
        raw = await client.send(client.build_request("GET", "/assets/index-AbC123.js",
                                                     headers={"accept-encoding": "gzip"}), stream=True)  # fmt: skip
        on_the_wire = b"".join([chunk async for chunk in raw.aiter_raw()])
        await raw.aclose()

    assert packed.text == script  # httpx undoes the encoding it was sent
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["content-type"].startswith("text/javascript")
    assert packed.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert packed.headers["vary"] == "accept-encoding"
    assert on_the_wire == (dist / "assets" / "index-AbC123.js.gz").read_bytes()
    assert "content-encoding" not in plain.headers
    assert plain.text == script
    assert (style.text, style.headers["content-encoding"], style.headers["cache-control"]) == (
        "body{}",
        "gzip",
        "no-cache",
    )


@pytest.mark.parametrize("path", ["/assets/index-Gone99.js", "/dsfr/absent.css", "/favicon.ico"])
async def test_a_missing_file_is_a_404_not_the_page(start: GatewayClient, dist: Path, path: str) -> None:
    async with start(web_dist=dist) as client:
        response = await client.get(path)

    assert response.status_code == 404


@pytest.mark.parametrize("built", [True, False])
async def test_anything_but_a_read_on_another_path_is_a_404_as_before(
    start: GatewayClient, dist: Path, tmp_path: Path, built: bool
) -> None:
    async with start(web_dist=dist if built else tmp_path / "never-built") as client:
        posted = await client.post("/graphqll", json={"query": "{ service { name } }"})
        deleted = await client.delete("/")

    assert (posted.status_code, deleted.status_code) == (404, 404)


async def test_graphql_and_health_keep_their_routes(start: GatewayClient, dist: Path) -> None:
    async with start(web_dist=dist) as client:
        answer = await client.post("/graphql", json={"query": "{ service { name } }"})
        health = await client.get("/healthz")

    assert answer.json() == {"data": {"service": {"name": "structures-gateway"}}}
    assert health.status_code == 200


async def test_without_a_build_the_gateway_starts_and_the_page_says_how_to_build_it(
    start: GatewayClient, tmp_path: Path
) -> None:
    missing = tmp_path / "never-built"
    async with start(web_dist=missing) as client:
        page = await client.get("/")
        route = await client.get("/disponibilites")
        asset = await client.get("/assets/index-AbC123.js")
        answer = await client.post("/graphql", json={"query": "{ service { name } }"})
        missing.mkdir()
        (missing / "index.html").write_text(INDEX)
        built = await client.get("/")

    assert page.status_code == 503
    assert "L'espace professionnel n'est pas construit" in page.text
    assert "npm run build" in page.text
    assert "make install" in page.text
    assert route.status_code == 503
    assert asset.status_code == 404
    assert answer.status_code == 200
    assert built.status_code == 200
    assert built.text == INDEX


@pytest.mark.parametrize("built", [True, False])
async def test_a_websocket_on_a_path_no_route_takes_is_closed(dist: Path, tmp_path: Path, built: bool) -> None:
    app = EspaceProfessionnel(dist if built else tmp_path / "never-built")
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app({"type": "websocket", "path": "/anything", "headers": []}, receive, send)

    assert [message["type"] for message in sent] == ["websocket.close"]


async def test_the_page_learns_the_moderation_url_and_its_policy_lets_it_connect_there_only(
    start: GatewayClient, dist: Path
) -> None:
    async with start(web_dist=dist, moderation_url="http://127.0.0.1:8001/graphql") as client:
        policy = _policy((await client.get("/file")).headers["content-security-policy"])
        config = await client.get("/config.json")
    async with start(web_dist=dist) as client:
        alone = _policy((await client.get("/")).headers["content-security-policy"])
        unset = (await client.get("/config.json")).json()

    assert policy["connect-src"] == ["'self'", "http://127.0.0.1:8001"]
    assert config.json() == {"moderationUrl": "http://127.0.0.1:8001/graphql"}
    assert config.headers["cache-control"] == "no-cache"
    assert alone["connect-src"] == ["'self'"]
    assert unset == {"moderationUrl": None}
