"""Trusted documents (GraphQL over HTTP, « persisted documents »): a client sends ``documentId: "sha256:<hex>"``
instead of the document's text, for documents the service knows in advance.

The identifier is the SHA-256 of the document's exact text, computed here for every document loaded: a manifest's
own keys are checked against it, never believed. Unknown identifiers are refused (400) in French; requests that
carry a ``query`` keep working as before, with the same limits.
"""

import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from cross_web import HTTPException
from strawberry.http import GraphQLRequestData

from shared.errors import ConfigurationError

PREFIX = "sha256:"
HEX_ID = re.compile(r"sha256:[0-9a-f]{64}")


def document_id(text: str) -> str:
    return PREFIX + hashlib.sha256(text.encode()).hexdigest()


class TrustedDocuments:
    """The documents a service accepts by identifier, from manifests (hash → text) and folders of ``.graphql``."""

    def __init__(self, documents: Iterable[str] = ()) -> None:
        self._by_id: dict[str, str] = {}
        self._manifests: dict[Path, float | None] = {}
        """Manifests read again when they change (a build made after start-up), with the mtime last read."""
        self.lookup: Callable[[str], Awaitable[str | None]] | None = None
        """Where else to look for an identifier nothing loaded knows (e.g. documents registered in a database);
        what it finds is kept."""
        for text in documents:
            self.add(text)

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, identifier: object) -> bool:
        return identifier in self._by_id

    def add(self, text: str) -> str:
        identifier = document_id(text)
        self._by_id[identifier] = text
        return identifier

    def follow_manifest(self, path: Path) -> None:
        """Load ``path`` if it exists, and again whenever an unknown identifier arrives after it changed."""
        self._manifests[path] = None
        self._reload_changed()

    def _reload_changed(self) -> bool:
        changed = False
        for path, read_at in self._manifests.items():
            try:
                modified = path.stat().st_mtime
            except FileNotFoundError:
                continue
            if modified != read_at:
                self.add_manifest(path)
                self._manifests[path] = modified
                changed = True
        return changed

    def add_manifest(self, path: Path) -> None:
        """A JSON object ``{"<sha256 hex>": "<document>"}`` (graphql-codegen's persisted-documents output)."""
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ConfigurationError(f"trusted documents: cannot read {path}: {error}") from None
        if not isinstance(manifest, Mapping):
            raise ConfigurationError(f"trusted documents: {path} is not a JSON object of hash → document")
        for key, text in manifest.items():
            if not isinstance(text, str) or document_id(text) != PREFIX + str(key).removeprefix(PREFIX):
                raise ConfigurationError(f"trusted documents: in {path}, {key} is not the SHA-256 of its document")
            self.add(text)

    def add_folder(self, folder: Path) -> None:
        for path in sorted(folder.glob("*.graphql")):
            self.add(path.read_text(encoding="utf-8"))

    def known(self, identifier: str) -> str | None:
        """The text of a document already loaded (no manifest read, no lookup), or None."""
        return self._by_id.get(identifier)

    async def text_of(self, identifier: object) -> str:
        """The document named by ``identifier``, or a 400 saying what is wrong."""
        if not isinstance(identifier, str) or not HEX_ID.fullmatch(identifier):
            raise HTTPException(400, "documentId doit être de la forme « sha256:<64 chiffres hexadécimaux> ».")
        text = self._by_id.get(identifier)
        if text is None and self._reload_changed():
            text = self._by_id.get(identifier)
        if text is None and self.lookup is not None:
            text = await self.lookup(identifier)
            if text is not None and document_id(text) == identifier:
                self._by_id[identifier] = text
        if text is None:
            raise HTTPException(400, f"Document inconnu : {identifier[:80]} n'est pas un document de confiance.")
        return text


class DocumentIdRequests:
    """Mixin of a strawberry HTTP view: a GET or POST without ``query`` but with ``documentId`` runs that trusted
    document. Must come before the strawberry view in the class's bases."""

    trusted_documents: TrustedDocuments

    def should_render_graphql_ide(self, request: Any) -> bool:
        if request.query_params.get("documentId") is not None:
            return False
        rendered: bool = super().should_render_graphql_ide(request)  # type: ignore[misc]
        return rendered

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        data: GraphQLRequestData | list[GraphQLRequestData] = await super().parse_http_body(request)  # type: ignore[misc]
        if isinstance(data, GraphQLRequestData) and data.query is None:
            raw = (
                self.parse_query_params(request.query_params)  # type: ignore[attr-defined]
                if request.method == "GET"
                else self.parse_json(await request.get_body())  # type: ignore[attr-defined]
            )
            identifier = raw.get("documentId") if isinstance(raw, dict) else None
            if identifier is not None:
                data.query = await self.trusted_documents.text_of(identifier)
        return data
