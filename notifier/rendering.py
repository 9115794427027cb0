"""Renders the notifier's French e-mails from the Jinja2 templates in ``notifier/templates``."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, select_autoescape

from shared.errors import PermanentError

_environment = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


SUBJECT_LENGTH = 200
"""Longer subjects (a very long establishment name) are cut with « … »: the deliveries log keeps 300 characters."""


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render(kind: str, values: dict[str, Any]) -> RenderedEmail:
    """Render the ``kind`` e-mail; broken template data is a :class:`PermanentError` naming the problem."""
    try:
        subject = _environment.get_template(f"{kind}.subject.j2").render(values)
        text = _environment.get_template(f"{kind}.txt.j2").render(values)
        html = _environment.get_template(f"{kind}.html.j2").render(values)
    except TemplateError as error:
        raise PermanentError(f"cannot render the {kind!r} e-mail: {error}") from None
    return RenderedEmail(subject=_one_line(subject), text=text, html=html)


def _one_line(subject: str) -> str:
    """The subject on one printable line (no header injection through CR/LF) of at most ``SUBJECT_LENGTH``."""
    line = "".join(char for char in " ".join(subject.split()) if char.isprintable())
    return line if len(line) <= SUBJECT_LENGTH else line[: SUBJECT_LENGTH - 1].rstrip() + "…"
