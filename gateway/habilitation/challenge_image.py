"""The image of an on-screen challenge: readable by a person, costly for the OCR packages anyone can install.

Between the answer's characters stand decoy characters of the same size and weight. A person tells them apart by
colour: each decoy is plainly one of two vivid colours, the answer is woven of both, pixel by pixel, so that the
eye sees a third, dull one (« les caractères de couleur terne », says the API). Machines are left without a cue:
* the two colours are equally light, so in grey levels (what captcha OCRs read) answer and decoys are the same
  ink and the OCR reads a line of a dozen characters;
* no answer pixel has the blended hue, so a colour filter (ddddocr's presets, any hue range) keeps either both
  colours' decoys with the answer, or one colour's decoys with half of each answer character;
* the pair of colours changes with each image.
Behind, faint characters and strokes; on the answer, two fonts, sizes, angles and shears, two arcs woven like it,
and a wave bending the whole line by whole pixels (no smoothing: it would make the blended hue real).
bench/run_captcha_ocr_bench.py measures a packaged OCR on it, target ≤ 5 %. Limits: a solver written for this
image (blur, then keep the blended hue) would do better; the audio alternative serves whoever cannot see colours.
Everything random comes from the operating system's CSPRNG, as the answer does.
"""

import colorsys
import io
import math
import secrets
from functools import cache
from pathlib import Path

import captcha
from PIL import Image, ImageChops, ImageDraw, ImageFont

WIDTH, HEIGHT = 320, 100
Colour = tuple[int, int, int]
_DECOYS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_RANDOM = secrets.SystemRandom()


@cache
def _fonts(size: int) -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, ...]:
    """Two shapes of each character: DroidSansMono (shipped by ``captcha``) and Aileron (shipped by Pillow)."""
    droid = Path(captcha.__file__).parent / "data" / "DroidSansMono.ttf"
    return ImageFont.truetype(str(droid), size), ImageFont.load_default(size)


@cache
def _weave() -> Image.Image:
    """A one-pixel checkerboard: where the answer takes one colour or the other."""
    return Image.frombytes(
        "L", (WIDTH, HEIGHT), bytes(255 * ((x + y) % 2) for y in range(HEIGHT) for x in range(WIDTH))
    )


def draw_png(text: str) -> bytes:
    """A PNG of ``text`` (the challenge's answer) among decoys and clutter."""
    image = Image.new("RGB", (WIDTH, HEIGHT), _background())
    _clutter(image)
    first, second = _colours()
    answer, decoys = Image.new("L", image.size), (Image.new("L", image.size), Image.new("L", image.size))
    _lay_out(text, answer, decoys)
    _arcs(answer)
    image.paste(first, mask=decoys[0])
    image.paste(second, mask=decoys[1])
    woven = Image.composite(Image.new("RGB", image.size, first), Image.new("RGB", image.size, second), _weave())
    image.paste(woven, mask=answer)
    buffer = io.BytesIO()
    _wave(image).save(buffer, format="PNG")
    return buffer.getvalue()


def _background() -> Colour:
    return (_RANDOM.randint(228, 250), _RANDOM.randint(228, 250), _RANDOM.randint(228, 250))


def _colours() -> tuple[Colour, Colour]:
    """Two vivid colours, one red to magenta, the other green to teal, equally light (the same grey level)."""
    lightness = _RANDOM.uniform(60, 72)
    warm = _at_lightness(_RANDOM.uniform(0.83, 1.02) % 1.0, lightness)
    cool = _at_lightness(_RANDOM.uniform(0.36, 0.52), lightness)
    return (warm, cool) if _RANDOM.random() < 0.5 else (cool, warm)


def _at_lightness(hue: float, lightness: float) -> Colour:
    """The most saturated colour of ``hue`` whose grey level is ``lightness`` (mixed with that grey if the pure
    hue cannot reach it, as blue cannot)."""
    pure = [
        channel * lightness / _grey(colorsys.hsv_to_rgb(hue, 1.0, 1.0))
        for channel in colorsys.hsv_to_rgb(hue, 1.0, 1.0)
    ]
    room = min((255 - lightness) / (c - lightness) if c > lightness else 1.0 for c in pure)
    red, green, blue = (lightness + min(1.0, room) * (c - lightness) for c in pure)
    return (round(red), round(green), round(blue))


def _grey(colour: tuple[float, float, float]) -> float:
    return 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]


def _faint() -> Colour:
    level = _RANDOM.randint(160, 205)
    return (level + _RANDOM.randint(-20, 20), level + _RANDOM.randint(-20, 20), level + _RANDOM.randint(-20, 20))


def _clutter(image: Image.Image) -> None:
    """Faint characters and strokes behind everything."""
    for _ in range(_RANDOM.randint(8, 12)):
        glyph = _glyph(_RANDOM.choice(_DECOYS), _RANDOM.randint(18, 30), tilt=60)
        spot = (_RANDOM.randint(-10, WIDTH - 10), _RANDOM.randint(-10, HEIGHT - 10))
        image.paste(Image.new("RGB", glyph.size, _faint()), spot, glyph)
    draw = ImageDraw.Draw(image)
    for _ in range(_RANDOM.randint(6, 9)):
        x, y = _RANDOM.randint(0, WIDTH), _RANDOM.randint(0, HEIGHT)
        end = (x + _RANDOM.randint(-40, 40), y + _RANDOM.randint(-30, 30))
        draw.line([(x, y), end], fill=_faint(), width=_RANDOM.randint(1, 3))


def _lay_out(text: str, answer: Image.Image, decoys: tuple[Image.Image, Image.Image]) -> None:
    """Answer characters and decoys alternate along the line, each its own font, size and angle."""
    step = (WIDTH - 12) / (2 * len(text))
    sides = [index % 2 for index in range(len(text))]  # as many decoys of each colour: no filter keeps few
    _RANDOM.shuffle(sides)
    decoys_first = _RANDOM.random() < 0.5
    for index, side in enumerate(sides):
        decoy = _glyph(_RANDOM.choice(_DECOYS), _RANDOM.randint(38, 46), tilt=30)
        _stamp(decoys[side], decoy, _spot(decoy, 2 * index + (0 if decoys_first else 1), step, jitter=12))
    for index, ch in enumerate(text):
        glyph = _glyph(ch, _RANDOM.randint(42, 50), tilt=20)
        spot = _spot(glyph, 2 * index + (1 if decoys_first else 0), step, jitter=8)
        _stamp(answer, glyph, spot)
        for other in decoys:  # the answer stays whole where a decoy crosses it
            other.paste(0, spot, glyph)


def _spot(glyph: Image.Image, slot: int, step: float, *, jitter: int) -> tuple[int, int]:
    centre = 6 + (slot + 0.5) * step + _RANDOM.uniform(-3, 3)
    return int(centre - glyph.width / 2), (HEIGHT - glyph.height) // 2 + _RANDOM.randint(-jitter, jitter)


def _stamp(mask: Image.Image, glyph: Image.Image, spot: tuple[int, int]) -> None:
    layer = Image.new("L", mask.size)
    layer.paste(glyph, spot)
    mask.paste(ImageChops.lighter(mask, layer))


def _glyph(ch: str, size: int, *, tilt: int) -> Image.Image:
    """The coverage of ``ch`` (0-255), bold, sheared and rotated."""
    font = _RANDOM.choice(_fonts(size))
    left, top, right, bottom = font.getbbox(ch)
    layer = Image.new("L", (int(right - left) + 8, int(bottom - top) + 8))
    ImageDraw.Draw(layer).text((4 - left, 4 - top), ch, font=font, fill=255, stroke_width=1, stroke_fill=255)
    shear = _RANDOM.uniform(-0.25, 0.25)
    layer = layer.transform(
        (layer.width + int(abs(shear) * layer.height), layer.height),
        Image.Transform.AFFINE,
        (1, shear, -abs(shear) * layer.height if shear > 0 else 0, 0, 1, 0),
        resample=Image.Resampling.BICUBIC,
    )
    return layer.rotate(_RANDOM.uniform(-tilt, tilt), resample=Image.Resampling.BICUBIC, expand=True)


def _arcs(answer: Image.Image) -> None:
    """Strokes woven like the answer across it: they join characters so that segmenting them fails."""
    draw = ImageDraw.Draw(answer)
    for _ in range(2):
        top = _RANDOM.randint(HEIGHT // 4, HEIGHT // 2)
        box = (_RANDOM.randint(-60, 30), top, _RANDOM.randint(WIDTH - 30, WIDTH + 60), top + _RANDOM.randint(30, 70))
        start = _RANDOM.randint(160, 220)
        draw.arc(box, start, start + _RANDOM.randint(100, 160), fill=255, width=2)


def _wave(image: Image.Image) -> Image.Image:
    """Bend the whole line: each column moves up or down by whole pixels along a random sine."""
    amplitude, period, phase = _RANDOM.uniform(4, 7), _RANDOM.uniform(80, 140), _RANDOM.uniform(0, 2 * math.pi)
    bent = Image.new("RGB", image.size, image.getpixel((0, 0)))
    for x in range(WIDTH):
        shift = int(amplitude * math.sin(2 * math.pi * x / period + phase))
        bent.paste(image.crop((x, 0, x + 1, HEIGHT)), (x, shift))
    return bent
