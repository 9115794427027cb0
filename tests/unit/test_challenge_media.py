"""The challenge's image and audio: every character of the alphabet drawn and spoken, in valid PNG and WAV."""

import io
import wave

import pytest
from PIL import Image

from gateway.habilitation.challenge_audio import spoken_wav
from gateway.habilitation.challenge_image import HEIGHT, WIDTH, _colours, _grey, draw_png
from gateway.habilitation.challenges import _ALPHABET


def test_every_character_of_the_alphabet_has_a_french_voice() -> None:
    wav = spoken_wav(_ALPHABET)

    assert wav is not None
    assert wav[:4] == b"RIFF"
    assert wav[8:12] == b"WAVE"
    with wave.open(io.BytesIO(wav)) as audio:
        assert audio.getframerate() == 8000
        assert audio.getnframes() / audio.getframerate() > 0


def test_a_character_without_a_voice_makes_the_audio_unavailable_not_wrong() -> None:
    assert spoken_wav("ABC1") is None


@pytest.mark.parametrize("text", [_ALPHABET[:6], _ALPHABET[6:12], _ALPHABET[-6:], "WWWWWW", "MATRIX"])
def test_the_image_is_a_png_of_the_announced_size(text: str) -> None:
    image = Image.open(io.BytesIO(draw_png(text)))

    assert image.format == "PNG"
    assert image.size == (WIDTH, HEIGHT)


def test_two_images_of_the_same_answer_differ() -> None:
    assert draw_png("ABCDEF") != draw_png("ABCDEF")


def test_answer_and_decoys_are_the_same_grey_so_only_colour_tells_them_apart() -> None:
    for _ in range(200):
        first, second = _colours()

        assert abs(_grey(first) - _grey(second)) <= 1.5
        assert max(first) - min(first) >= 80, "vivid, so the woven blend looks dull beside it"
        assert max(second) - min(second) >= 80
