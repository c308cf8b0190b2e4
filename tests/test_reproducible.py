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


def test_print_editions_laid_out_in_parallel_give_the_same_bytes_and_warnings(tmp_path, clean_env):
    """--jobs 2 lays the kdp and press editions out in two processes: the files are those of --jobs 1, and the
    workers' warnings are said once each, in the same order."""
    import io

    from PIL import Image

    results = []
    for name, jobs in (("parallel", "2"), ("serial", "1")):
        book = tmp_path / name / "book"
        (book / "chapters").mkdir(parents=True)
        (book / "images").mkdir()
        small = io.BytesIO()
        Image.new("RGB", (240, 120), "navy").save(small, "PNG")  # below 300 dpi in print: IMG003 per profile
        (book / "images" / "small.png").write_bytes(small.getvalue())
        (book / "chapters" / "01.md").write_text("# T\n\nText.\n\n![small](../images/small.png)\n")
        (book / "book.toml").write_text(
            '[book]\ntitle = "T"\nauthors = ["A"]\nlanguage = "en"\nchapters = ["chapters/01.md"]\n\n'
            '[editions.epub]\nformat = "epub"\n\n[editions.kdp]\nformat = "pdf"\nprofile = "kdp"\n\n'
            '[editions.press]\nformat = "pdf"\nprofile = "press"\n')
        proc = run_folio("build", str(book), "--out", str(tmp_path / name / "dist"), "--jobs", jobs, env=clean_env)
        assert proc.returncode == 0, proc.stderr
        results.append((digests(tmp_path / name / "dist"), proc.stderr.replace(str(tmp_path / name), "BOOK")))
    (parallel, said), (serial, said_serially) = results
    assert parallel == serial and len(parallel) == 3
    assert said == said_serially and said.count("warning[IMG003]") == 1, said


def test_chapters_rendered_in_parallel_give_the_same_epub(tmp_path, clean_env):
    """A book longer than forked.MIN_FORKED_CHARS has its chapters rendered and their characters read in two
    forked processes with --jobs 2: the EPUB is byte for byte that of --jobs 1, and the chapter documents the
    workers rendered are kept for the next build."""
    from builder.forked import MIN_FORKED_CHARS

    sources = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "book" / "chapters").glob("*.md"))]
    names = [f"chapters/{n:02d}.md" for n in range(1, 13)]
    listed = ", ".join(f'"{name}"' for name in names)
    results = []
    for name, jobs in (("parallel", "2"), ("serial", "1")):
        book = tmp_path / name / "book"
        (book / "chapters").mkdir(parents=True)
        for at, chapter in enumerate(names):
            (book / chapter).write_text("\n\n".join([sources[at % 2]] * 12), encoding="utf-8")
        (book / "book.toml").write_text(f'[book]\ntitle = "Long"\nauthors = ["A"]\nlanguage = "en"\n'
                                        f'cjk_punctuation = "normalize"\nchapters = [{listed}]\n', encoding="utf-8")
        assert sum(len((book / c).read_text(encoding="utf-8")) for c in names) > 1.2 * MIN_FORKED_CHARS
        proc = run_folio("build", str(book), "--out", str(tmp_path / name / "dist"), "--edition", "epub",
                         "--jobs", jobs, env=clean_env)
        assert proc.returncode == 0, proc.stderr
        results.append((digests(tmp_path / name / "dist"), proc.stderr.replace(str(tmp_path / name), "BOOK")))
        assert len(list((book / ".folio-cache" / "chapters").iterdir())) == len(names)
    assert results[0] == results[1] and len(results[0][0]) == 1
