"""Same sources, same bytes: two builds in different folders give identical files."""

from __future__ import annotations

import hashlib

from helpers import ROOT, copy_book, epub_members, run_folio, xml, NS


def digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_two_builds_are_byte_identical(tmp_path, clean_env):
    results = []
    for name in ("one", "two"):
        book = copy_book(ROOT / "book", tmp_path / name / "book")
        proc = run_folio("build", str(book), "--out", str(tmp_path / name / "dist"), env=clean_env)
        assert proc.returncode == 0, proc.stderr
        results.append(digests(tmp_path / name / "dist"))
    assert results[0] == results[1] and len(results[0]) == 2


def test_source_date_epoch_sets_the_modified_date(tmp_path, clean_env):
    book = copy_book(ROOT / "book", tmp_path / "book")
    env = dict(clean_env, SOURCE_DATE_EPOCH="1700000000")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "dist"), "--edition", "epub", env=env)
    assert proc.returncode == 0, proc.stderr
    members = epub_members(tmp_path / "dist" / "when-siberia-calls.epub")
    opf = xml(members["EPUB/content.opf"])
    assert opf.xpath("//opf:meta[@property='dcterms:modified']/text()", namespaces=NS) == ["2023-11-14T22:13:20Z"]
    assert not (tmp_path / "dist" / "when-siberia-calls.pdf").exists()
