"""One reporter for every problem: `path:line:col: severity[CODE]: message`."""

from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

# Stable codes: tests, CI scripts and authors' notes may refer to them.
CODES = {
    "CFG001": "book.toml is not valid TOML",
    "CFG002": "unknown key",
    "CFG003": "missing required key",
    "CFG004": "value of the wrong type or form",
    "CFG005": "chapter file missing, outside the book folder, or listed twice",
    "SRC001": "chapter file cannot be read as UTF-8",
    "SRC002": "front matter is not valid YAML",
    "SRC003": "front matter key unknown or of the wrong type",
    "SRC004": "chapter has no title",
    "SRC005": "character that XML forbids",
    "SRC006": "empty chapter",
    "SRC007": "blocks nested too deep to parse",
    "SRC008": "paragraph so long that print sets it in parts",
    "SRC009": "heading without text, left out of the table of contents",
    "SRC010": "table row with more cells than its header: GFM would drop the extra cells",
    "SRC011": "footnote never called, called but never defined, or defined twice",
    "SRC012": "ruby whose readings do not match its characters: it stays text",
    "ID001": "duplicate id",
    "LNK001": "link to a missing chapter or file",
    "LNK002": "link to a missing anchor",
    "IMG001": "image missing, outside the book folder, or of an unknown type",
    "IMG002": "image corrupt, too large in pixels, not what its extension says, or an unsafe SVG",
    "IMG003": "image prints below the effective resolution print needs (300 dpi)",
    "HTM001": "raw HTML or SVG content removed by the sanitiser",
    "HTM002": "raw HTML element left open, closed after an element opened inside it, or nested too deep",
    "HTM003": "raw HTML closing tag that closes nothing",
    "A11Y001": "image without alt text",
    "AOZ001": "Aozora Bunko annotation or gaiji that Folio cannot honour",
    "XHT001": "XHTML or HTML chapter that cannot be read safely: not well-formed, a DTD subset, or nested too deep",
    "XHT002": "XHTML or HTML element that Folio does not carry (its text is kept)",
    "CJK001": "half-width punctuation between CJK characters",
    "FNT001": "character not covered by any configured font",
    "FNT002": "configured font file not found",
    "PDF001": "message from the PDF engine",
    "PDF002": "the PDF engine asked for a file outside the book's checked assets",
    "PDF003": "text runs off the text block of a page, or a footnote too long for a page is cut or lost",
    "PDF004": "vertical writing asked for: the print edition is set horizontally",
    "PDF005": "a layout process ended before finishing its part",
    "CHK000": "EPUBCheck could not run, or the file to check is missing",
    "CHK001": "EPUBCheck message",
    "CHK002": "EPUB document is not well-formed XHTML",
    "CHK003": "id used twice across the EPUB's documents",
    "CHK004": "link to a missing document or anchor inside the EPUB",
    "CHK005": "empty navigation label",
    "CHK006": "image without alt text in the EPUB",
    "COV001": "the back-cover description does not fit above the barcode area",
    "COV002": "the front cover image is below the print profile's resolution",
    "PRE000": "the file to preflight cannot be read as a PDF",
    "PRE001": "font not embedded, or a Type 3 font",
    "PRE002": "page without a TrimBox, or boxes not nested MediaBox ⊇ BleedBox ⊇ TrimBox",
    "PRE003": "bleed narrower than the profile asks on a top, bottom or outside edge",
    "PRE004": "MediaBox not larger than the BleedBox: no room for crop marks",
    "PRE005": "PDF/X version not declared, or not the profile's",
    "PRE006": "no PDF/X output intent with a destination profile, or its /N does not match the ICC profile",
    "PRE007": "RGB colour where the profile allows only CMYK or grey",
    "PRE008": "transparency where the profile forbids it",
    "PRE009": "annotations (links) where the profile forbids them",
    "PRE010": "bookmarks where the profile forbids them",
    "PRE011": "no bookmarks where the profile needs them",
    "PRE012": "not a tagged PDF/UA file: marking, structure, language, title or identification missing",
    "PRE013": "image below the profile's effective resolution",
    "PRE014": "text smaller than the profile allows",
    "PRE015": "more blank pages in a row than the profile allows",
    "PRE016": "text closer to the trim's top, bottom or outside edge than the profile allows",
    "OUT001": "output folder cannot be written, or another build holds it",
    "NEW001": "`folio new` folder exists and is not empty, or is not a folder",
}


def closest(word: str, known) -> str | None:
    """The known name a misspelt `word` most likely meant, if any is close."""
    guess = difflib.get_close_matches(str(word), list(known), n=1)
    return guess[0] if guess else None


def did_you_mean(word: str, known) -> str:
    """`did you mean 'X'? ` for the closest known name, or nothing."""
    guess = closest(word, known)
    return f"did you mean '{guess}'? " if guess else ""


class ConfigError(Exception):
    """Raised to stop a build on a usage or configuration error (exit 2)."""


class BuildFailed(Exception):
    """Raised to stop a build once content errors make further work pointless (exit 1)."""


@dataclass(frozen=True)
class Diagnostic:
    """One reported problem, located in a source file."""

    severity: str  # "error" or "warning"
    code: str
    message: str
    path: Path | None = None
    line: int | None = None
    col: int | None = None  # 1-based, in characters; left out wherever it is not reliably known

    def format(self) -> str:
        """Render as `path:line:col: severity[CODE]: message`, leaving out what is not known."""
        where = display_path(self.path) if self.path else "folio"
        if self.path and self.line:
            where = f"{where}:{self.line}"
            if self.col:
                where = f"{where}:{self.col}"
        return f"{where}: {self.severity}[{self.code}]: {self.message}"


def display_path(path: Path) -> str:
    """Show a path relative to the working folder when it lies below it, else in full."""
    cwd = Path.cwd()
    return str(path.relative_to(cwd)) if path.is_absolute() and path.is_relative_to(cwd) else str(path)


@dataclass
class Reporter:
    """Collects diagnostics, prints each once, and counts them."""

    strict: bool = False
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    items: list[Diagnostic] = field(default_factory=list)

    def error(self, code: str, message: str, path: Path | None = None, line: int | None = None, *,
              col: int | None = None) -> None:
        """Report a content error."""
        self._add(Diagnostic("error", code, message, path, line, col))

    def warning(self, code: str, message: str, path: Path | None = None, line: int | None = None, *,
                col: int | None = None) -> None:
        """Report a warning; under --strict it is an error."""
        self._add(Diagnostic("error" if self.strict else "warning", code, message, path, line, col))

    def _add(self, diag: Diagnostic) -> None:
        if diag in self.items:  # the same fact found by two passes is said once
            return
        self.items.append(diag)
        print(diag.format(), file=self.stream, flush=True)

    @property
    def errors(self) -> list[Diagnostic]:
        """The diagnostics that fail the build."""
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        """The diagnostics that do not fail the build."""
        return [d for d in self.items if d.severity == "warning"]

    def stop_if_failed(self) -> None:
        """End the build before writing anything when errors were reported."""
        if self.errors:
            raise BuildFailed(f"{len(self.errors)} error(s)")
