"""``structures stack up|down|status``: the local PostgreSQL + Kafka + SMTP sink stack."""

from __future__ import annotations

import argparse
import fcntl
import logging
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from structures.stack._process import tail
from structures.stack.component import ComponentError, ComponentStatus
from structures.stack.env import stack_env_values, write_stack_env
from structures.stack.kafka import Kafka
from structures.stack.layout import RepositoryNotFoundError, StackLayout
from structures.stack.ports import HOST, PortConfigError
from structures.stack.postgres import Postgres
from structures.stack.smtp import SmtpSink
from structures.stack.state import StackState, load_state, save_state

LOG_TAIL_LINES = 30


class Component(Protocol):
    name: str

    def up(self, taken: set[int]) -> None: ...

    def down(self) -> bool: ...

    def status(self) -> ComponentStatus: ...


def _components(layout: StackLayout, state: StackState) -> list[Component]:
    """Start order; ``down`` uses the reverse."""
    return [
        Postgres(layout, state.postgres),
        Kafka(layout, state.kafka),
        SmtpSink(layout, state.smtp),
    ]


def _ports_of_others(state: StackState, name: str) -> set[int]:
    own = {
        "postgres": {state.postgres.port},
        "kafka": {state.kafka.port, state.kafka.controller_port},
        "smtp": {state.smtp.port},
    }[name]
    return state.used_ports() - {port for port in own if port is not None}


@contextmanager
def _locked(layout: StackLayout) -> Iterator[None]:
    """Serialise ``up``/``down`` between concurrent invocations (e.g. parallel test sessions)."""
    with layout.lock_file.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("stack: another `stack` command is running, waiting for it...", file=sys.stderr)  # noqa: T201
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _print_status(statuses: list[ComponentStatus]) -> None:
    for status in statuses:
        running = "running" if status.running else "stopped"
        health = "healthy" if status.healthy else "unhealthy"
        where = f"{HOST}:{status.port}" if status.port else "-"
        pid = f"pid {status.pid}" if status.pid else ""
        print(f"{status.name:<9} {running:<8} {health:<10} {where:<16} {pid:<10} {status.detail}")  # noqa: T201


def _print_failure(error: ComponentError | PortConfigError, component: str) -> None:
    print(f"\nstack up FAILED: {component}", file=sys.stderr)  # noqa: T201
    reason, logs = (error.reason, error.logs) if isinstance(error, ComponentError) else (str(error), [])
    print(f"  why: {reason}", file=sys.stderr)  # noqa: T201
    for log_file in logs:
        lines = tail(log_file, LOG_TAIL_LINES)
        if lines:
            print(f"  --- last {len(lines)} lines of {log_file} ---", file=sys.stderr)  # noqa: T201
            print("\n".join(f"  | {line}" for line in lines), file=sys.stderr)  # noqa: T201
    print("  Whatever is already up stays up; `structures stack down` stops it.", file=sys.stderr)  # noqa: T201


def _write_env(layout: StackLayout, state: StackState) -> None:
    assert state.postgres.port is not None
    assert state.kafka.port is not None
    assert state.smtp.port is not None
    values = stack_env_values(state.postgres.port, state.kafka.port, state.smtp.port, layout.maildir)
    write_stack_env(layout.env_file, values)


def _start_one(component: Component, layout: StackLayout, state: StackState) -> bool:
    """Bring ``component`` up; on failure report it, stop what it left behind, return False."""
    try:
        component.up(_ports_of_others(state, component.name))
        return True
    except (ComponentError, PortConfigError) as error:
        _print_failure(error, component.name)
        try:
            component.down()
        except ComponentError as cleanup_error:
            print(f"  cleanup of {component.name} failed too: {cleanup_error}", file=sys.stderr)  # noqa: T201
        return False
    finally:
        save_state(layout.state_file, state)


def up(layout: StackLayout) -> int:
    started = time.monotonic()
    layout.ensure_stack_dir()
    with _locked(layout):
        state = load_state(layout.state_file)
        components = _components(layout, state)
        for component in components:
            if not _start_one(component, layout, state):
                return 1
        _write_env(layout, state)
        _print_status([component.status() for component in components])
    print(f"settings: {layout.env_file}  (up in {time.monotonic() - started:.1f} s)")  # noqa: T201
    return 0


def down(layout: StackLayout) -> int:
    if not layout.stack_dir.exists():
        print("stack: nothing to stop (no .stack folder)")  # noqa: T201
        return 0
    failures = 0
    with _locked(layout):
        state = load_state(layout.state_file)
        layout.env_file.unlink(missing_ok=True)
        for component in reversed(_components(layout, state)):
            try:
                stopped = component.down()
                print(f"{component.name:<9} {'stopped' if stopped else 'was not running'}")  # noqa: T201
            except ComponentError as error:
                failures += 1
                print(f"{component.name:<9} FAILED to stop: {error.reason}", file=sys.stderr)  # noqa: T201
            finally:
                save_state(layout.state_file, state)
    return 1 if failures else 0


def status(layout: StackLayout) -> int:
    state = load_state(layout.state_file)
    statuses = [component.status() for component in _components(layout, state)]
    _print_status(statuses)
    return 0 if all(item.healthy for item in statuses) else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="structures stack",
        description="Local PostgreSQL 15 + Kafka 4.1 + SMTP sink on 127.0.0.1, data under .stack/.",
    )
    parser.add_argument("command", choices=("up", "down", "status"))
    return parser


def run(argv: Sequence[str]) -> int:
    """Entry point of ``structures stack``; returns the process exit code."""
    try:
        args = _parser().parse_args(list(argv))
    except SystemExit as exit_request:  # --help or a usage error: argparse already printed why
        return exit_request.code if isinstance(exit_request.code, int) else 2
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("stack: %(message)s"))
    package_logger = logging.getLogger("structures.stack")
    package_logger.addHandler(handler)
    package_logger.setLevel(logging.INFO)
    try:
        layout = StackLayout.discover(Path.cwd())
        command = {"up": up, "down": down, "status": status}[args.command]
        return command(layout)
    except RepositoryNotFoundError as error:
        print(f"stack: {error}", file=sys.stderr)  # noqa: T201
        return 2
    finally:
        package_logger.removeHandler(handler)
