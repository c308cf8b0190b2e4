"""The font stack from `fonts/fonts.toml`: coverage by language, and subsets (the only fontTools import)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from fontTools import subset as ft_subset
from fontTools.ttLib import TTCollection, TTFont

FONTS_DIR = Path(__file__).resolve().parent.parent / "fonts"
SYSTEM_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
STYLES = {"regular": (400, "normal"), "bold": (700, "normal"), "italic": (400, "italic"),
          "bold_italic": (700, "italic")}
SUBSET_FORMAT = 2  # bump when subsetting changes, so cached subsets from older code are not reused
CJK_LANGS = {"zh-Hans": ("zh-hans", "zh-cn", "zh-sg", "zh-my", "zh"), "zh-Hant": ("zh-hant", "zh-tw", "zh-hk", "zh-mo"),
             "ja": ("ja",), "ko": ("ko",)}


class FontConfigError(Exception):
    """The font configuration names a file that is not installed."""


@dataclass(frozen=True)
class Face:
    """One font face: a family in one weight and style, in one file (or one face of a collection)."""

    family: str
    style: str  # a key of STYLES
    path: Path
    index: int
    package: str

    @property
    def weight(self) -> int:
        """CSS font-weight."""
        return STYLES[self.style][0]

    @property
    def css_style(self) -> str:
        """CSS font-style."""
        return STYLES[self.style][1]

    @property
    def file_name(self) -> str:
        """ASCII name of the subset file inside an edition."""
        ext = ".otf" if self.is_cff else ".ttf"
        return self.family.replace(" ", "") + "-" + self.style.replace("_", "") + ext

    @cached_property
    def is_cff(self) -> bool:
        """Whether outlines are CFF (an .otf) rather than TrueType."""
        return "CFF " in _open(self.path, self.index, lazy=True)


@dataclass
class FontStack:
    """Which family draws which character in which language."""

    latin: str
    emoji: str
    cjk: dict[str, str]  # CJK key (zh-Hans, ja, ...) -> family
    default_cjk: str
    faces: list[Face] = field(default_factory=list)
    _cmaps: dict[str, frozenset[int]] = field(default_factory=dict)

    def stack_for(self, lang: str, *, with_emoji: bool = True) -> list[str]:
        """Families in fallback order for text in `lang`."""
        key = cjk_key(lang)
        stack = [self.cjk[key], self.latin] if key else [self.latin, self.cjk[self.default_cjk]]
        return stack + [self.emoji] if with_emoji else stack

    def family_for(self, lang: str, char: str) -> str | None:
        """The first family in the stack for `lang` that has a glyph for `char`."""
        code = ord(char)
        return next((fam for fam in self.stack_for(lang) if code in self.cmap(fam)), None)

    def cmap(self, family: str) -> frozenset[int]:
        """Code points the family's regular face maps (the other faces cover the same)."""
        if family not in self._cmaps:
            face = self.face(family, "regular")
            self._cmaps[family] = frozenset(_open(face.path, face.index, lazy=True).getBestCmap())
        return self._cmaps[family]

    def face(self, family: str, style: str) -> Face | None:
        """The face for a family and style, if the stack has it."""
        return next((f for f in self.faces if f.family == family and f.style == style), None)

    def best_face(self, family: str, bold: bool, italic: bool) -> Face:
        """The face a reading system would pick, synthesising what the family lacks."""
        for style in ([("bold_italic" if italic else "bold")] if bold else []) + \
                     (["italic"] if italic else []) + ["regular"]:
            face = self.face(family, style)
            if face:
                return face
        raise KeyError(family)

    def packages(self) -> list[str]:
        """Debian packages that provide the configured fonts."""
        return sorted({f.package for f in self.faces})


def cjk_key(lang: str) -> str | None:
    """Map a BCP 47 tag to the CJK face that suits it (zh-TW → zh-Hant), or None."""
    tag = lang.lower()
    for key, prefixes in CJK_LANGS.items():
        if any(tag == p or tag.startswith(p + "-") for p in prefixes):
            if key == "zh-Hans" and any(tag.startswith(p) for p in CJK_LANGS["zh-Hant"]):
                continue
            return key
    return None


def is_ignorable(char: str) -> bool:
    """Characters that need no glyph: spaces, controls, joiners and variation selectors."""
    code = ord(char)
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:
        return True
    return unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def load_font_stack(config_path: Path = FONTS_DIR / "fonts.toml") -> FontStack:
    """Read the font configuration and locate every face on disk."""
    data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    stack = FontStack(latin=data["latin"]["family"], emoji=data["emoji"]["family"],
                      cjk={k: v["family"] for k, v in data["cjk"].items()},
                      default_cjk=data.get("defaults", {}).get("cjk", "zh-Hans"))
    for entry in [data["latin"], data["emoji"], *data["cjk"].values()]:
        for style in STYLES:
            if style in entry:
                path = locate_file(entry[style], entry.get("package", ""))
                stack.faces.append(Face(entry["family"], style, path, _face_index(path, entry["family"]),
                                        entry.get("package", "")))
    return stack


def locate_file(name: str, package: str) -> Path:
    """Find a font file in fonts/ or the system font folders."""
    for folder in (FONTS_DIR, *SYSTEM_DIRS):
        hits = sorted(folder.rglob(name)) if folder.is_dir() else []
        if hits:
            return hits[0]
    raise FontConfigError(f"font file {name} not found; install the Debian package {package} (`make book` does)")


def _face_index(path: Path, family: str) -> int:
    """Index of the face named `family` in a collection; 0 for a single font."""
    if path.suffix.lower() not in (".ttc", ".otc"):
        return 0
    for index, font in enumerate(TTCollection(str(path), lazy=True).fonts):
        names = {rec.toUnicode() for rec in font["name"].names if rec.nameID in (1, 16)}
        if family in names:
            return index
    raise FontConfigError(f"{path} holds no face named {family!r}")


def _open(path: Path, index: int, lazy: bool = False) -> TTFont:
    """Open one face of a font file; saving it keeps its timestamp, so same input gives same bytes."""
    return TTFont(str(path), fontNumber=index, lazy=lazy, recalcTimestamp=False)


def subset_face(face: Face, chars: set[str], cache_dir: Path | None) -> bytes:
    """A subset of `face` holding only `chars`, cached by content."""
    codes = sorted({ord(c) for c in chars} | {0x20})
    stat = face.path.stat()
    key = hashlib.sha256(repr((str(face.path), stat.st_size, stat.st_mtime_ns, face.index, codes,
                               SUBSET_FORMAT, _fonttools_version())).encode()).hexdigest()[:32]
    cached = cache_dir / f"{key}{Path(face.file_name).suffix}" if cache_dir else None
    if cached and cached.is_file():
        return cached.read_bytes()
    data = _make_subset(face, codes)
    if cached:
        with contextlib.suppress(OSError):  # the cache only saves time: a read-only book still builds
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(data)
            tmp.replace(cached)
    return data


def _make_subset(face: Face, codes: list[int]) -> bytes:
    """Run fontTools' subsetter, keeping layout features and names (licences travel with the font)."""
    options = ft_subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.recalc_timestamp = False  # same input, same bytes
    font = _open(face.path, face.index)
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(unicodes=codes)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _fonttools_version() -> str:
    import fontTools

    return fontTools.version
