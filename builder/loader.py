"""Read chapter sources from disk: strict UTF-8, BOM and CRLF tolerated."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from builder.diagnostics import Reporter


@dataclass(frozen=True)
class Source:
    """One chapter file's text, with LF line endings."""

    path: Path
    rel: str  # POSIX path relative to the book folder
    text: str


def load_sources(root: Path, paths: tuple[Path, ...], reporter: Reporter) -> list[Source]:
    """Read every chapter; undecodable files are reported and skipped."""
    sources = []
    for path in paths:
        text = read_text(path, reporter)
        if text is not None:
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
