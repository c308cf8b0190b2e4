"""`folio new DIR`: write a ready-to-build book skeleton from builder/templates/new/."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from string import Template

from builder.config import slugify

SKELETON = Path(__file__).resolve().parent / "templates" / "new"


class NewError(Exception):
    """The folder cannot take a new book; the message says why, for the author."""


def create_book(target: Path) -> list[Path]:
    """Write book.toml and two chapters into `target`, which must be missing or empty; return the files."""
    if target.exists() and not target.is_dir():
        raise NewError(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()):
        raise NewError(f"{target} is not empty: choose a new or empty folder, so nothing is overwritten")
    title = _title_from(target.resolve().name)
    values = {"title": _toml_string(title), "slug": _toml_string(slugify(title, title)),
              "date": dt.date.today().isoformat(), "folder": re.sub(r"[\x00-\x1f\x7f]", "?", str(target))}
    written = []
    for template in sorted(p for p in SKELETON.rglob("*") if p.is_file()):
        path = target / template.relative_to(SKELETON)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = template.read_text(encoding="utf-8")
        # Only book.toml has placeholders; chapters are copied as they are, so their text is never a template.
        path.write_text(Template(text).substitute(values) if path.name == "book.toml" else text, encoding="utf-8")
        written.append(path)
    return written


def _title_from(name: str) -> str:
    """`my-first_book` → "My First Book"; a name without letters gives "My Book"."""
    words = [w for w in re.split(r"[-_\s.]+", name) if w]
    title = " ".join(w[:1].upper() + w[1:] for w in words)
    return title if any(c.isalpha() for c in title) else "My Book"


def _toml_string(value: str) -> str:
    """A TOML basic string: JSON's escapes (\\", \\\\, \\n, \\uXXXX) are TOML's too."""
    return json.dumps(value, ensure_ascii=False)
