"""Hostile and broken manuscripts: one small book per case, built in a temporary folder.

Each case asserts the exit code, the first diagnostic's code and location, that a failed build writes
no file, that a secret planted beside the book never reaches any output, and that no traceback shows.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image

from helpers import pdftotext, run_folio, xml

SECRET = "FOLIO-SECRET-7f3a9"
LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+)(?::(?P<col>\d+))?: "
                  r"(?P<sev>error|warning)\[(?P<code>[A-Z]+\d{3})\]: ")
TOML = '[book]\ntitle = "Hostile"\nauthors = ["Tester"]\nlanguage = "en"\nchapters = ["chapters/01.md"]\n'


def png(size=(8, 8), fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("1" if size[0] * size[1] > 1_000_000 else "RGB", size).save(out, fmt)
    return out.getvalue()


@dataclass
class Case:
    name: str
    chapter: str | bytes | None = None
    exit: int = 1
    code: str | None = None
    where: tuple | None = None  # (file name, line) or (file name, line, column)
    files: dict = field(default_factory=dict)  # extra files: str/bytes content, or ("link", target)
    toml: str = TOML
    args: tuple = ()


CASES = [
    Case("image outside the book", "# T\n\n![x](../../secret.png)\n", 1, "IMG001", ("01.md", 3, 1)),
    Case("image through a symlink out of the book", "# T\n\n![x](../images/pic.png)\n", 1, "IMG001",
         ("01.md", 3), {"images/pic.png": ("link", "../../secret.png")}),
    Case("absolute image path", "# T\n\n![x](/etc/hostname.png)\n", 1, "IMG001", ("01.md", 3)),
    Case("file URL image", "# T\n\n![x](file:///etc/hostname)\n", 1, "IMG001", ("01.md", 3)),
    Case("remote image without --allow-remote", "# T\n\n![x](http://example.com/a.png)\n", 1, "IMG001",
         ("01.md", 3)),
    Case("remote image on loopback", "# T\n\n![x](http://127.0.0.1:9/a.png)\n", 1, "IMG001", ("01.md", 3),
         args=("--allow-remote",)),
    Case("remote image on a link-local metadata address", "# T\n\ntext\n\n![x](http://169.254.169.254/a.png)\n",
         1, "IMG001", ("01.md", 5), args=("--allow-remote",)),
    Case("link to a file outside the book", "# T\n\nSee [it](../../secret.txt).\n", 1, "LNK001", ("01.md", 3, 5)),
    Case("javascript link", "# T\n\nSee [it](javascript:alert(1)).\n", 1, "LNK001", ("01.md", 3, 5)),
    Case("chapter outside the book", None, 2, "CFG005", ("book.toml", 5),
         toml=TOML.replace("chapters/01.md", "../secret.md")),
    Case("chapter symlinked out of the book", None, 2, "CFG005", ("book.toml", 5),
         {"chapters/01.md": ("link", "../../secret.md")}),
    Case("raw HTML script, frame, form and handlers are removed", "# T\n\n<script>alert(1)</script>\n\n"
         "<iframe src=\"../../secret.txt\"></iframe>\n\nText <b onclick=\"x()\">b</b> "
         "<img src=\"../../secret.png\">\n\n<form><input></form>\n", 0, "HTM001", ("01.md", 3, 1)),
    Case("meta refresh and link rel=attachment", "# T\n\n<meta http-equiv=\"refresh\" content=\"0;url=x\">\n\n"
         "<link rel=\"attachment\" href=\"../../secret.txt\">\n", 0, "HTM001", ("01.md", 3)),
    Case("SVG with script and external image is cleaned", "# T\n\n![s](../images/s.svg)\n", 0, "HTM001",
         ("01.md", 3), {"images/s.svg": '<svg xmlns="http://www.w3.org/2000/svg" '
                        'xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10"><script>alert(1)'
                        '</script><image xlink:href="../../secret.png" width="5" height="5"/>'
                        '<rect width="10" height="10" onload="x()"/></svg>'}),
    Case("SVG with an external entity", "# T\n\n![s](../images/x.svg)\n", 1, "IMG002", ("01.md", 3),
         {"images/x.svg": '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY s SYSTEM "../../secret.txt">]>'
                          '<svg xmlns="http://www.w3.org/2000/svg"><text>&s;</text></svg>'}),
    Case("corrupt PNG", "# T\n\n![p](../images/bad.png)\n", 1, "IMG002", ("01.md", 3),
         {"images/bad.png": b"\x89PNG\r\n\x1a\n" + b"garbage" * 20}),
    Case("PNG named .jpg", "# T\n\n![p](../images/p.jpg)\n", 1, "IMG002", ("01.md", 3), {"images/p.jpg": png()}),
    Case("image huge in pixels", "# T\n\n![p](../images/huge.png)\n", 1, "IMG002", ("01.md", 3),
         {"images/huge.png": png((9000, 5000))}),
    Case("invalid UTF-8", b"# T\n\nok\n\nbad \xff byte\n", 1, "SRC001", ("01.md", 5)),
    Case("NUL character", "# T\n\nnul \x00 here\n", 1, "SRC005", ("01.md", 3, 5)),
    Case("empty chapter", "\n  \n", 1, "SRC006", ("01.md", 1)),
    Case("chapter without a title", "just text\n", 1, "SRC004", ("01.md", 1)),
    Case("YAML Python tag", "---\ntitle: !!python/object/apply:os.system [\"echo pwned\"]\n---\ntext\n", 1,
         "SRC002", ("01.md", None)),
    Case("YAML alias bomb", "---\na: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\ntitle: T\n---\ntext\n",
         1, "SRC002", ("01.md", 1)),
    Case("front matter key given twice", "---\ntitle: A\nlang: en\ntitle: B\n---\ntext\n", 1, "SRC002",
         ("01.md", 4, 1)),
    Case("front matter title that YAML reads as a number", "---\ntitle: 1984\n---\ntext\n", 1, "SRC003",
         ("01.md", 2, 1)),
    Case("front matter never closed", "---\ntitle: T\nlang: ja\n\n# T\n\ntext\n", 1, "SRC002", ("01.md", 1)),
    Case("nesting too deep to parse", "# T\n\n" + "> " * 60 + "deep\n\nlost?\n", 1, "SRC007", ("01.md", 3)),
    Case("raw HTML nested too deep to lay out", "# T\n\nText " + "<span>" * 1000 + "deep" + "</span>" * 1000 + "\n",
         1, "HTM002", ("01.md", 3, 246)),
    Case("table row with a cell beyond its header", "# T\n\n| a |\n|---|\n| b | lost? |\n", 1, "SRC010", ("01.md", 5)),
    Case("heading with no text", "# T\n\ntext\n\n## <td>\n", 0, "SRC009", ("01.md", 5)),
    Case("duplicate explicit ids", "# T\n\n## A {#x}\n\n## B {#x}\n", 1, "ID001", ("01.md", 5)),
    Case("cover outside the book", "# T\n", 2, "CFG005", ("book.toml", 6),
         toml=TOML + 'cover = "../secret.png"\n'),
    Case("cover that is not an image", "# T\n", 2, "CFG004", ("book.toml", 6), {"images/c.png": "not a png"},
         toml=TOML + 'cover = "images/c.png"\n'),
    Case("config value of the wrong type", "# T\n", 2, "CFG004", ("book.toml", 3, 1),
         toml=TOML.replace('authors = ["Tester"]', 'authors = "Tester"')),
]


def make_book(tmp: Path, case: Case) -> Path:
    """Lay out the book, the secret files beside it, and the case's files and symlinks."""
    for name in ("secret.png", "secret.txt", "secret.md"):
        (tmp / name).write_text(f"# {SECRET}\n\n{SECRET}\n")
    book = tmp / "book"
    (book / "chapters").mkdir(parents=True)
    (book / "images").mkdir()
    (book / "book.toml").write_text(case.toml)
    if case.chapter is not None:
        data = case.chapter.encode() if isinstance(case.chapter, str) else case.chapter
        (book / "chapters" / "01.md").write_bytes(data)
    for rel, content in case.files.items():
        path = book / rel
        if isinstance(content, tuple):
            path.unlink(missing_ok=True)
            path.symlink_to(content[1])
        else:
            path.write_bytes(content.encode() if isinstance(content, str) else content)
    return book


def outputs_text(out: Path) -> str:
    """Everything a reader could get out of the outputs: zip members, PDF bytes and PDF text."""
    parts = []
    for path in out.iterdir():
        data = path.read_bytes()
        parts.append(data.decode("latin-1"))
        if path.suffix == ".epub":
            with zipfile.ZipFile(path) as zf:
                parts += [zf.read(n).decode("utf-8", "replace") for n in zf.namelist()]
        if path.suffix == ".pdf":
            parts.append(pdftotext(path))
    return "\n".join(parts)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_case(case, tmp_path):
    book = make_book(tmp_path, case)
    out = tmp_path / "out"
    proc = run_folio("build", str(book), "--out", str(out), *case.args)
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr
    assert proc.returncode == case.exit, proc.stderr
    diags = [m.groupdict() for m in map(LINE.match, proc.stderr.splitlines()) if m]
    if case.code:
        first = next((d for d in diags if d["code"] == case.code), None)
        assert first, proc.stderr
        name, line, *col = case.where
        assert first["path"].endswith(name), first
        if line is not None:
            assert first["line"] == str(line), proc.stderr
        if col:
            assert first["col"] == str(col[0]), proc.stderr
    produced = list(out.iterdir()) if out.exists() else []
    if case.exit:
        assert not produced, f"failed build left {produced}"
    else:
        assert len(produced) == 2
        assert SECRET not in outputs_text(out)
        _assert_sanitised(out)


def _assert_sanitised(out: Path) -> None:
    """No script, handler, frame, form or javascript: URL in any EPUB document or SVG."""
    with zipfile.ZipFile(next(out.glob("*.epub"))) as zf:
        for name in zf.namelist():
            if name.endswith((".xhtml", ".svg")):
                root = xml(zf.read(name))
                assert not root.xpath("//*[local-name()='script' or local-name()='iframe' or "
                                      "local-name()='form' or local-name()='meta' and @http-equiv]"), name
                assert not root.xpath("//@*[starts-with(local-name(), 'on')]"), name
                assert "javascript:" not in zf.read(name).decode(), name


def test_metadata_is_escaped_everywhere(tmp_path):
    title = "Evil <script>alert('t')</script> & \"Co\" ]]>"
    toml = TOML.replace('title = "Hostile"', f"title = '''{title}'''").replace(
        'authors = ["Tester"]', "authors = ['Mallory </dc:creator><x>']")
    book = make_book(tmp_path, Case("meta", "# {{ 7 * 7 }} {% raw %}\n\nCafe\u0301 {{ config.title }}\n",
                                    toml=toml))
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    epub = next((tmp_path / "out").glob("*.epub"))
    with zipfile.ZipFile(epub) as zf:
        for name in zf.namelist():
            if name.endswith((".xhtml", ".opf", ".ncx")):
                root = xml(zf.read(name))  # parses: nothing broke out of its element
                assert not root.xpath("//*[local-name()='script' or local-name()='x']"), name
        opf = xml(zf.read("EPUB/content.opf"))
        assert opf.xpath("//*[local-name()='title']/text()") == [title]
        chapter = zf.read("EPUB/ch-01.xhtml").decode()
    assert "{{ 7 * 7 }}" in chapter and ">49<" not in chapter, "author text must never be a template"
    assert "Cafe\u0301" in chapter, "NFD text is kept as written"
    assert "Cafe\u0301" not in re.findall(r'id="([^"]*)"', chapter)
    assert all(i.isascii() for i in re.findall(r'id="([^"]*)"', chapter))
    info = pdftotext(next((tmp_path / "out").glob("*.pdf")), 1)
    assert info is not None


def test_author_cover_replaces_the_generated_one(tmp_path):
    book = make_book(tmp_path, Case("cover", "# T\n\ntext\n", files={"images/front.jpg": png((60, 90), "JPEG")},
                                    toml=TOML + 'cover = "images/front.jpg"\n'))
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "epub")
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(tmp_path / "out" / "hostile.epub") as zf:
        assert zf.read("EPUB/images/cover.jpg") == (book / "images" / "front.jpg").read_bytes()
        assert xml(zf.read("EPUB/cover.xhtml")).xpath("//*[local-name()='img']/@src") == ["images/cover.jpg"]


def test_bom_crlf_and_mixed_line_endings_are_accepted(tmp_path):
    text = "\ufeff# Title\r\n\r\nFirst line\rsecond line\nthird.\r\n\r\n## Part {#part}\r\n\r\nEnd.\r\n"
    book = make_book(tmp_path, Case("bom", text.encode("utf-8")))
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(next((tmp_path / "out").glob("*.epub"))) as zf:
        chapter = zf.read("EPUB/ch-01.xhtml").decode()
    assert "\ufeff" not in chapter and "\r" not in chapter and 'id="part"' in chapter


def test_unwritable_output_folder_is_reported_before_rendering(tmp_path):
    book = make_book(tmp_path, Case("out", "# T\n\ntext\n"))
    (tmp_path / "afile").write_text("not a folder")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "afile" / "dist"))
    assert proc.returncode == 2 and "OUT001" in proc.stderr and "Traceback" not in proc.stderr


def test_a_second_build_into_a_locked_folder_is_refused(tmp_path):
    import fcntl

    book = make_book(tmp_path, Case("lock", "# T\n\ntext\n"))
    out = tmp_path / "out"
    out.mkdir()
    fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        proc = run_folio("build", str(book), "--out", str(out))
    finally:
        os.close(fd)
    assert proc.returncode == 2 and "another folio build" in proc.stderr
    assert not list(out.iterdir())
