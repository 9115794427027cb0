"""Process helpers for the stack tool: liveness, identity, signals, waiting and log tails.

Synchronous on purpose: the stack tool is a CLI driving external processes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path


def is_alive(pid: int | None) -> bool:
    """True when ``pid`` exists and is not a zombie."""
    if pid is None or pid <= 0:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in {"Z", "X"}


def command_line(pid: int) -> list[str]:
    """The arguments of ``pid`` (empty when unreadable)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [arg.decode(errors="replace") for arg in raw.split(b"\0") if arg]


def is_our_process(pid: int | None, marker: str) -> bool:
    """True when ``pid`` is alive and ``marker`` is one of its arguments.

    The marker is a path unique to this stack (a properties file, a data dir), so a recycled pid
    or another postgres/java process on the machine is never mistaken for ours.
    """
    return pid is not None and is_alive(pid) and marker in command_line(pid)


def reap(pid: int) -> None:
    """Collect ``pid`` if it is our child, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    """Poll ``predicate`` until it returns True or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)  # noqa: TID251 - synchronous CLI, no event loop here


def wait_for_exit(pid: int, timeout: float) -> bool:
    """Wait until ``pid`` is gone; True if it exited within ``timeout`` seconds."""

    def gone() -> bool:
        reap(pid)
        return not is_alive(pid)

    return wait_until(gone, timeout, interval=0.2)


def terminate_group(pid: int, grace: float) -> None:
    """SIGTERM the process group led by ``pid``, then SIGKILL it after ``grace`` seconds."""
    _signal_group(pid, signal.SIGTERM)
    if wait_for_exit(pid, grace):
        return
    _signal_group(pid, signal.SIGKILL)
    wait_for_exit(pid, 5.0)


def _signal_group(pid: int, signum: signal.Signals) -> None:
    try:
        os.killpg(os.getpgid(pid), signum)
    except ProcessLookupError:
        return
    except PermissionError:
        os.kill(pid, signum)


def spawn_detached(argv: Sequence[str], log_file: Path, cwd: Path, env: dict[str, str] | None = None) -> int:
    """Start ``argv`` in its own session/process group, output appended to ``log_file``; return its pid."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process.pid


def mark_log(path: Path, what: str) -> None:
    """Append a start banner to ``path``, so that log tails show where the current attempt begins."""
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        handle.write(f"===== {stamp} structures stack: {what} =====\n")


def tail(path: Path, lines: int = 30) -> list[str]:
    """The last ``lines`` lines of ``path`` (empty when the file does not exist)."""
    try:
        with path.open(errors="replace") as handle:
            return [line.rstrip("\n") for line in deque(handle, maxlen=lines)]
    except OSError:
        return []


def run_checked(argv: Sequence[str], what: str, timeout: float = 120.0, input_text: str | None = None) -> str:
    """Run ``argv`` to completion and return its stdout; raise ``CommandFailedError`` on failure."""
    try:
        done = subprocess.run(
            list(argv),
            input=input_text if input_text is not None else "",
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise CommandFailedError(what, argv, str(error)) from error
    if done.returncode != 0:
        raise CommandFailedError(what, argv, (done.stderr or done.stdout).strip())
    return done.stdout


class CommandFailedError(RuntimeError):
    """A helper command (initdb, pg_ctl, mvn, StorageTool...) failed."""

    def __init__(self, what: str, argv: Sequence[str], output: str) -> None:
        self.what = what
        self.argv = list(argv)
        self.output = output
        super().__init__(f"{what} failed: {' '.join(self.argv)}\n{output}")
