"""Font programs merged across parts laid out apart and stitched into one PDF: each face embedded once,
the text and every pixel as before."""

from __future__ import annotations

import functools
import io
import os
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path
from unittest import mock

import pikepdf
import pytest
from fontTools.pens.recordingPen import RecordingPen
from fontTools.ttLib import TTFont
from PIL import Image

from builder import fonts
from builder.pdfpost import fontmerge

# Running heads in italic as print.css sets them: CJK has no italic, so the engine slants the upright face.
CSS = """@page { size: A6; margin: 12mm 10mm; @top-left { content: string(title); font-style: italic; } }
h1 { string-set: title content(); font-size: 16pt; }
html { font-size: 10pt; }
:lang(en) { font-family: "Noto Serif", "Noto Serif CJK SC", serif; }
:lang(zh-Hans) { font-family: "Noto Serif CJK SC", "Noto Serif", serif; }"""
# Each part uses characters the others do not; the second draws a character no font has (an outlined .notdef,
# so a merged program must keep it), the same emoji as the third (a face outside the stack).
PARTS = [
    '<h1>天地玄黄</h1><p>宇宙洪荒，日月盈昃。<b>辰宿列张</b>。</p>'
    '<p lang="en">The quick brown fox.</p>',
    '<h1>寒来暑往</h1><p>秋收冬藏，闰余成岁。\U0010fffd 🐉</p>'
    '<p lang="en"><i>Jumps over</i> the lazy dog.</p>',
    '<h1 lang="en">Sphinx of Quartz</h1><p lang="en">Judge my <b>vow</b>. 🐉</p>'
    '<p>云腾致雨，露结为霜。</p>',
]


def lay_out(body: str, variant: str | None, stubs: bool = False) -> pikepdf.Pdf:
    """One part laid out by the engine on its own, as a chunk of a book is; with `stubs`, the stack's faces
    embedded as .notdef alone, as a chapter part embeds them (the merge is then what gives them glyphs)."""
    weasyprint = pytest.importorskip("weasyprint")
    from builder.writers import pdf as writer
    html = f'<html lang="zh-Hans"><body>{body}</body></html>'
    # The engine re-saves emoji faces with fontTools, which stamps them with SOURCE_DATE_EPOCH or else the clock:
    # as in a build (writers/pdf.py), the date is fixed, or two parts laid out a second apart differ.
    with mock.patch.dict(os.environ, {"SOURCE_DATE_EPOCH": "0"}), writer._stub_subsets(_from_stack if stubs else None):
        pdf = weasyprint.HTML(string=html).write_pdf(stylesheets=[weasyprint.CSS(string=CSS)], pdf_variant=variant)
    return pikepdf.open(io.BytesIO(pdf))


def _from_stack(name: str) -> bool:
    """The chapter parts' test (parts._from_stack)."""
    from builder import parts
    return parts._from_stack(name)


def stitch(parts: list[pikepdf.Pdf]) -> pikepdf.Pdf:
    """The parts' pages in one PDF, each part's fonts as the engine embedded them (the parts stay open: their
    streams are read when the stitched PDF is saved)."""
    doc = pikepdf.new()
    for part in parts:
        doc.pages.extend(part.pages)
    return doc


def save(doc: pikepdf.Pdf) -> bytes:
    """The PDF's bytes, with an ID from the content."""
    out = io.BytesIO()
    doc.save(out, deterministic_id=True)
    return out.getvalue()


def merge(doc: pikepdf.Pdf) -> int:
    """Merge with the stack's faces as sources, as a build would."""
    return fontmerge.merge_font_programs(doc, functools.partial(fonts.face_source, fonts.load_font_stack()))


def programs(doc: pikepdf.Pdf) -> dict[str, dict[tuple[int, int], list[pikepdf.Dictionary]]]:
    """Font name after the subset tag -> program stream -> the CIDFonts drawing with it."""
    found: dict[str, dict] = defaultdict(lambda: defaultdict(list))
    for obj in doc.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == "/Type0":
            cid_font = obj.DescendantFonts[0]
            program = cid_font.FontDescriptor.get("/FontFile2") or cid_font.FontDescriptor.get("/FontFile3")
            found[str(obj.BaseFont).partition("+")[2]][program.objgen].append(cid_font)
    return found


def needs(tool: str) -> str:
    """A poppler or qpdf command; its absence skips, saying so."""
    path = shutil.which(tool)
    if not path:
        pytest.skip(f"{tool} is not installed (make installs poppler-utils and qpdf)")
    return path


@pytest.fixture(scope="module", params=[None, "pdf/x-1a"], ids=["pdf-1.7", "pdf-x-1a"])
def stitched(request) -> tuple[list[pikepdf.Pdf], bytes, bytes]:
    """The laid-out parts, and their stitched PDF before and after merging (PDF/X-1a adds /CIDSet streams)."""
    parts = [lay_out(body, request.param) for body in PARTS]
    doc = stitch(parts)
    assert merge(doc) > 0
    return parts, save(stitch(parts)), save(doc)


def test_each_face_embedded_once(stitched):
    """Every face the parts share is one program in the merged file, under one subset name."""
    _, before, after = stitched
    unmerged, merged_doc = _open(before), _open(after)
    assert any(len(streams) > 1 for streams in programs(unmerged).values())  # the input repeats faces
    merged = programs(merged_doc)
    assert {"Noto-Serif-CJK-SC", "Noto-Serif-CJK-SC-Oblique", "Noto-Serif", "Noto-Color-Emoji"} <= set(merged)
    for name, streams in merged.items():
        assert len(streams) == 1, name
        (uses,) = streams.values()
        assert len({str(use.BaseFont) for use in uses}) == 1, name
        assert all(str(use.FontDescriptor.FontName) == str(use.BaseFont) for use in uses)


def test_merged_file_is_smaller(stitched):
    """Dropped programs are gone from the saved file, which shrinks by more than a third here."""
    _, before, after = stitched
    assert len(after) < len(before) * 2 / 3


def test_merged_program_draws_every_listed_glyph(stitched):
    """Each glyph a part's /W lists is in the merged program, drawn as the part's own program drew it."""
    _, before, after = stitched
    unmerged, merged_doc = _open(before), _open(after)
    for name, streams in programs(unmerged).items():
        (merged,) = programs(merged_doc)[name]
        merged_font = _font(merged_doc.get_object(merged))
        for cid_fonts in streams.values():
            descriptor = cid_fonts[0].FontDescriptor
            own = _font(descriptor.get("/FontFile2") or descriptor.get("/FontFile3"))
            for gid in fontmerge._listed_cids(cid_fonts[0].W):
                if gid < own["maxp"].numGlyphs:  # above: a character no font has, drawn as .notdef
                    assert _outline(merged_font, gid) == _outline(own, gid), (name, gid)


def test_notdef_outline_kept(stitched):
    """A part that drew a character no font has needs the outlined .notdef: the merged program keeps it; a
    face no part drew .notdef with has an empty one, as the engine embeds it."""
    _, before, after = stitched
    unmerged, merged_doc = _open(before), _open(after)
    drew_notdef = [obj for obj in unmerged.objects
                   if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == "/Type0"
                   and obj.Encoding != pikepdf.Name("/Identity-H")]
    assert [str(font.BaseFont).partition("+")[2] for font in drew_notdef] == ["Noto-Serif-CJK-SC"]
    (program,) = programs(merged_doc)["Noto-Serif-CJK-SC"]
    assert _outline(_font(merged_doc.get_object(program)), 0)[0]
    (program,) = programs(merged_doc)["Noto-Serif"]
    assert not _outline(_font(merged_doc.get_object(program)), 0)[0]


def test_cid_sets_are_the_union(stitched):
    """PDF 1.4 files list each program's CIDs: one /CIDSet per merged program, holding every part's CIDs."""
    _, before, after = stitched
    unmerged, merged_doc = _open(before), _open(after)
    listed = {name for name, streams in programs(unmerged).items()
              if any("/CIDSet" in use.FontDescriptor for uses in streams.values() for use in uses)}
    for name, streams in programs(merged_doc).items():
        (uses,) = streams.values()
        sets = {use.FontDescriptor.CIDSet.objgen for use in uses if "/CIDSet" in use.FontDescriptor}
        assert len(sets) == (name in listed), name
        if sets:
            data = uses[0].FontDescriptor.CIDSet.read_bytes()
            bits, size = int.from_bytes(data, "big"), len(data) * 8
            cids = set().union(*(fontmerge._listed_cids(use.W) for use in uses))
            assert {cid for cid in range(size) if bits >> (size - 1 - cid) & 1} == cids, name


def test_text_unchanged(stitched, tmp_path):
    """pdftotext reads the same text from the merged file."""
    _, before, after = stitched
    assert _text(before, tmp_path / "before.pdf") == _text(after, tmp_path / "after.pdf")


def test_pages_look_the_same(stitched, tmp_path):
    """Every page renders to the same pixels before and after merging."""
    _, before, after = stitched
    pages_before, pages_after = _render(before, tmp_path / "before"), _render(after, tmp_path / "after")
    assert len(pages_before) == len(pages_after) == len(PARTS)
    for one, two in zip(pages_before, pages_after):
        assert Image.open(one).tobytes() == Image.open(two).tobytes(), one.name


def test_qpdf_check_passes(stitched, tmp_path):
    """The merged file's structure is sound."""
    path = tmp_path / "merged.pdf"
    path.write_bytes(stitched[2])
    proc = subprocess.run([needs("qpdf"), "--check", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_merging_is_deterministic_and_idempotent(stitched):
    """The same parts merge to the same bytes, and merging the merged file again changes nothing."""
    parts, _, after = stitched
    again = stitch(parts)
    merge(again)
    assert save(again) == after
    merged = _open(after)
    assert merge(merged) == 0
    assert save(merged) == after


def test_one_part_is_left_alone(stitched):
    """A PDF the engine laid out in one piece embeds each face once already: merging changes no byte."""
    one = stitch(stitched[0][1:2])
    before = save(one)
    assert merge(one) == 0
    assert save(one) == before


@pytest.fixture(scope="module", params=[None, "pdf/x-1a"], ids=["pdf-1.7", "pdf-x-1a"])
def stubbed(request) -> tuple[list[pikepdf.Pdf], bytes, bytes]:
    """Parts whose stack faces are stubs, and the merged files of those parts and of parts with full subsets."""
    stubs, full = [lay_out(body, request.param, stubs=True) for body in PARTS], stitch(
        [lay_out(body, request.param) for body in PARTS])
    doc = stitch(stubs)
    merge(doc)
    merge(full)
    return stubs, save(doc), save(full)


def test_chapter_parts_embed_the_stacks_faces_as_stubs(stubbed):
    """Chapter parts embed the stack's faces as .notdef alone (cutting real subsets, which the merge throws
    away, took a quarter of a chapter's layout); the emoji face, which is not the stack's, keeps its subset."""
    counts = defaultdict(set)
    for doc in stubbed[0]:
        for name, streams in programs(doc).items():
            counts[name] |= {fonts.glyph_count(doc.get_object(objgen).read_bytes()) for objgen in streams}
    assert counts["Noto-Serif-CJK-SC"] == counts["Noto-Serif"] == counts["Noto-Serif-Bold"] == {1}
    assert min(counts["Noto-Color-Emoji"]) > 1


def test_stubbed_parts_merge_to_what_full_subsets_give(stubbed, tmp_path):
    """Merged, stub parts give each face one program that draws what full subsets draw: the same text, the
    same pixels on every page."""
    _, from_stubs, from_full = stubbed
    for name, streams in programs(_open(from_stubs)).items():
        assert len(streams) == 1, name
    assert _text(from_stubs, tmp_path / "stubs.pdf") == _text(from_full, tmp_path / "full.pdf")
    pages_stubs, pages_full = _render(from_stubs, tmp_path / "stubs"), _render(from_full, tmp_path / "full")
    assert len(pages_stubs) == len(pages_full) == len(PARTS)
    for one, two in zip(pages_stubs, pages_full):
        assert Image.open(one).tobytes() == Image.open(two).tobytes(), one.name


def test_one_stubbed_part_gets_its_glyphs():
    """A face that only one part uses is subset again too, when that part embedded it as a stub."""
    alone, full = stitch([lay_out(PARTS[0], None, stubs=True)]), stitch([lay_out(PARTS[0], None)])
    assert merge(alone) == 0
    for name, streams in programs(full).items():
        (objgen,) = streams
        (merged,) = programs(alone)[name]
        own, now = _font(full.get_object(objgen)), _font(alone.get_object(merged))
        for gid in fontmerge._listed_cids(streams[objgen][0].W):
            assert _outline(now, gid) == _outline(own, gid), (name, gid)


def test_a_stub_whose_face_changed_is_an_error():
    """A stub whose face is no longer the one the part was laid out with (another file under the name) cannot
    be given glyphs: that stops the build instead of printing empty text."""
    doc = stitch([lay_out(PARTS[0], None, stubs=True)])
    other = fonts.load_font_stack().face("Noto Serif", "bold")
    with pytest.raises(fontmerge.FontMergeError, match="Noto-Serif"):
        fontmerge.merge_font_programs(doc, lambda name: (other.path.read_bytes(), other.index))


def test_a_stub_keeps_the_notdef_a_part_draws():
    """A part that draws a character no font has keeps the outlined .notdef in its stub, even after parts
    without one were laid out in the same process (their stubs have an empty .notdef)."""
    lay_out('<p lang="en">abc</p>', None, stubs=True)
    doc = stitch([lay_out('<p lang="en">\U000F0000</p>', None, stubs=True)])
    merge(doc)
    (program,) = programs(doc)["Noto-Serif"]
    assert _outline(_font(doc.get_object(program)), 0)[0], "the tofu box is drawn"


def test_the_emptied_emoji_face_carries_the_layouts_date():
    """The emoji face, emptied once per process, is stamped with the SOURCE_DATE_EPOCH of the layout that
    embeds it, not of the first one that made it."""
    stamps = []
    for epoch in ("0", "1000000000"):
        weasyprint = pytest.importorskip("weasyprint")
        from builder.writers import pdf as writer  # noqa: F401 (installs the patches)
        with mock.patch.dict(os.environ, {"SOURCE_DATE_EPOCH": epoch}):
            pdf = weasyprint.HTML(string='<p>🐉</p>').write_pdf(stylesheets=[weasyprint.CSS(string=CSS)])
        doc = pikepdf.open(io.BytesIO(pdf))
        (program,) = programs(doc)["Noto-Color-Emoji"]
        stamps.append(_font(doc.get_object(program))["head"].modified - 2082844800)
    assert stamps == [0, 1000000000]


def test_width_arrays_of_other_writers_are_read():
    """/W arrays with an inner array by reference or real CIDs are read object by object."""
    doc = pikepdf.new()
    inner = doc.make_indirect(pikepdf.Array([500, 600]))
    assert fontmerge._listed_cids(pikepdf.Array([3, inner, 20, 21, 250])) == {3, 4, 20, 21}
    assert fontmerge._listed_cids(pikepdf.Array([1.0, pikepdf.Array([500]), 7.0, 8.0, 250.5])) == {1, 7, 8}


def test_face_source_names():
    """The engine's names find the stack's faces: a synthesised slant is the upright face; other faces none."""
    stack = fonts.load_font_stack()
    cases = {"Noto-Serif": ("Noto Serif", "regular"), "Noto-Serif-Bold-Italic": ("Noto Serif", "bold_italic"),
             "Noto-Serif-CJK-SC-Bold-Oblique": ("Noto Serif CJK SC", "bold"),
             "Noto-Serif-CJK-TC-Oblique": ("Noto Serif CJK TC", "regular")}
    for name, (family, style) in cases.items():
        face = stack.face(family, style)
        assert fonts.face_source(stack, name) == (face.path.read_bytes(), face.index), name
    for name in ("Noto-Color-Emoji", "DejaVu-Sans", "Noto-Serif-Light", "Noto-Serif-CJK-SC-Italic", "Noto-SerifX"):
        assert fonts.face_source(stack, name) is None, name


def test_both_width_forms_are_read():
    """/W runs `c [w1 w2]` (the engine's) and `cfirst clast w` (other writers') both list their CIDs."""
    w = pikepdf.Array([1, pikepdf.Array([500, 600]), 10, 12, 250, 40, pikepdf.Array([1000])])
    assert fontmerge._listed_cids(w) == {1, 2, 10, 11, 12, 40}


def _open(data: bytes) -> pikepdf.Pdf:
    """A PDF's bytes, opened."""
    return pikepdf.open(io.BytesIO(data))


def _font(stream: pikepdf.Stream) -> TTFont:
    """An embedded program, opened."""
    return TTFont(io.BytesIO(stream.read_bytes()), lazy=True)


def _outline(font: TTFont, gid: int) -> tuple:
    """A glyph's drawing operations and advance."""
    glyph = font.getGlyphSet()[font.getGlyphName(gid)]
    pen = RecordingPen()
    glyph.draw(pen)
    return tuple(pen.value), glyph.width


def _text(data: bytes, path: Path) -> str:
    """What pdftotext reads from the PDF."""
    path.write_bytes(data)
    return subprocess.run([needs("pdftotext"), str(path), "-"], capture_output=True, text=True, check=True).stdout


def _render(data: bytes, stem: Path) -> list[Path]:
    """Every page as a PNG at 60 dpi."""
    stem.with_suffix(".pdf").write_bytes(data)
    subprocess.run([needs("pdftoppm"), "-r", "60", "-png", str(stem.with_suffix(".pdf")), str(stem)], check=True)
    return sorted(stem.parent.glob(stem.name + "-*.png"))
