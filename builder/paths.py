"""One resolver for every path a book names: inside the book folder, a regular file, under a size cap."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

WHEEL_FOLDERS = {"styles": "styles", "fonts": "fonts_folder"}  # pyproject.toml's package-dir (`fonts` is a module)


def folio_folder(name: str) -> Path:
    """Folio's own `styles` or `fonts` folder: inside the package when installed from a wheel, else beside it
    (a checkout, where the design keeps them at the top)."""
    package = Path(__file__).resolve().parent
    inside = package / WHEEL_FOLDERS[name]
    return inside if inside.is_dir() else package.parent / name


MAX_FILE_BYTES = {"chapter": 64 * 1024 * 1024, "image": 50 * 1024 * 1024, "any": 64 * 1024 * 1024}


class Refused(ValueError):
    """A reference that must not be opened; the message says why, for the author."""


def is_remote(ref: str) -> bool:
    """Whether a reference names another host or a URL scheme (http:, file:, data:, javascript: ...)."""
    parts = urlsplit(ref)
    return bool(parts.scheme or parts.netloc)


def url_path(ref: str) -> str:
    """The file part of a relative URL, decoded: `../img/a%20b.png#x` → `../img/a b.png`."""
    if is_remote(ref):
        raise Refused(f"'{ref}' is not a file of the book (remote and absolute URLs are not read)")
    return unquote(urlsplit(ref).path)


def resolve_inside(root: Path, base: Path, raw: str, kind: str = "any") -> Path:
    """Resolve the relative path `raw` against folder `base`; refuse anything outside `root`.

    Symlinks are followed before the check, so a link pointing out of the book is refused too. The
    file is only stat()ed here, never opened.
    """
    ref = raw
    if not raw:
        raise Refused("empty path")
    if "\x00" in raw:
        raise Refused(f"'{ref}' contains a NUL character")
    path = (base / raw).resolve()
    if not path.is_relative_to(root.resolve()):
        raise Refused(f"'{ref}' lies outside the book folder")
    if not path.exists():
        raise Refused(f"'{ref}' not found")
    if not path.is_file():
        raise Refused(f"'{ref}' is not a regular file")
    limit = MAX_FILE_BYTES.get(kind, MAX_FILE_BYTES["any"])
    if path.stat().st_size > limit:
        raise Refused(f"'{ref}' is larger than {limit // (1024 * 1024)} MiB")
    return path
