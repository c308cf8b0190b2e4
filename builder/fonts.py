"""The font stack from `fonts/fonts.toml`: coverage by language, and subsets (the only uharfbuzz import: HarfBuzz
reads faces and subsets them about a thousand times faster than fontTools on CJK faces)."""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import uharfbuzz as hb

from builder.paths import folio_folder

FONTS_DIR = folio_folder("fonts")
SYSTEM_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
STYLES = {"regular": (400, "normal"), "bold": (700, "normal"), "italic": (400, "italic"),
          "bold_italic": (700, "italic")}
SUBSET_FORMAT = 4  # bump when subsetting changes, so cached subsets from older code are not reused
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
        return bool(_hb_face(self.path, self.index).reference_table("CFF ").data)


@dataclass
class FontStack:
    """Which family draws which character in which language."""

    latin: str
    emoji: str
    cjk: dict[str, str]  # CJK key (zh-Hans, ja, ...) -> family
    default_cjk: str
    mono: dict[str, str] = field(default_factory=dict)  # CJK key or "latin" -> the family code is set in
    fallback: list[str] = field(default_factory=list)  # families for scripts the others lack, in order
    faces: list[Face] = field(default_factory=list)
    _cmaps: dict[str, frozenset[int]] = field(default_factory=dict)
    # Memos: a long book asks about the same (language, character) pairs about a million times.
    _families: dict[tuple[str, str, bool, bool], str | None] = field(default_factory=dict)
    _best: dict[tuple[str, bool, bool], Face] = field(default_factory=dict)

    def stack_for(self, lang: str, *, with_emoji: bool = True, mono: bool = False, emoji: bool = False) -> list[str]:
        """Families in fallback order for text in `lang`; `mono`: for code, whose face comes first, then the
        text's (which draw what it lacks); `emoji`: for an emoji sequence (↩️, 1️⃣), whose face comes first."""
        if emoji:
            return [self.emoji, *self.stack_for(lang, with_emoji=False, mono=mono)]
        key = cjk_key(lang)
        # The fallback faces come before the emoji face, which would draw ↩ in colour, and in text that is not
        # CJK before the CJK face too, which drew ≤ → ∑ a full em wide (as CJK text wants them).
        stack = [self.cjk[key], self.latin, *self.fallback] if key else \
            [self.latin, *self.fallback, self.cjk[self.default_cjk]]
        if mono and self.mono:
            faces = [self.mono.get(key)] if key else [self.mono.get("latin"), self.mono.get(self.default_cjk)]
            stack = [family for family in faces if family] + stack
        return stack + [self.emoji] if with_emoji else stack

    def family_for(self, lang: str, char: str, mono: bool = False, emoji: bool = False) -> str | None:
        """The first family in the stack for `lang` (for code when `mono`, an emoji sequence when `emoji`) that
        has a glyph for `char`."""
        if (lang, char, mono, emoji) not in self._families:
            code = ord(char)
            self._families[lang, char, mono, emoji] = next(
                (fam for fam in self.stack_for(lang, mono=mono, emoji=emoji) if code in self.cmap(fam)), None)
        return self._families[lang, char, mono, emoji]

    def cmap(self, family: str) -> frozenset[int]:
        """Code points the family's regular face maps (the other faces cover the same)."""
        if family not in self._cmaps:
            face = self.face(family, "regular")  # HarfBuzz reads a CJK cmap 40 times faster than fontTools
            self._cmaps[family] = frozenset(_hb_face(face.path, face.index).unicodes)
        return self._cmaps[family]

    def face(self, family: str, style: str) -> Face | None:
        """The face for a family and style, if the stack has it."""
        return next((f for f in self.faces if f.family == family and f.style == style), None)

    def best_face(self, family: str, bold: bool, italic: bool) -> Face:
        """The face a reading system would pick, synthesising what the family lacks."""
        if (family, bold, italic) not in self._best:
            self._best[family, bold, italic] = self._pick_face(family, bold, italic)
        return self._best[family, bold, italic]

    def _pick_face(self, family: str, bold: bool, italic: bool) -> Face:
        """The first face the family has among the styles bold/italic fall back through."""
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


@functools.lru_cache(maxsize=65536)
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
                      default_cjk=data.get("defaults", {}).get("cjk", "zh-Hans"),
                      mono={k: v["family"] for k, v in data.get("mono", {}).items()},
                      fallback=[entry["family"] for entry in data.get("fallback", [])])
    for entry in [data["latin"], data["emoji"], *data["cjk"].values(), *data.get("mono", {}).values(),
                  *data.get("fallback", [])]:
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
    for index in range(_hb_face(path, 0).count):
        face = _hb_face(path, index)
        if family in (face.get_name(hb.OTNameIdPredefined.FONT_FAMILY),
                      face.get_name(hb.OTNameIdPredefined.TYPOGRAPHIC_FAMILY)):
            return index
    raise FontConfigError(f"{path} holds no face named {family!r}")


def _hb_face(path: Path, index: int) -> hb.Face:
    """One face of a font file, mapped, not read: HarfBuzz reads a face's names or tables in microseconds,
    fontTools a CJK collection's in 30 ms (and its import costs every build 13 ms more)."""
    return hb.Face(hb.Blob.from_file_path(str(path)), index)


def subset_key(face: Face, chars: set[str], langs: set[str]) -> tuple:
    """What a subset of `face` holding `chars` for text in `langs` depends on, to keep it by: the face file, the
    characters and languages, the subset's format and HarfBuzz's version."""
    stat = face.path.stat()
    return (str(face.path), stat.st_size, stat.st_mtime_ns, face.index, _codes(chars), sorted(langs), SUBSET_FORMAT,
            hb.__version__)


def make_subset(face: Face, chars: set[str], langs: set[str]) -> bytes:
    """A subset of `face` holding only `chars` (and the space), with the glyphs text in `langs` can need."""
    source = _hb_face(face.path, face.index)
    codes = _codes(chars)
    request = _request(codes)
    # The closure HarfBuzz would make follows `locl` into every language the face knows: a Noto CJK face's
    # other regions' forms doubled a Chinese book's subset (4.2 MB for 西遊記, 1.9 MB without them). The glyphs
    # come from the book's own languages instead, and rules leading to any other glyph are left out.
    request.glyph_set.update(sorted(_needed_glyphs(source, codes, langs)))
    request.flags |= hb.SubsetFlags.NO_LAYOUT_CLOSURE
    subset = hb.subset(source, request)
    if subset is None:
        raise FontConfigError(f"HarfBuzz could not subset {face.path} (face {face.index})")
    return subset.blob.data


def _codes(chars: set[str]) -> list[int]:
    return sorted({ord(c) for c in chars} | {0x20})


def _request(codes: list[int]) -> hb.SubsetInput:
    """HarfBuzz's subset request for `codes`, keeping every layout feature but `aalt` and every name (licences
    travel with the font)."""
    request = hb.SubsetInput()
    request.unicode_set.update(codes)
    # Each set starts as HarfBuzz's default list; cleared then inverted, it means "all of them".
    for kind in (hb.SubsetInputSets.LAYOUT_FEATURE_TAG, hb.SubsetInputSets.NAME_ID, hb.SubsetInputSets.NAME_LANG_ID):
        request.sets(kind).clear()
        request.sets(kind).invert()
    # aalt lists every alternate of every glyph for font editors' glyph pickers; kept, it would pull thousands of
    # unused CJK glyphs (variants, vertical forms of everything) into the closure. Reading systems never apply it.
    request.sets(hb.SubsetInputSets.LAYOUT_FEATURE_TAG).remove(_tag("aalt"))
    request.flags = hb.SubsetFlags.NOTDEF_OUTLINE
    return request


def _needed_glyphs(source: hb.Face, codes: list[int], langs: set[str]) -> set[int]:
    """The glyphs text of `codes` in `langs` can need: what shaping it gives in each of those languages and each
    script the face has rules for (a reading system gives punctuation its neighbours' script), and everything
    the other features (vertical forms, ligatures, ...) reach from those, which HarfBuzz's closure finds."""
    font, text, shaped = hb.Font(source), "".join(map(chr, codes)), set()
    for script in source.get_table_script_tags("GSUB") or ["DFLT"]:
        for lang in sorted(langs) or ["und"]:
            buffer = hb.Buffer()
            buffer.add_str(text)
            buffer.guess_segment_properties()
            buffer.set_script_from_ot_tag(script)
            buffer.language = lang
            hb.shape(font, buffer, {})
            shaped.update(info.codepoint for info in buffer.glyph_infos)
    request = _request(codes)
    request.glyph_set.update(sorted(shaped))
    request.sets(hb.SubsetInputSets.LAYOUT_FEATURE_TAG).remove(_tag("locl"))
    return set(hb.SubsetPlan(source, request).new_to_old_glyph_mapping.values())


def _tag(name: str) -> int:
    """An OpenType tag as HarfBuzz's 32-bit number."""
    return int.from_bytes(name.encode("ascii"), "big")


# What the print engine (WeasyPrint 70, `pdf/fonts.py`) drops from every face it embeds; HarfBuzz's own default
# drop list stays too, as in the engine, which adds these to it.
ENGINE_DROPPED_TABLES = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT", "SVG ")
# The engine names an embedded face after Pango's description of the font it drew with, spaces made hyphens:
# the family, then its weight and slant when not regular. A slant synthesised for a family without italics
# (CJK) says Oblique: that text is drawn with the upright face.
ENGINE_STYLE = re.compile(r"(?P<bold>-Bold)?(?:(?P<italic>-Italic)|-Oblique)?")


def subset_keeping_gids(data: bytes, index: int, gids: set[int], notdef_outline: bool = False) -> bytes:
    """The face subset as the print engine embeds it for a document using glyphs `gids` (ids kept, no hinting)."""
    source = hb.Face(hb.Blob(data), index)
    request = hb.SubsetInput()
    request.glyph_set.update(sorted(gids))
    request.sets(hb.SubsetInputSets.DROP_TABLE_TAG).update(_tag(name) for name in ENGINE_DROPPED_TABLES)
    notdef = hb.SubsetFlags.NOTDEF_OUTLINE if notdef_outline else 0
    request.flags = (hb.SubsetFlags.RETAIN_GIDS | hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED
                     | hb.SubsetFlags.DESUBROUTINIZE | notdef)
    # Two passes like the engine's: the first keeps only the used glyphs at their ids, the second (the same
    # request, now asking for every id up to the last used one) drops the hinting.
    try:
        kept = hb.subset(source, request)
        request.glyph_set.add_range(0, max(gids, default=0))
        request.flags = (hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED | hb.SubsetFlags.DESUBROUTINIZE
                         | hb.SubsetFlags.NO_HINTING | notdef)
        return hb.subset(kept, request).blob.data
    except RuntimeError as exc:  # uharfbuzz raises where hb_subset_or_fail returns NULL
        raise FontConfigError(f"HarfBuzz could not subset face {index} of a font ({exc})") from None


def face_source(stack: FontStack, pdf_name: str) -> tuple[bytes, int] | None:
    """The file bytes and face index of the stack's face the engine embedded as `TAG+<pdf_name>`, if any."""
    families = [f for f in {face.family for face in stack.faces} if pdf_name.startswith(f.replace(" ", "-"))]
    family = max(families, key=len, default="")  # "Noto-Serif-CJK-SC-Bold" is Noto Serif CJK SC's, not Noto Serif's
    style = ENGINE_STYLE.fullmatch(pdf_name[len(family):]) if family else None
    face = style and stack.face(family, "_".join(k for k, v in style.groupdict().items() if v) or "regular")
    if not face:
        return None  # a face fontconfig fell back to outside the stack, or a style the stack lacks
    data = face.path.read_bytes()
    return None if _engine_rewrites(hb.Face(hb.Blob(data), face.index)) else (data, face.index)


def face_identity(data: bytes, index: int = 0) -> tuple[str | None, str | None]:
    """A face's PostScript name and version string (name IDs 6 and 5, which the engine's subsets keep)."""
    face = hb.Face(hb.Blob(data), index)
    return face.get_name(hb.OTNameIdPredefined.POSTSCRIPT_NAME), face.get_name(hb.OTNameIdPredefined.VERSION_STRING)


def glyph_count(data: bytes, index: int = 0) -> int:
    """How many glyphs a font program has (0 for bytes HarfBuzz cannot read as a font)."""
    return hb.Face(hb.Blob(data), index).glyph_count


def _engine_rewrites(face: hb.Face) -> bool:
    """Whether the engine reworks the subset with fontTools (colour glyphs emptied, variations instanced), so
    a plain subset would not be what it embeds."""
    return (face.has_color_png or face.has_color_svg or face.has_color_layers or face.has_color_paint
            or "fvar" in face.table_tags)
