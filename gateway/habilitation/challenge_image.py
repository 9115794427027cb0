"""The image of an on-screen challenge: readable by a person, costly for the OCR packages anyone can install.

A person tells the answer from the rest by its colour (a dark blue), an OCR made for captchas reads grey levels.
So between the answer's characters stand decoy characters of the same size and boldness in a red, brown or olive
exactly as light as that blue: in grey they are the same ink, and the OCR reads a line of a dozen characters
(bench/run_captcha_ocr_bench.py measures it, target ≤ 5 %). Behind, faint characters and strokes; on the answer,
two fonts, sizes, angles and shears, two arcs of its own ink and a wave bending the whole line.
Limits: a solver written for this image could separate the hues; colour is not the only cue for people (the
answer's characters are also the larger, upright ones) and the audio alternative serves whoever cannot see it.
Everything random comes from the operating system's CSPRNG, as the answer does.
"""

import io
import math
import secrets
from functools import cache
from pathlib import Path

import captcha
from PIL import Image, ImageDraw, ImageFilter, ImageFont

WIDTH, HEIGHT = 320, 100
_DECOYS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_RANDOM = secrets.SystemRandom()


@cache
def _fonts(size: int) -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, ...]:
    """Two shapes of each character: DroidSansMono (shipped by ``captcha``) and Aileron (shipped by Pillow)."""
    droid = Path(captcha.__file__).parent / "data" / "DroidSansMono.ttf"
    return ImageFont.truetype(str(droid), size), ImageFont.load_default(size)


def draw_png(text: str) -> bytes:
    """A PNG of ``text`` (the challenge's answer) among clutter."""
    image = Image.new("RGB", (WIDTH, HEIGHT), _background())
    _clutter(image)
    ink = _ink()
    _characters(image, text, ink)
    _arcs(image, ink)
    image = _wave(image)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _background() -> tuple[int, int, int]:
    return (_RANDOM.randint(225, 250), _RANDOM.randint(225, 250), _RANDOM.randint(225, 250))


def _ink() -> tuple[int, int, int]:
    """A dark blue or violet: the answer's colour."""
    return (_RANDOM.randint(20, 90), _RANDOM.randint(30, 70), _RANDOM.randint(170, 230))


def _decoy_ink(ink: tuple[int, int, int]) -> tuple[int, int, int]:
    """A red, brown or green as light as ``ink``: different for a person, the same grey for a grey-level OCR."""
    target = _luminance(ink) + _RANDOM.uniform(-6, 6)
    hue = _RANDOM.choice(((1.0, 0.25, 0.0), (0.9, 0.45, 0.1), (0.55, 0.5, 0.0), (0.95, 0.1, 0.3)))
    scale = target / _luminance(hue)
    return (min(255, round(hue[0] * scale)), min(255, round(hue[1] * scale)), min(255, round(hue[2] * scale)))


def _luminance(colour: tuple[float, float, float]) -> float:
    return 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]


def _faint() -> tuple[int, int, int]:
    level = _RANDOM.randint(150, 200)
    return (level + _RANDOM.randint(-20, 20), level + _RANDOM.randint(-20, 20), level + _RANDOM.randint(-20, 20))


def _clutter(image: Image.Image) -> None:
    """Faint characters and strokes behind everything."""
    for _ in range(_RANDOM.randint(8, 12)):
        glyph = _glyph(_RANDOM.choice(_DECOYS), _RANDOM.randint(18, 30), _faint(), tilt=60)
        image.paste(glyph, (_RANDOM.randint(-10, WIDTH - 10), _RANDOM.randint(-10, HEIGHT - 10)), glyph)
    draw = ImageDraw.Draw(image)
    for _ in range(_RANDOM.randint(6, 9)):
        x, y = _RANDOM.randint(0, WIDTH), _RANDOM.randint(0, HEIGHT)
        end = (x + _RANDOM.randint(-40, 40), y + _RANDOM.randint(-30, 30))
        draw.line([(x, y), end], fill=_faint(), width=_RANDOM.randint(1, 3))


def _characters(image: Image.Image, text: str, ink: tuple[int, int, int]) -> None:
    """The answer, each character its own font, size and angle, overlapping the previous one; between them,
    decoy characters of the same size in another colour of the same lightness."""
    glyphs = [_glyph(ch, _RANDOM.randint(44, 54), ink, tilt=20, bold=True) for ch in text]
    step = (WIDTH - 16) / len(glyphs)
    for index in range(len(glyphs)):
        decoy = _glyph(_RANDOM.choice(_DECOYS), _RANDOM.randint(38, 50), _decoy_ink(ink), tilt=40, bold=True)
        dx = int(8 + (index + _RANDOM.uniform(0.35, 0.75)) * step - decoy.width / 2)
        image.paste(decoy, (dx, (HEIGHT - decoy.height) // 2 + _RANDOM.randint(-14, 14)), decoy)
    for index, glyph in enumerate(glyphs):
        x = int(8 + index * step + _RANDOM.uniform(-4, 4))
        y = (HEIGHT - glyph.height) // 2 + _RANDOM.randint(-8, 8)
        image.paste(glyph, (x, y), glyph)


def _glyph(ch: str, size: int, colour: tuple[int, int, int], *, tilt: int, bold: bool = False) -> Image.Image:
    font = _RANDOM.choice(_fonts(size))
    left, top, right, bottom = font.getbbox(ch)
    layer = Image.new("RGBA", (int(right - left) + 8, int(bottom - top) + 8), (0, 0, 0, 0))
    paint = (*colour, 255)
    ImageDraw.Draw(layer).text(
        (4 - left, 4 - top), ch, font=font, fill=paint, stroke_width=int(bold), stroke_fill=paint
    )
    shear = _RANDOM.uniform(-0.25, 0.25)
    layer = layer.transform(
        (layer.width + int(abs(shear) * layer.height), layer.height),
        Image.Transform.AFFINE,
        (1, shear, -abs(shear) * layer.height if shear > 0 else 0, 0, 1, 0),
        resample=Image.Resampling.BICUBIC,
    )
    return layer.rotate(_RANDOM.uniform(-tilt, tilt), resample=Image.Resampling.BICUBIC, expand=True)


def _arcs(image: Image.Image, ink: tuple[int, int, int]) -> None:
    """Strokes in the answer's own ink across it: they join characters so that segmenting them fails."""
    draw = ImageDraw.Draw(image)
    for _ in range(2):
        top = _RANDOM.randint(HEIGHT // 4, HEIGHT // 2)
        box = (_RANDOM.randint(-60, 30), top, _RANDOM.randint(WIDTH - 30, WIDTH + 60), top + _RANDOM.randint(30, 70))
        start = _RANDOM.randint(160, 220)
        draw.arc(box, start, start + _RANDOM.randint(100, 160), fill=ink, width=2)


def _wave(image: Image.Image) -> Image.Image:
    """Bend the whole line: each column moves up or down along a random sine."""
    amplitude, period, phase = _RANDOM.uniform(4, 7), _RANDOM.uniform(80, 140), _RANDOM.uniform(0, 2 * math.pi)
    bent = Image.new("RGB", image.size, image.getpixel((0, 0)))
    for x in range(WIDTH):
        shift = int(amplitude * math.sin(2 * math.pi * x / period + phase))
        bent.paste(image.crop((x, 0, x + 1, HEIGHT)), (x, shift))
    return bent.filter(ImageFilter.SMOOTH)
