"""Trusted documents (issue 16, item 1): ``documentId: "sha256:<hex>"`` over POST and GET for the documents of the
manifests — the integrator guide's and the espace professionnel's — and validators for public GET answers."""

import json
import re
from pathlib import Path

import pytest

from shared.trusted_documents import document_id
from tests.gateway_app import GatewayClient, gateway_client

ROOT = Path(__file__).resolve().parents[2]
SINCE = (ROOT / "gateway" / "trusted_documents" / "integrators-since.graphql").read_text(encoding="utf-8")
CAFS = "query Cafs { cafs(first: 3) { code label } }"


@pytest.fixture
def gateway(sqlite_catalogue: Path, tmp_path: Path) -> GatewayClient:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "persisted-documents.json").write_text(json.dumps({document_id(CAFS).removeprefix("sha256:"): CAFS}))
    return lambda **overrides: gateway_client(sqlite_catalogue, tmp_path)(web_dist=dist, **overrides)


async def test_a_manifest_document_runs_by_its_id_over_post_and_get_like_its_text(gateway: GatewayClient) -> None:
    async with gateway() as client:
        by_text = await client.post("/graphql", json={"query": CAFS})
        by_post = await client.post("/graphql", json={"documentId": document_id(CAFS)})
        by_get = await client.get("/graphql", params={"documentId": document_id(CAFS)})
    assert by_text.json()["data"]["cafs"], by_text.text
    assert by_post.json() == by_text.json()
    assert by_get.json() == by_text.json()


async def test_the_integrator_guides_documents_are_trusted_and_equal_the_guide(gateway: GatewayClient) -> None:
    guide = (ROOT / "docs" / "integrators.md").read_text(encoding="utf-8")
    queries = [block for block in re.findall(r"```graphql\n(.*?)```", guide, re.S) if block.startswith("query")]
    assert queries == [SINCE], "the guide's queries and gateway/trusted_documents/ must be the same texts"
    async with gateway() as client:
        answer = await client.post("/graphql", json={"documentId": document_id(SINCE), "variables": {}})
    # The document ran: the integrators' feed asks for an API key (an answer of the API, not a 400 of the transport).
    assert answer.status_code == 200
    assert answer.json()["errors"][0]["extensions"]["code"] in ("UNAUTHENTICATED", "FORBIDDEN")


async def test_unknown_or_malformed_ids_are_refused_in_french(gateway: GatewayClient) -> None:
    async with gateway() as client:
        unknown = await client.post("/graphql", json={"documentId": "sha256:" + "0" * 64})
        malformed = await client.get("/graphql", params={"documentId": "md5:abc"})
        not_a_string = await client.post("/graphql", json={"documentId": 12})
    assert unknown.status_code == 400
    assert "Document inconnu" in unknown.text
    assert malformed.status_code == 400
    assert "sha256:" in malformed.text
    assert not_a_string.status_code == 400


async def test_a_manifest_built_after_start_up_is_read_at_the_first_unknown_id(
    sqlite_catalogue: Path, tmp_path: Path
) -> None:
    dist = tmp_path / "later"
    async with gateway_client(sqlite_catalogue, tmp_path)(web_dist=dist) as client:
        before = await client.post("/graphql", json={"documentId": document_id(CAFS)})
        dist.mkdir()
        (dist / "persisted-documents.json").write_text(json.dumps({document_id(CAFS)[7:]: CAFS}))
        after = await client.post("/graphql", json={"documentId": document_id(CAFS)})
    assert before.status_code == 400
    assert after.json()["data"]["cafs"]


async def test_a_manifest_whose_key_is_not_the_hash_of_its_document_stops_the_start(
    sqlite_catalogue: Path, tmp_path: Path
) -> None:
    from shared.errors import ConfigurationError

    dist = tmp_path / "bad"
    dist.mkdir()
    (dist / "persisted-documents.json").write_text(json.dumps({"ab" * 32: "{ __typename }"}))
    with pytest.raises(ConfigurationError, match="is not the SHA-256 of its document"):
        async with gateway_client(sqlite_catalogue, tmp_path)(web_dist=dist):
            pass


async def test_public_get_answers_carry_an_etag_and_revalidate_to_304(gateway: GatewayClient) -> None:
    params = {"documentId": document_id(CAFS)}
    async with gateway() as client:
        first = await client.get("/graphql", params=params)
        again = await client.get("/graphql", params=params, headers={"if-none-match": first.headers["etag"]})
        stale = await client.get("/graphql", params=params, headers={"if-none-match": '"something-else"'})
        signed = await client.get("/graphql", params=params, headers={"authorization": "Bearer not-a-token"})
        failed = await client.get("/graphql", params={"query": "{ cafs(first: 3) { nope } }"})
        posted = await client.post("/graphql", json=params)
    assert first.headers["cache-control"] == "public, max-age=0, must-revalidate"
    assert re.fullmatch(r'"[0-9a-f]{40}"', first.headers["etag"])
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["etag"] == first.headers["etag"]
    assert stale.status_code == 200
    assert stale.content == first.content
    assert signed.headers["cache-control"] == "private, no-cache"
    assert failed.headers["cache-control"] == "no-store"
    assert "etag" not in failed.headers
    assert "etag" not in posted.headers
