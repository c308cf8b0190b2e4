"""One font program per face in a PDF stitched from separately laid-out parts: each part's engine embedded
its own subset of every face it used; the merged program holds the union of their glyphs."""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import pikepdf

from builder import fonts

PROGRAM_KEYS = ("/FontFile2", "/FontFile3")  # TrueType and OpenType (CFF) programs: what the engine embeds
SourceFor = Callable[[str], "tuple[bytes, int] | None"]  # name after the tag's '+' -> (font file bytes, face index)
Keep = Callable[[tuple, Callable[[], bytes]], bytes]  # (what the bytes depend on, make) -> bytes, kept or made


def _make(_key: tuple, make: Callable[[], bytes]) -> bytes:
    """No cache: make the bytes."""
    return make()


@dataclass(frozen=True)
class _Use:
    """One composite font dictionary of one part, with its descendant CIDFont and descriptor."""

    type0: pikepdf.Dictionary
    cid_font: pikepdf.Dictionary
    descriptor: pikepdf.Dictionary
    cids: frozenset[int] | None  # the glyphs its /W lists; None without a /W array (all glyphs at /DW)


def merge_font_programs(doc: pikepdf.Pdf, source_for: SourceFor, keep: Keep | None = None) -> int:
    """Point every font of a face at one program holding the glyphs all of them use (a face whose source
    `source_for` cannot give is only shared where parts embedded identical bytes); how many programs went.
    `keep` may return a merged program kept from an earlier build (an edit seldom changes a face's glyphs)."""
    keep, removed = keep or _make, 0
    for (name, key), uses in _group_fonts(doc).items():
        programs = {use.descriptor[key].objgen for use in uses}
        source = source_for(name)
        stubbed = source is not None and _stubbed(uses, key, source)
        if len(programs) < 2 and not stubbed:
            continue
        if _merge_group(doc, name, key, uses, source, keep):
            removed += len(programs) - 1
        elif stubbed:  # a part embedded .notdef alone, counting on this merge (writers.pdf._stub_subsets)
            raise FontMergeError(f"could not embed the glyphs of the face {name!r} from its font file (was it "
                                 "changed or removed during the build?)")
        else:
            removed += _share_identical(doc, name, key, uses)
    return removed


class FontMergeError(fonts.FontConfigError):
    """A face whose parts embedded no glyphs could not be subset again from its file (reported as FNT002)."""


def _stubbed(uses: list[_Use], key: str, source: tuple[bytes, int]) -> bool:
    """Whether a font lists widths for glyphs of the face that its program lacks (glyph ids past the face's
    own are the engine's stand-ins for characters no font has, drawn as .notdef)."""
    in_face = fonts.glyph_count(*source)
    for use in uses:
        listed = [cid for cid in use.cids or () if cid < in_face]
        if listed and max(listed) >= fonts.glyph_count(use.descriptor[key].read_bytes()):
            return True
    return False


def _group_fonts(doc: pikepdf.Pdf) -> dict[tuple[str, str], list[_Use]]:
    """Embedded composite fonts by (name after the subset tag, program key), in object order so that the
    output does not depend on anything but the input."""
    groups: dict[tuple[str, str], list[_Use]] = {}
    for obj in doc.objects:
        use = _composite_font(obj)
        if use is None:
            continue
        key = next(k for k in PROGRAM_KEYS if k in use.descriptor)
        groups.setdefault((str(use.type0.BaseFont).partition("+")[2], key), []).append(use)
    return groups


def _composite_font(obj) -> _Use | None:
    """The font, if `obj` is a Type0 font with a subset tag whose CIDFont embeds a TrueType or OpenType
    program (the engine's Type 3 fonts for bitmap faces, and anything else, are left alone)."""
    if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != "/Font" or obj.get("/Subtype") != "/Type0":
        return None
    descendants = obj.get("/DescendantFonts")
    cid_font = descendants[0] if isinstance(descendants, pikepdf.Array) and len(descendants) == 1 else None
    descriptor = cid_font.get("/FontDescriptor") if isinstance(cid_font, pikepdf.Dictionary) else None
    if not isinstance(descriptor, pikepdf.Dictionary) or "+" not in str(obj.get("/BaseFont", "")):
        return None
    if sum(isinstance(descriptor.get(k), pikepdf.Stream) for k in PROGRAM_KEYS) != 1:
        return None
    widths = cid_font.get("/W")
    cids = frozenset(_listed_cids(widths)) if isinstance(widths, pikepdf.Array) else None
    return _Use(obj, cid_font, descriptor, cids)


def _merge_group(doc: pikepdf.Pdf, name: str, key: str, uses: list[_Use], source: tuple[bytes, int] | None,
                 keep: Keep) -> bool:
    """Re-subset the face from its source for the glyphs of all `uses` and point them at it; False (nothing
    changed) when the source is unknown, is not the face the parts embedded, or cannot be subset."""
    if any(use.cids is None for use in uses):
        return False  # without /W (all glyphs at /DW) nothing says which glyphs a part uses
    if source is None or not _embedded_from(source, key, uses):
        return False
    gids = set().union(*(use.cids for use in uses))
    # The engine draws missing characters with an outlined .notdef, and says so with its own encoding CMap.
    notdef = any(use.type0.get("/Encoding") != pikepdf.Name("/Identity-H") for use in uses)

    def make() -> bytes:  # the program's length, then the program deflated
        program = fonts.subset_keeping_gids(*source, gids, notdef_outline=notdef)
        return len(program).to_bytes(8, "big") + zlib.compress(program)
    try:
        made = keep(("merged program", fonts.face_identity(*source), source[1], key, notdef, sorted(gids)), make)
    except fonts.FontConfigError:
        return False
    tag = _subset_tag(name.encode() + repr(sorted(gids)).encode())
    stream = _program_stream(doc, made[8:], int.from_bytes(made[:8], "big"), key)
    _point_at(doc, uses, key, stream, pikepdf.Name(f"/{tag}+{name}"))
    return True


def _embedded_from(source: tuple[bytes, int], key: str, uses: list[_Use]) -> bool:
    """Whether the group's programs are subsets of `source`: same PostScript name and version (a part
    laid out before a font upgrade, or with another file of the same family, is not)."""
    # One program is enough: parts are kept under a digest of the installed font files (cache.tool_digest),
    # so every part of one build was laid out with the same files. (Reading all of them cost 0.5 s on 938 pages.)
    return fonts.face_identity(uses[0].descriptor[key].read_bytes()) == fonts.face_identity(*source)


def _share_identical(doc: pikepdf.Pdf, name: str, key: str, uses: list[_Use]) -> int:
    """Point fonts whose programs hold the same bytes at one of them, and give each distinct program its own
    subset tag (parts laid out apart all tag a face alike); how many programs went."""
    programs = {use.descriptor[key].objgen: use.descriptor[key] for use in uses}
    digests = {objgen: hashlib.sha256(program.read_bytes()).digest() for objgen, program in programs.items()}
    sharers: dict[bytes, list[_Use]] = {}
    for use in uses:
        sharers.setdefault(digests[use.descriptor[key].objgen], []).append(use)
    for digest, same in sharers.items():
        font_name = pikepdf.Name(f"/{_subset_tag(name.encode() + digest)}+{name}")
        _point_at(doc, same, key, same[0].descriptor[key], font_name)
    return len(programs) - len(sharers)


def _point_at(doc: pikepdf.Pdf, uses: list[_Use], key: str, program: pikepdf.Stream, font_name: pikepdf.Name) -> None:
    """Fonts drawing with one program: its stream, one /CIDSet of all their CIDs where they had one, and
    one subset name alike in each font, its CIDFont and its descriptor."""
    cid_set = None
    if any("/CIDSet" in use.descriptor for use in uses):
        cid_set = _cid_set_stream(doc, set().union(*(use.cids or () for use in uses)))
    for use in uses:
        use.descriptor[key] = program
        if "/CIDSet" in use.descriptor:
            use.descriptor.CIDSet = cid_set
        use.type0.BaseFont = use.cid_font.BaseFont = use.descriptor.FontName = font_name


def _program_stream(doc: pikepdf.Pdf, deflated: bytes, length: int, key: str) -> pikepdf.Stream:
    """The program as the engine stores it: compressed, /Subtype /OpenType for CFF, /Length1 for TrueType."""
    stream = pikepdf.Stream(doc, deflated)
    stream.Filter = pikepdf.Name.FlateDecode
    if key == "/FontFile3":
        stream.Subtype = pikepdf.Name.OpenType
    else:
        stream.Length1 = length
    return stream


def _cid_set_stream(doc: pikepdf.Pdf, cids: set[int]) -> pikepdf.Stream:
    """A /CIDSet (PDF 1.4 and older) with a bit for each CID, the first CID the first byte's high bit."""
    bits = bytearray((max(cids, default=0) + 8) // 8)
    for cid in cids:
        bits[cid // 8] |= 0x80 >> cid % 8
    stream = pikepdf.Stream(doc, zlib.compress(bytes(bits)))
    stream.Filter = pikepdf.Name.FlateDecode
    return stream


# One entry of a /W array: `c [w1 w2 ...]` or `cfirst clast w`.
_W_ENTRY = re.compile(rb"(\d+)\s*\[([^\]]*)\]|(\d+)\s+(\d+)\s+[-+]?(?:\d+\.?\d*|\.\d+)")
_BRACKETED = re.compile(rb"\[[^\]]*\]")


def _listed_cids(w) -> set[int]:
    """The CIDs a CIDFont's /W array gives widths for: `c [w1 w2 ...]` and `cfirst clast w` runs (read from
    the array's text, as the engine writes it: walking it through pikepdf object by object took half of a
    938-page book's merge; other writers' arrays, with references or real CIDs, are walked)."""
    if not isinstance(w, pikepdf.Array):
        return set()
    text = w.unparse(resolved=True)
    if b"R" in text or b"." in _BRACKETED.sub(b"", text[1:-1]):
        return _walked_cids(list(w))
    cids: set[int] = set()
    for run in _W_ENTRY.finditer(text):
        if run[1] is not None:
            start = int(run[1])
            cids.update(range(start, start + len(run[2].split())))
        else:
            cids.update(range(int(run[3]), min(int(run[4]), 0xFFFF) + 1))  # CIDs are 16-bit
    return cids


def _walked_cids(items: list) -> set[int]:
    """The CIDs of a /W array's items, read object by object."""
    cids, i = set(), 0
    while i + 1 < len(items):
        start = int(items[i])
        if isinstance(items[i + 1], pikepdf.Array):
            cids.update(range(start, start + len(items[i + 1])))
            i += 2
        elif i + 2 < len(items):
            cids.update(range(start, min(int(items[i + 1]), 0xFFFF) + 1))  # CIDs are 16-bit
            i += 3
        else:
            break
    return cids


def _subset_tag(seed: bytes) -> str:
    """Six capital letters from a digest, as PDF subset tags are."""
    return "".join(chr(65 + byte % 26) for byte in hashlib.sha256(seed).digest()[:6])
