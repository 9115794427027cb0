"""The audio alternative of an on-screen challenge (RGAA / WCAG 1.1.1): the same answer, spelled in French.

Generated here, without network nor system package: the ``captcha`` package's AudioCaptcha assembles the voice
files shipped in ``voices/`` (built once by ``tools/build_challenge_voices.py``), each at a random speed and
volume, at random intervals, over a babble of reversed voices, after three beeps. Letters are said with their word
of the French spelling alphabet (« B comme Berthe »), digits as « chiffre deux ».
"""

import secrets
from functools import cache
from pathlib import Path

from captcha.audio import WAVE_SAMPLE_RATE, AudioCaptcha, mix_wave

VOICES = Path(__file__).parent / "voices"
_HISS = bytes(126 + value % 4 for value in range(256))  # the package's white noise: 4 levels around silence (128)


class _Speaker(AudioCaptcha):
    """AudioCaptcha whose background hiss comes from one CSPRNG read, not one call per sample (1.2 s → 1 ms)."""

    def create_background_noise(self, length: int, chars: str) -> bytearray:
        noise = bytearray(secrets.token_bytes(length).translate(_HISS))
        position = 0
        while position < length:
            sound = self._noise_pick()
            end = position + len(sound) + 1
            noise[position:end] = mix_wave(sound, noise[position:end])
            position = end + secrets.randbelow(WAVE_SAMPLE_RATE // 10 + 1)
        return noise


@cache
def _speaker() -> AudioCaptcha | None:
    if not VOICES.is_dir():
        return None
    speaker = _Speaker(voicedir=str(VOICES))
    speaker.load()
    return speaker


def spoken_wav(text: str) -> bytes | None:
    """A WAV (8 kHz, 8-bit, mono) spelling ``text``; None when a character has no voice (the audio is then
    unavailable, never wrong). CPU work of a few hundred milliseconds: call it off the event loop."""
    speaker = _speaker()
    if speaker is None or not set(text) <= set(speaker.choices):
        return None
    return bytes(speaker.generate(text))
