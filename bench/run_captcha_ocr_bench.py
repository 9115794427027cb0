"""S19: how many on-screen challenges a packaged OCR reads, before (the ``captcha`` package's image, as shipped
until issue 12) and after (``gateway.habilitation.challenge_image``). Target: ≤ 5 % read.

The OCR is ddddocr (its wheel ships its models; made for captchas), used the way an attacker would without
writing a solver: both of its models (default and ``beta``), its output limited to the challenge's alphabet
(``set_ranges``) — and, as a second attacker, each of its colour-filter presets tried on every image, counted as
read when any preset gives the answer (an upper bound: the attacker cannot tell which one did). The answers are
drawn like the product's (6 characters of its alphabet, CSPRNG); a read is exact, ignoring case and spaces, as
the product's check does.

    .venv/bin/pip install -e '.[bench]' && .venv/bin/python bench/run_captcha_ocr_bench.py [--count 500]

Writes ``bench/results/<timestamp>-captcha-ocr.json``, ``captcha-ocr.md``, the key ``S19`` of ``latest.json``,
and with ``--samples`` a few images of the new challenge to ``docs/images/challenge-*.png``.
"""

import argparse
import io
import json
import math
import secrets
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ddddocr
from captcha.image import ImageCaptcha
from catalogue_bench.environment import RESULTS, machine
from PIL import Image, ImageChops, ImageFilter

from gateway.habilitation.challenge_image import draw_png
from gateway.habilitation.challenges import _ALPHABET as ALPHABET
from gateway.habilitation.challenges import LENGTH

TARGET_PERCENT = 5.0
PRESETS = ["red", "orange", "yellow", "green", "cyan", "blue", "purple", "black", "gray"]
DOCS_IMAGES = Path(__file__).resolve().parents[1] / "docs" / "images"
_BEFORE = ImageCaptcha(width=220, height=80)


def before(text: str) -> bytes:
    return bytes(_BEFORE.generate(text).getvalue())


def solver_for_this_image(image: bytes) -> bytes:
    """What someone who studied the new image would write first: blur the woven answer into its dull colour,
    keep the dull dark pixels. Not a packaged OCR's option: measured to show the limit, not against the target."""
    blurred = Image.open(io.BytesIO(image)).convert("RGB").filter(ImageFilter.BoxBlur(1))
    _, saturation, value = blurred.convert("HSV").split()
    dull = Image.eval(saturation, lambda level: 255 if level < 90 else 0)
    dark = Image.eval(value, lambda level: 255 if level < 170 else 0)
    kept = Image.new("RGB", blurred.size, "white")
    kept.paste((0, 0, 0), mask=ImageChops.multiply(dull, dark))
    buffer = io.BytesIO()
    kept.save(buffer, format="PNG")
    return buffer.getvalue()


def answer() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalised(read: str) -> str:
    return "".join(read.split()).upper()


def measure(ocr: Any, draw: Callable[[str], bytes], count: int, *, attacks: bool) -> dict[str, Any]:
    plain = filtered = solved = 0
    started = time.perf_counter()
    for _ in range(count):
        text = answer()
        image = draw(text)
        plain += normalised(ocr.classification(image)) == text
        if attacks:
            filtered += any(normalised(ocr.classification(image, color_filter_colors=[p])) == text for p in PRESETS)
            solved += normalised(ocr.classification(solver_for_this_image(image))) == text
    result: dict[str, Any] = {"count": count, "read": plain}
    result |= {"percent": _percent(plain, count), "upper95": _upper95(plain, count)}
    if attacks:
        result["any_colour_preset"] = {"read": filtered, "percent": _percent(filtered, count)}
        result["solver_for_this_image"] = {"read": solved, "percent": _percent(solved, count)}
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def _percent(read: int, count: int) -> float:
    return round(100 * read / count, 1)


def _upper95(read: int, count: int) -> float:
    """Wilson score upper bound of the read rate (95 %), in percent."""
    z, p = 1.96, read / count
    centre = p + z * z / (2 * count)
    margin = z * math.sqrt(p * (1 - p) / count + z * z / (4 * count * count))
    return round(100 * (centre + margin) / (1 + z * z / count), 1)


def run(count: int) -> dict[str, Any]:
    models: dict[str, Any] = {}
    for model in ("default", "beta"):
        ocr = ddddocr.DdddOcr(show_ad=False, beta=model == "beta")
        ocr.set_ranges(ALPHABET + ALPHABET.lower())
        models[model] = {
            "before": measure(ocr, before, count, attacks=False),
            "after": measure(ocr, draw_png, count, attacks=True),
        }
        print(model, json.dumps(models[model]), flush=True)
    return models


def main() -> int:
    parser = argparse.ArgumentParser(description="S19: a packaged OCR against the on-screen challenge")
    parser.add_argument("--count", type=int, default=500, help="challenges per image kind and model (500)")
    parser.add_argument("--samples", type=int, default=0, help="also write N samples to docs/images/")
    args = parser.parse_args()
    if args.samples:
        write_samples(args.samples)
    models = run(args.count)
    after = max(m["after"]["percent"] for m in models.values())
    coloured = max(m["after"]["any_colour_preset"]["percent"] for m in models.values())
    earlier = max(m["before"]["percent"] for m in models.values())
    solver = max(m["after"]["solver_for_this_image"]["percent"] for m in models.values())
    now = datetime.now(UTC)
    raw = {
        "ocr": f"ddddocr {version('ddddocr')}",
        "alphabet": ALPHABET, "length": LENGTH, "models": models, "after_percent": after,
        "after_any_colour_preset_percent": coloured, "before_percent": earlier,
        "after_solver_for_this_image_percent": solver,
        "command": " ".join(["bench/run_captcha_ocr_bench.py", *sys.argv[1:]]), "date": now.isoformat(),
        "machine": machine(),
    }  # fmt: skip
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"{stamp}-captcha-ocr.json").write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "captcha-ocr.md").write_text(markdown(raw))
    write_latest(raw)
    return 0


def write_latest(raw: dict[str, Any]) -> None:
    checks = {
        "plain_percent<=5": raw["after_percent"] <= TARGET_PERCENT,
        "any_colour_preset_percent<=5": raw["after_any_colour_preset_percent"] <= TARGET_PERCENT,
    }
    latest_path = RESULTS / "latest.json"
    latest = json.loads(latest_path.read_text()) if latest_path.exists() else {}
    latest["S19"] = {
        "value": raw["after_percent"], "unit": "% of challenges read", "before": raw["before_percent"],
        "any_colour_preset": raw["after_any_colour_preset_percent"], "ocr": raw["ocr"],
        "solver_for_this_image": raw["after_solver_for_this_image_percent"],
        "target": f"<= {TARGET_PERCENT:g} % read by a packaged OCR (ddddocr, best of its two models)",
        "met": all(checks.values()), "checks": checks, "command": raw["command"], "date": raw["date"],
        "machine": raw["machine"],
    }  # fmt: skip
    latest_path.write_text(json.dumps(latest, indent=2, ensure_ascii=False) + "\n")


def markdown(raw: dict[str, Any]) -> str:
    lines = [
        "# On-screen challenge against a packaged OCR (S19)",
        "",
        f"- Date: {raw['date']}; machine: {raw['machine']['cpu']}, {raw['machine']['cores']} cores; "
        f"command: `{raw['command']}`",
        f"- OCR: {raw['ocr']} (models shipped in its wheel), output limited to the alphabet `{raw['alphabet']}`; "
        f"answers of {raw['length']} characters drawn like the product's; a read is exact (case and spaces ignored).",
        "- Before: the `captcha` package's `ImageCaptcha(220, 80)`, the image until issue 12. After: "
        "`gateway/habilitation/challenge_image.py` (samples: `docs/images/challenge-*.png`).",
        "- « any colour preset »: each of ddddocr's colour filters tried on every image, read when any of them "
        "gives the answer (an upper bound for an attacker who tries them all).",
        "- « solver for this image »: not a packaged option but the first thing someone who studied the new image "
        "would write (`solver_for_this_image`: blur, keep the dull dark pixels, then the same OCR): the limit, "
        "outside the target.",
        "",
        "| model | image | challenges | read | rate | 95 % upper bound | any colour preset | solver for this image |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for model, kinds in raw["models"].items():
        for kind, result in kinds.items():
            preset = result.get("any_colour_preset")
            coloured = f"{preset['percent']} %" if preset else "—"
            solver = result.get("solver_for_this_image")
            solved = f"{solver['percent']} %" if solver else "—"
            lines.append(
                f"| {model} | {kind} | {result['count']} | {result['read']} | {result['percent']} % | "
                f"{result['upper95']} % | {coloured} | {solved} |"
            )
    met = raw["after_percent"] <= TARGET_PERCENT and raw["after_any_colour_preset_percent"] <= TARGET_PERCENT
    lines += [
        "",
        f"Target ≤ {TARGET_PERCENT:g} %: {'met' if met else 'NOT met'} (after: {raw['after_percent']} %, "
        f"{raw['after_any_colour_preset_percent']} % with any colour preset; before: {raw['before_percent']} %).",
        "",
        f"Limits: a solver written for this image reads {raw['after_solver_for_this_image_percent']} % of them with "
        "ten lines of Pillow (a tuned one would do better): the image stops packaged OCRs, not a determined attacker, "
        "which is why challenges are single use and short-lived, and the forms behind them throttled. The audio "
        "alternative (`Challenge.audioDataUrl`) is not measured against speech recognition.",
        "",
    ]
    return "\n".join(lines)


def write_samples(count: int) -> None:
    DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
    for index in range(1, count + 1):
        (DOCS_IMAGES / f"challenge-{index}.png").write_bytes(draw_png(answer()))
    (DOCS_IMAGES / "challenge-before.png").write_bytes(before(answer()))


if __name__ == "__main__":
    sys.exit(main())
