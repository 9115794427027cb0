"""Apache Kafka 4.1.1 in single-node KRaft mode, run from a Maven-resolved classpath.

Files live in ``.stack/kafka/``: ``libs/`` (jars), ``server.properties``, ``log4j2.xml``, ``data/``,
``server.log`` (log4j2) and ``kafka.out`` (JVM stdout/stderr).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from structures.stack import ports
from structures.stack._process import (
    CommandFailedError,
    is_alive,
    is_our_process,
    mark_log,
    reap,
    run_checked,
    spawn_detached,
    terminate_group,
    wait_until,
)
from structures.stack.component import ComponentError, ComponentStatus
from structures.stack.kafka_runtime import (
    BROKER_MAIN,
    NAME,
    STORAGE_TOOL_MAIN,
    log4j2_xml,
    new_cluster_id,
    resolve_libs,
    server_properties,
)
from structures.stack.layout import StackLayout
from structures.stack.state import KafkaRecord

PORT_ENV = "STACK_KAFKA_PORT"
CONTROLLER_PORT_ENV = "STACK_KAFKA_CONTROLLER_PORT"
READY_TIMEOUT = 90.0
STOP_GRACE = 15.0
JVM_OPTIONS = ("-Xms256m", "-Xmx512m", "-XX:+UseG1GC", "-Djava.net.preferIPv4Stack=true")

log = logging.getLogger(__name__)


async def _metadata_round_trip(bootstrap: str, seconds: float) -> bool:
    """True when the broker answers a Metadata request listing at least one broker."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        request_timeout_ms=int(seconds * 1000),
        client_id="structures-stack-probe",
    )
    try:
        async with asyncio.timeout(seconds):
            await admin.start()
            cluster = await admin.describe_cluster()
        return bool(cluster.get("brokers"))
    finally:
        await admin.close()


def broker_answers(port: int, seconds: float = 5.0) -> bool:
    """TCP connect, then a real Kafka metadata round-trip, on 127.0.0.1:``port``."""
    if not ports.accepts_connections(port):
        return False
    client_logger = logging.getLogger("aiokafka")
    previous = client_logger.level
    client_logger.setLevel(logging.CRITICAL + 1)  # connection errors are expected while starting
    try:
        return asyncio.run(_metadata_round_trip(f"{ports.HOST}:{port}", seconds))
    except Exception:  # noqa: BLE001 - any client failure just means "not ready yet"
        return False
    finally:
        client_logger.setLevel(previous)


class Kafka:
    """Lifecycle of the stack's Kafka broker."""

    name = NAME

    def __init__(self, layout: StackLayout, record: KafkaRecord) -> None:
        self.layout = layout
        self.record = record
        home = layout.kafka_dir
        self.libs = home / "libs"
        self.properties = home / "server.properties"
        self.log4j_config = home / "log4j2.xml"
        self.data_dir = home / "data"
        self.server_log = home / "server.log"
        self.console_log = home / "kafka.out"
        self.maven_log = home / "maven.log"

    @property
    def logs(self) -> list[Path]:
        return [self.server_log, self.console_log]

    def _running(self) -> bool:
        return is_our_process(self.record.pid, str(self.properties))

    def status(self) -> ComponentStatus:
        running = self._running()
        pid = self.record.pid if running else None
        healthy = running and self.record.port is not None and broker_answers(self.record.port)
        return ComponentStatus(NAME, running, healthy, self.record.port, pid, str(self.data_dir))

    def up(self, taken: set[int]) -> None:
        """Start the broker (resolving jars and formatting storage the first time) and wait for it."""
        if not self._running():
            self._check_java()
            self.layout.kafka_dir.mkdir(parents=True, exist_ok=True)
            resolve_libs(self.layout.kafka_pom, self.libs, self.maven_log)
            self.record.port = ports.choose(PORT_ENV, self.record.port, taken)
            taken = {*taken, self.record.port}
            controller = ports.choose(CONTROLLER_PORT_ENV, self.record.controller_port, taken)
            self.record.controller_port = controller
            self._write_config(self.record.port, self.record.controller_port)
            self._format_storage()
            self._start()
        else:
            log.info("kafka: already running (pid %s, port %s)", self.record.pid, self.record.port)
            self._warn_ignored_env_ports()
        self._wait_ready()

    def _warn_ignored_env_ports(self) -> None:
        for env_name, port in ((PORT_ENV, self.record.port), (CONTROLLER_PORT_ENV, self.record.controller_port)):
            warning = ports.ignored_env_port(env_name, port)
            if warning:
                log.warning("kafka: %s", warning)

    def _check_java(self) -> None:
        if shutil.which("java") is None:
            raise ComponentError(NAME, "`java` (17+) not found on PATH; apt-get install -y default-jre")

    def _classpath(self) -> str:
        return f"{self.libs}/*"

    def _write_config(self, port: int, controller_port: int) -> None:
        self.properties.write_text(server_properties(port, controller_port, self.data_dir))
        self.log4j_config.write_text(log4j2_xml(self.server_log))

    def _format_storage(self) -> None:
        """Format the KRaft storage once (``--standalone``); later starts reuse it."""
        if (self.data_dir / "meta.properties").exists():
            return
        self.record.cluster_id = self.record.cluster_id or new_cluster_id()
        log.info("kafka: formatting storage in %s (cluster id %s)", self.data_dir, self.record.cluster_id)
        argv = ["java", "-cp", self._classpath(), STORAGE_TOOL_MAIN, "format", "--standalone"]
        argv += ["-t", self.record.cluster_id, "-c", str(self.properties)]
        try:
            run_checked(argv, "kafka storage format", timeout=120)
        except CommandFailedError as error:
            raise ComponentError(NAME, str(error), self.logs) from error

    def _start(self) -> None:
        argv = ["java", *JVM_OPTIONS, f"-Dlog4j2.configurationFile={self.log4j_config}"]
        argv += [f"-Dkafka.logs.dir={self.layout.kafka_dir}", "-cp", self._classpath(), BROKER_MAIN]
        argv.append(str(self.properties))
        log.info("kafka: starting on 127.0.0.1:%s (controller :%s)", self.record.port, self.record.controller_port)
        for log_file in self.logs:
            mark_log(log_file, f"starting {BROKER_MAIN}")
        self.record.pid = spawn_detached(argv, self.console_log, cwd=self.layout.kafka_dir)

    def _wait_ready(self) -> None:
        port, pid = self.record.port, self.record.pid
        assert port is not None
        assert pid is not None

        def ready() -> bool:
            reap(pid)
            if not is_alive(pid):
                raise ComponentError(NAME, f"broker process {pid} exited during startup", self.logs)
            return broker_answers(port)

        if not wait_until(ready, READY_TIMEOUT, interval=0.5):
            reason = f"no metadata answer on 127.0.0.1:{port} after {READY_TIMEOUT:.0f} s"
            raise ComponentError(NAME, reason, self.logs)

    def down(self) -> bool:
        """SIGTERM our broker's process group, SIGKILL after 15 s; True if something was stopped."""
        if not self._running():
            self.record.pid = None
            return False
        assert self.record.pid is not None
        terminate_group(self.record.pid, STOP_GRACE)
        self.record.pid = None
        return True
