"""Local development/test stack: PostgreSQL 15, Apache Kafka 4.1 (KRaft) and an SMTP sink.

Everything listens on 127.0.0.1 only and keeps its data under ``.stack/`` at the repository root
(override with ``STACK_DIR``). Entry points: ``structures.stack.cli.run`` and
``python -m structures.stack up|down|status``; test fixtures read the connection settings with
``structures.stack.env.load_stack_env``.
"""
