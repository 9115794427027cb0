"""``python -m structures.stack up|down|status``."""

import sys

from structures.stack.cli import run

if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
