"""``.stack/state.json``: pids, ports and locations recorded by ``up`` and used by ``status``/``down``."""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar


@dataclass
class PostgresRecord:
    port: int | None = None
    pid: int | None = None
    home: str | None = None  # folder holding data/, socket/ and postgres.log (may live under /tmp)
    socket_dir: str | None = None


@dataclass
class KafkaRecord:
    port: int | None = None
    controller_port: int | None = None
    pid: int | None = None
    cluster_id: str | None = None


@dataclass
class SmtpRecord:
    port: int | None = None
    pid: int | None = None
    maildir: str | None = None


@dataclass
class StackState:
    postgres: PostgresRecord = field(default_factory=PostgresRecord)
    kafka: KafkaRecord = field(default_factory=KafkaRecord)
    smtp: SmtpRecord = field(default_factory=SmtpRecord)

    def used_ports(self) -> set[int]:
        ports = {self.postgres.port, self.kafka.port, self.kafka.controller_port, self.smtp.port}
        return {port for port in ports if port is not None}


_Record = TypeVar("_Record", PostgresRecord, KafkaRecord, SmtpRecord)


def _record(kind: type[_Record], raw: Any) -> _Record:
    if not isinstance(raw, dict):
        return kind()
    known = {f.name for f in dataclasses.fields(kind)}
    return kind(**{key: value for key, value in raw.items() if key in known})


def load_state(path: Path) -> StackState:
    """Read ``state.json``; a missing or unreadable file gives an empty state."""
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError):
        return StackState()
    if not isinstance(raw, dict):
        return StackState()
    return StackState(
        postgres=_record(PostgresRecord, raw.get("postgres")),
        kafka=_record(KafkaRecord, raw.get("kafka")),
        smtp=_record(SmtpRecord, raw.get("smtp")),
    )


def save_state(path: Path, state: StackState) -> None:
    """Write ``state.json`` atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(dataclasses.asdict(state), indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)
