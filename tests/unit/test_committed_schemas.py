"""The GraphQL contracts are committed (``<service>/schema.graphql``), current, and never broken undeclared."""

import itertools
import shutil
import subprocess

import pytest

from structures.schemas import BUILDERS, DECLARED, ROOT, breaking_changes, committed_path, sdl_of, undeclared

SERVICES = sorted(BUILDERS)


@pytest.mark.parametrize("service", SERVICES)
def test_each_services_committed_sdl_is_what_its_code_serves(service: str) -> None:
    committed = committed_path(service).read_text(encoding="utf-8")

    assert committed == sdl_of(service), f"{service}/schema.graphql is stale: run `.venv/bin/structures schemas`"


def _versions(service: str) -> list[str]:
    """The committed versions of the service's SDL along the main line, oldest first (a merge is one step: a
    branch's own history, made beside other work, is not compared with that work)."""
    path = str(committed_path(service).relative_to(ROOT))
    log = subprocess.run(
        ["git", "-C", str(ROOT), "log", "--first-parent", "--format=%H", "--reverse", "--", path],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    shows = [
        subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:{path}"], capture_output=True, text=True)
        for commit in log.stdout.split()
    ]
    return [show.stdout for show in shows if show.returncode == 0]


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs the git history")
@pytest.mark.parametrize("service", SERVICES)
def test_no_commit_broke_a_contract_without_declaring_it(service: str) -> None:
    declared = DECLARED.read_text(encoding="utf-8")
    versions = [*_versions(service), committed_path(service).read_text(encoding="utf-8")]
    found = [
        change
        for before, after in itertools.pairwise(versions)
        for change in undeclared(service, breaking_changes(before, after), declared)
    ]

    assert found == [], f"undeclared breaking changes of {service} (declare them in {DECLARED.name}): {found}"


def test_a_removed_field_is_a_breaking_change_and_a_declared_one_passes() -> None:
    before = "type Query { a: Int, b: String }"
    after = "type Query { a: Int }"

    changes = breaking_changes(before, after)

    assert changes == ["Field Query.b was removed."]
    assert undeclared("gateway", changes, "") == changes
    assert undeclared("gateway", changes, "- gateway: Field Query.b was removed. (replaced by a)") == []
    assert breaking_changes(after, before) == []  # adding a field breaks nobody
