"""Builds ``gateway/habilitation/voices/``: each character of the challenges spoken in French, for the audio one.

Each letter is said with its word of the French spelling alphabet (« B comme Berthe ») since letter names alone
(bé, dé, pé, té, vé…) cannot be told apart through the noise the audio mixes in; each digit as « chiffre deux ».
Spoken by espeak-ng (Debian package ``espeak-ng``, needed only to rebuild: the product ships the files, so it
speaks on a machine without it), stored as the ``captcha`` package's AudioCaptcha reads them: one folder per
character, 8 kHz, 8-bit unsigned, mono WAV.

    apt-get install espeak-ng && .venv/bin/python tools/build_challenge_voices.py
"""

from __future__ import annotations

import array
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

TARGET = Path(__file__).resolve().parents[1] / "gateway" / "habilitation" / "voices"
RATE = 8000
SPELLING = {
    "A": "Anatole", "B": "Berthe", "C": "Célestin", "D": "Désiré", "E": "Eugène", "F": "François", "G": "Gaston",
    "H": "Henri", "J": "Joseph", "K": "Kléber", "L": "Louis", "M": "Marcel", "N": "Nicolas", "P": "Pierre",
    "Q": "Quintal", "R": "Raoul", "S": "Suzanne", "T": "Thérèse", "U": "Ursule", "V": "Victor", "W": "William",
    "X": "Xavier", "Y": "Yvonne", "Z": "Zoé",
}  # fmt: skip
DIGITS = {"2": "deux", "3": "trois", "4": "quatre", "5": "cinq", "6": "six", "7": "sept", "8": "huit", "9": "neuf"}


def phrase(character: str) -> str:
    if character in DIGITS:
        return f"chiffre {DIGITS[character]}"
    return f"{character}, comme {SPELLING[character]}"


def speak(text: str, folder: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        spoken = Path(scratch) / "spoken.wav"
        command = ["espeak-ng", "-v", "fr+m3", "-s", "135", "-w", str(spoken), text]
        subprocess.run(command, check=True)  # noqa: S603 - fixed arguments, espeak-ng from the PATH
        with wave.open(str(spoken)) as source:
            rate, samples = source.getframerate(), array.array("h", source.readframes(source.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()
    resampled = _trimmed(_resample(samples, rate))
    folder.mkdir(parents=True, exist_ok=True)
    with wave.open(str(folder / "fr.wav"), "wb") as target:
        target.setnchannels(1)
        target.setsampwidth(1)
        target.setframerate(RATE)
        target.writeframes(bytes(min(255, max(0, 128 + round(s / 256))) for s in resampled))


def _resample(samples: array.array[int], rate: int) -> list[float]:
    """Down to ``RATE``, each output sample the mean of the input ones it covers (a box filter against aliasing):
    enough for speech at telephone quality."""
    step = rate / RATE
    count = int(len(samples) / step)
    out = []
    for index in range(count):
        window = samples[int(index * step) : max(int((index + 1) * step), int(index * step) + 1)]
        out.append(sum(window) / len(window))
    return out


def _trimmed(samples: list[float], threshold: float = 300) -> list[float]:
    """Without the silence espeak-ng leaves around the words (the audio adds its own pauses)."""
    loud = [index for index, sample in enumerate(samples) if abs(sample) > threshold]
    return samples[max(0, loud[0] - RATE // 50) : loud[-1] + RATE // 50] if loud else samples


def main() -> None:
    for character in sorted(SPELLING.keys() | DIGITS.keys()):
        speak(phrase(character), TARGET / character)
        print(character, phrase(character))  # noqa: T201


if __name__ == "__main__":
    main()
