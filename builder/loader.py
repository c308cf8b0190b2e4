"""Read chapter sources from disk: strict UTF-8, BOM and CRLF tolerated."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from builder.diagnostics import Reporter


@dataclass(frozen=True)
class Source:
    """One chapter file's text, with LF line endings."""

    path: Path
    rel: str  # POSIX path relative to the book folder
    text: str


# Characters XML 1.0 forbids (after CRLF has become LF): lxml would refuse the document.
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MAX_REPORTED = 5


def load_sources(root: Path, paths: tuple[Path, ...], reporter: Reporter) -> list[Source]:
    """Read every chapter; undecodable files are reported and skipped."""
    sources = []
    for path in paths:
        text = read_text(path, reporter)
        if text is not None and check_text(path, text, reporter):
            sources.append(Source(path, path.relative_to(root).as_posix(), text))
    return sources


def read_text(path: Path, reporter: Reporter) -> str | None:
    """Decode a file as UTF-8, reporting the line of the first bad byte."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        reporter.error("SRC001", f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                       path, line)
        return None
    text = text.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check_text(path: Path, text: str, reporter: Reporter) -> bool:
    """Refuse empty chapters and characters XML cannot carry, each at its line and column."""
    if not text.strip():
        reporter.error("SRC006", "chapter is empty", path, 1)
        return False
    bad = list(XML_FORBIDDEN.finditer(text))
    for match in bad[:MAX_REPORTED]:
        line = text.count("\n", 0, match.start()) + 1
        column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        char = match.group()
        name = unicodedata.name(char, "control character")
        reporter.error("SRC005", f"U+{ord(char):04X} ({name}) is not allowed in a book", path, line, col=column)
    if len(bad) > MAX_REPORTED:
        reporter.error("SRC005", f"{len(bad) - MAX_REPORTED} more such characters", path, None)
    return not bad
