"""The build cache: an unchanged book is not built again, and any change to what a build reads is seen."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from helpers import copy_book, epub_members, one_chapter_book, run_folio

REUSED = "nothing changed since the last build"
TOML = '[book]\ntitle = "T"\nauthors = ["A"]\nlanguage = "zh-Hans"\nchapters = ["chapters/01.md"]\n'


def make_book(tmp_path):
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    (book / "chapters" / "01.md").write_text("# 标题\n\n第一句,第二句。\n", encoding="utf-8")
    (book / "book.toml").write_text(TOML)
    return book


def test_an_unchanged_rebuild_reuses_files_and_says_its_warnings_again(tmp_path):
    book = make_book(tmp_path)
    first = run_folio("build", str(book), "--out", str(tmp_path / "a"))
    assert first.returncode == 0 and REUSED not in first.stdout, first.stderr
    assert "warning[CJK001]" in first.stderr
    again = run_folio("build", str(book), "--out", str(tmp_path / "b"))
    assert again.returncode == 0 and REUSED in again.stdout
    assert again.stderr == first.stderr, "the warnings of the reused build are reported again"
    for name in ("t.epub", "t.pdf"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    strict = run_folio("build", str(book), "--out", str(tmp_path / "c"), "--strict")
    assert strict.returncode == 1 and "error[CJK001]" in strict.stderr
    assert not (tmp_path / "c").exists() or not any((tmp_path / "c").iterdir())


def test_any_change_to_what_the_build_reads_builds_again(tmp_path):
    book = make_book(tmp_path)
    assert run_folio("build", str(book), "--out", str(tmp_path / "a"), "--edition", "epub").returncode == 0
    (book / "chapters" / "01.md").write_text("# 标题\n\n第一句，第二句。\n", encoding="utf-8")
    edited = run_folio("build", str(book), "--out", str(tmp_path / "a"), "--edition", "epub")
    assert edited.returncode == 0 and REUSED not in edited.stdout and "CJK001" not in edited.stderr
    (book / "images").mkdir()
    (book / "images" / "unused.png").write_bytes(b"not yet used")  # any file of the book folder counts
    assert REUSED not in run_folio("build", str(book), "--out", str(tmp_path / "a"), "--edition", "epub").stdout
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    dated = run_folio("build", str(book), "--out", str(tmp_path / "a"), "--edition", "epub", env=env)
    assert dated.returncode == 0 and REUSED not in dated.stdout
    both = run_folio("build", str(book), "--out", str(tmp_path / "a"), env=env)
    assert REUSED not in both.stdout, "another set of editions is another build"
    assert REUSED in run_folio("build", str(book), "--out", str(tmp_path / "a"), env=env).stdout


CHAPTERS = {
    "01.md": "# One\n\nSee [the later part](03.md#later) and [two](02.md).\n",
    "02.md": "---\nlang: zh-Hans\n---\n# 二\n\n第一句，第二句。\n",
    "03.md": "# Three\n\nIntro.\n\n## Later {#later}\n\nEnd.\n",
}


def build_epub(book, out, env):
    """An EPUB-only build; returns the EPUB's bytes."""
    result = run_folio("build", str(book), "--out", str(out), "--edition", "epub", env=env)
    assert result.returncode == 0, result.stderr
    return (out / "t.epub").read_bytes()


def test_an_edited_chapter_is_rendered_again_alone_and_the_result_equals_a_cold_build(tmp_path):
    """Per-chapter cache: after each edit the incremental EPUB is byte-identical to a build without any cache,
    and an edit that changes no heading or anchor renders only the edited chapter's document again."""
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    for name, text in CHAPTERS.items():
        (book / "chapters" / name).write_text(text, encoding="utf-8")
    (book / "book.toml").write_text(TOML.replace('"chapters/01.md"', ", ".join(f'"chapters/{n}"' for n in CHAPTERS)))
    build_epub(book, tmp_path / "out", env)
    memo = book / ".folio-cache" / "chapters"
    edits = [("02.md", "第三句。\n", 1),  # body text only: one document rendered again
             ("03.md", "## Earlier\n\nInserted.\n", 3),  # a new heading: every document may point at it
             ("01.md", "More text.\n", 1)]
    for number, (name, added, rendered) in enumerate(edits):
        before = set(memo.iterdir())
        path = book / "chapters" / name
        path.write_text(path.read_text(encoding="utf-8").replace("\n\n", "\n\n" + added, 1), encoding="utf-8")
        incremental = build_epub(book, tmp_path / "out", env)
        assert len(set(memo.iterdir()) - before) == rendered, name
        cold_book = copy_book(book, tmp_path / f"cold-{number}")
        assert not (cold_book / ".folio-cache").exists()
        assert incremental == build_epub(cold_book, tmp_path / f"cold-out-{number}", env), name


def test_a_converted_edition_built_incrementally_equals_a_cold_one(tmp_path):
    """The same chapter is rendered for several editions in one build; what the cache keeps for the converted
    edition must be what a build of that edition alone makes (a wide table's class once, not once per render)."""
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    row = "|" + "|".join(f"软件{n}" for n in range(9)) + "|\n"
    (book / "chapters" / "01.md").write_text("# 表\n\n" + row + "|" + "---|" * 9 + "\n" + row, encoding="utf-8")
    (book / "book.toml").write_text(TOML + '\n[editions.epub]\nformat = "epub"\n\n[editions.tw]\nformat = "epub"\n'
                                    'convert = "s2twp"\n')
    result = run_folio("build", str(book), "--out", str(tmp_path / "all"), env=env)
    assert result.returncode == 0, result.stderr
    alone = run_folio("build", str(book), "--out", str(tmp_path / "tw"), "--edition", "tw", env=env)
    assert alone.returncode == 0 and REUSED not in alone.stdout, alone.stderr
    cold_book = copy_book(book, tmp_path / "cold")
    cold = run_folio("build", str(cold_book), "--out", str(tmp_path / "cold-tw"), "--edition", "tw", env=env)
    assert cold.returncode == 0, cold.stderr
    made = (tmp_path / "tw" / "t-tw.epub").read_bytes()
    assert made == (tmp_path / "cold-tw" / "t-tw.epub").read_bytes()
    assert b"wide-table wide-table" not in epub_members(tmp_path / "tw" / "t-tw.epub")["EPUB/ch-01.xhtml"]


def test_a_planted_cache_is_neither_trusted_nor_followed(tmp_path):
    """A book folder may come with someone else's .folio-cache: entries this user did not write are ignored,
    and links in it are never read through or pruned through."""
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    book = make_book(tmp_path)
    first = build_epub(book, tmp_path / "out", env)
    cache = book / ".folio-cache"
    for entry in (cache / "chapters").iterdir():
        entry.write_bytes(b"<p>planted</p>")  # same names, content not signed by this user
    secret = tmp_path / "private"
    secret.mkdir()
    (secret / "id_rsa").write_bytes(b"PRIVATE KEY MATERIAL")
    for entry in (cache / "fonts").iterdir():
        entry.unlink()
        entry.symlink_to(secret / "id_rsa")
    shutil.rmtree(cache / "covers")
    (cache / "covers").symlink_to(secret, target_is_directory=True)
    for n in range(40):
        (secret / f"{n:032x}").write_bytes(b"kept")  # cache-like names: pruning through the link would take them
    shutil.rmtree(cache / "builds")  # so the next run builds instead of replaying
    again = build_epub(book, tmp_path / "out", env)
    assert again == first, "planted entries were ignored: the EPUB is what this user's build makes"
    members = b"".join(epub_members(tmp_path / "out" / "t.epub").values())
    assert b"planted" not in members and b"PRIVATE KEY MATERIAL" not in members
    assert (secret / "id_rsa").read_bytes() == b"PRIVATE KEY MATERIAL" and len(list(secret.iterdir())) == 41


def test_a_chapter_in_a_hidden_folder_counts_and_an_output_folder_of_sources_is_refused(tmp_path):
    """Edits to `.drafts/02.md` left the build's key unchanged, so the old text was reused; `--out chapters`
    left the chapters out of the key the same way."""
    book = make_book(tmp_path)
    (book / ".drafts").mkdir()
    (book / ".drafts" / "02.md").write_text("# 草稿\n\n甲乙丙。\n", encoding="utf-8")
    (book / "book.toml").write_text(TOML.replace('"chapters/01.md"]', '"chapters/01.md", ".drafts/02.md"]'))
    assert run_folio("build", str(book), "--out", str(tmp_path / "a"), "--edition", "epub").returncode == 0
    (book / ".drafts" / "02.md").write_text("# 草稿\n\n丁戊己。\n", encoding="utf-8")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "a"), "--edition", "epub")
    assert proc.returncode == 0 and REUSED not in proc.stdout, proc.stdout
    assert "丁戊己" in epub_members(tmp_path / "a" / "t.epub")["EPUB/ch-02.xhtml"].decode()
    proc = run_folio("build", str(book), "--out", str(book / "chapters"), "--edition", "epub")
    assert proc.returncode == 2 and "error[OUT001]" in proc.stderr and "holds the book's sources" in proc.stderr


def test_a_source_saved_during_a_build_is_not_kept_under_the_key_of_the_sources_before(tmp_path, monkeypatch):
    """The key is taken from the sources as the build starts: a chapter saved while it ran was built in its
    new state and stored under the old key, so undoing the edit gave the edited text back."""
    from builder import build as building
    from builder.diagnostics import Reporter

    book = make_book(tmp_path)
    chapter = book / "chapters" / "01.md"
    original = chapter.read_text(encoding="utf-8")
    read_book = building.read_book

    def read_then_save(*args, **kwargs):
        read = read_book(*args, **kwargs)
        chapter.write_text(original.replace("第一句", "编辑过"), encoding="utf-8")  # the author saves meanwhile
        return read

    monkeypatch.setattr(building, "read_book", read_then_save)
    monkeypatch.chdir(tmp_path)
    building.build(book, tmp_path / "a", ("epub",), Reporter(stream=open(os.devnull, "w")))
    monkeypatch.setattr(building, "read_book", read_book)
    chapter.write_text(original, encoding="utf-8")  # the edit undone: back to the sources the build started from
    proc = run_folio("build", str(book), "--out", str(tmp_path / "b"), "--edition", "epub")
    assert proc.returncode == 0 and REUSED not in proc.stdout
    assert "第一句" in epub_members(tmp_path / "b" / "t.epub")["EPUB/ch-01.xhtml"].decode()


def test_an_svg_replaced_under_its_name_is_set_as_the_new_one_says(tmp_path):
    """A sized SVG replaced by a sizeless one (or back) under the same name: the cached chapter kept the old
    rendering, no `glyph` class, and the rebuilt PDF set the icon as wide as the text block (QA helper-31)."""
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    book = make_book(tmp_path)
    (book / "chapters" / "01.md").write_text("# Icon\n\nAn icon ![star](../images/icon.svg) in a sentence.\n")
    (book / "images").mkdir()
    svg = '<svg xmlns="http://www.w3.org/2000/svg"{} viewBox="0 0 10 10"><rect width="10" height="10"/></svg>'
    (book / "images" / "icon.svg").write_text(svg.format(' width="100" height="100"'))
    build_epub(book, tmp_path / "out", env)
    assert 'class="glyph"' not in epub_members(tmp_path / "out" / "t.epub")["EPUB/ch-01.xhtml"].decode()
    (book / "images" / "icon.svg").write_text(svg.format(""))
    incremental = build_epub(book, tmp_path / "out", env)
    assert 'class="glyph"' in epub_members(tmp_path / "out" / "t.epub")["EPUB/ch-01.xhtml"].decode()
    assert incremental == build_epub(copy_book(book, tmp_path / "cold"), tmp_path / "cold-out", env)


def test_a_folder_in_an_editions_place_fails_the_build_before_any_file_is_replaced(tmp_path):
    """An output name taken by a folder failed at its rename, after the EPUB had been replaced, and the message
    said the previous editions were unchanged (QA helper-31)."""
    book = make_book(tmp_path)
    out = tmp_path / "out"
    (out / "t.pdf" / "x").mkdir(parents=True)
    (out / "t.epub").write_text("OLD")
    proc = run_folio("build", str(book), "--out", str(out))
    assert proc.returncode == 2 and "error[OUT001]" in proc.stderr and "t.pdf is a folder" in proc.stderr
    assert (out / "t.epub").read_text() == "OLD" and sorted(p.name for p in out.iterdir()) == ["t.epub", "t.pdf"]


# Runs the command line with the parser counted: each chapter parsed is written to PARSED_LOG.
COUNTED = """\
import os, sys
import builder.chapters as chapters
parse = chapters._parse_source
def counted(config, source, reporter):
    with open(os.environ["PARSED_LOG"], "a", encoding="utf-8") as log:
        log.write(source.rel + "\\n")
    return parse(config, source, reporter)
chapters._parse_source = counted
from builder.cli import run
sys.argv[0] = "folio"
run()
"""


def build_counted(book, out, env, *editions):
    """A build through the real command line; returns it and the chapters it parsed, in order."""
    log = out.parent / "parsed.log"
    log.unlink(missing_ok=True)
    args = [arg for edition in editions for arg in ("--edition", edition)]
    result = subprocess.run([sys.executable, "-c", COUNTED, "build", str(book), "--out", str(out), *args],
                            env=dict(env, PARSED_LOG=str(log)), capture_output=True, text=True, timeout=600)
    return result, log.read_text(encoding="utf-8").split() if log.exists() else []


def test_an_edit_parses_only_its_chapter_yet_every_warning_and_link_check_holds(tmp_path):
    """The chapters' facts and findings are kept: a rebuild after an edit parses the edited chapter alone, says
    the others' warnings again, checks their links against the edited chapter, and writes what a build without
    any cache writes; a PDF built later from the same cache parses the others when it must render them."""
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    (book / "images").mkdir()
    (book / "images" / "dot.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
                                             '<rect width="10" height="10"/></svg>', encoding="utf-8")
    texts = {"01.md": "---\nlang: zh-Hans\n---\n# 一\n\n第一句,第二句。见[后文](03.md#later)。\n\n"
                      "![](../images/dot.svg)\n\n<font>旧</font>\n",
             "02.md": "# Two\n\nPlain text.\n",
             "03.md": "# Three\n\nIntro.\n\n## Later {#later}\n\nEnd.\n"}
    for name, text in texts.items():
        (book / "chapters" / name).write_text(text, encoding="utf-8")
    (book / "book.toml").write_text(TOML.replace('"chapters/01.md"', ", ".join(f'"chapters/{n}"' for n in texts)))
    rels = [f"chapters/{name}" for name in texts]
    first, parsed = build_counted(book, tmp_path / "out", env, "epub")
    assert first.returncode == 0 and parsed == rels, first.stderr
    for code in ("CJK001", "A11Y001", "HTM001"):
        assert f"01.md:6:" in first.stderr and f"warning[{code}]" in first.stderr, first.stderr

    edit = book / "chapters" / "02.md"
    edit.write_text(texts["02.md"] + "\nMore text.\n", encoding="utf-8")
    again, parsed = build_counted(book, tmp_path / "out", env, "epub")
    assert again.returncode == 0 and parsed == ["chapters/02.md"], again.stderr
    assert again.stderr == first.stderr, "the unchanged chapters' warnings are said again, in the same order"
    cold = copy_book(book, tmp_path / "cold")
    cold_run, parsed = build_counted(cold, tmp_path / "cold-out", env, "epub", "print")
    assert cold_run.returncode == 0 and parsed == rels, cold_run.stderr
    assert (tmp_path / "out" / "t.epub").read_bytes() == build_epub(cold, tmp_path / "cold-epub", env)

    later = book / "chapters" / "03.md"
    later.write_text(texts["03.md"].replace("{#later}", "{#after}"), encoding="utf-8")
    broken, parsed = build_counted(book, tmp_path / "out", env, "epub")
    assert broken.returncode == 1 and parsed == ["chapters/03.md"], broken.stderr
    assert "01.md:6:" in broken.stderr and "error[LNK002]: link to '#later'" in broken.stderr, broken.stderr
    later.write_text(texts["03.md"], encoding="utf-8")

    printed, parsed = build_counted(book, tmp_path / "out", env, "epub", "print")
    assert printed.returncode == 0, printed.stderr
    assert sorted(parsed) == rels, "the print edition renders every chapter: the cached ones are parsed for it"
    for name in ("t.epub", "t.pdf"):
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "cold-out" / name).read_bytes(), name


def test_links_fifos_and_lock_files_in_the_book_folder_are_never_opened_by_the_cache_key(tmp_path):
    """The build's cache key read every file below the book folder, following links: an editor's lock file (a
    dangling link, `.#01.md`) was an internal error, a FIFO hung the build, a link out of the book was read."""
    book = one_chapter_book(tmp_path / "book", "# One\n\nText.\n")
    (book / "chapters" / ".#01.md").symlink_to("root@host.1234:1700000000")
    (book / "loop").symlink_to(book / "loop")
    os.mkfifo(book / "notes.fifo")
    (tmp_path / "secret.txt").write_text("outside")
    (book / "secret").symlink_to(tmp_path / "secret.txt")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "epub")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "t.epub").is_file()
