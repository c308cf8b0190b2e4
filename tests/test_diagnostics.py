"""Diagnostics carry the column where it is known, and misspelt keys, options, commands and editions get a
"did you mean"."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

from helpers import run_folio

LOCATED = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+)(?::(?P<col>\d+))?: (?P<sev>error|warning)"
                     r"\[(?P<code>[A-Z0-9]+)\]: (?P<msg>.+)$", re.MULTILINE)
TOML = '[book]\ntitle = "T"\nauthors = ["A"]\nlanguage = "{lang}"\nchapters = ["chapters/01.md"]\n'
# Links and images where an author puts them: mid-paragraph, on a paragraph's second line, in a quote, a list
# and a heading; a code span that looks like a link; the same cell twice in a table row.
LINKS = """# Links [here](gone-1.md)

A paragraph whose first line is fine,
and whose second has [a broken link](gone-2.md) and `[not a link](gone-3.md)`.

> Quoted: ![a picture](missing.png)

- one
- two with [a link](#nowhere)

| a | b |
|---|---|
| [x](gone-4.md) | [x](gone-4.md) |

Text <script>alert(1)</script> and <b onclick="x()">bold</b>.
"""


def make_book(tmp: Path, chapter: str, lang: str = "en", toml: str | None = None) -> Path:
    book = tmp / "book"
    (book / "chapters").mkdir(parents=True)
    (book / "chapters" / "01.md").write_text(chapter, encoding="utf-8")
    (book / "book.toml").write_text(toml or TOML.format(lang=lang), encoding="utf-8")
    return book


def located(stderr: str) -> list[tuple[str, int, int | None]]:
    return [(m["code"], int(m["line"]), int(m["col"]) if m["col"] else None) for m in LOCATED.finditer(stderr)]


def test_toml_syntax_error_and_unknown_key_have_line_and_column(tmp_path):
    book = make_book(tmp_path, "# T\n", toml=TOML.format(lang="en").replace('title = "T"', 'title = "T'))
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert located(proc.stderr) == [("CFG001", 2, 11)], proc.stderr  # the line break that ends the string
    (book / "book.toml").write_text(TOML.format(lang="en") + '[print]\n   trimm = "6in x 9in"\n')
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert located(proc.stderr) == [("CFG002", 7, 4)], proc.stderr
    assert "unknown key 'trimm' in [print]; did you mean 'trim'?" in proc.stderr


def test_links_images_and_raw_html_are_reported_at_their_column(tmp_path):
    book = make_book(tmp_path, LINKS)
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    found = located(proc.stderr)
    assert ("LNK001", 1, 9) in found, proc.stderr  # in a heading
    assert ("LNK001", 4, 22) in found, proc.stderr  # the paragraph starts on line 3; the link is on line 4
    assert ("IMG001", 6, 11) in found, proc.stderr  # after the `> ` of the quote
    assert ("LNK002", 9, 12) in found, proc.stderr  # after the `- ` of the list item
    assert ("LNK001", 13, None) in found, proc.stderr  # the same text twice on the line: no column is guessed
    assert ("HTM001", 15, 6) in found and ("HTM001", 15, 36) in found, proc.stderr
    assert "gone-3.md" not in proc.stderr, "a code span is not a link"


def test_half_width_punctuation_is_reported_at_the_column_of_the_character(tmp_path):
    book = make_book(tmp_path, "# 标题\n\n> 引文里的第一句,第二句:问题?\n\n**标签**:内容\n\n他说:\"你好,世界!\"然后...走了,好\n",
                     lang="zh-Hans")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--strict")  # stops before layout
    assert proc.returncode == 1
    cjk = [d for d in located(proc.stderr) if d[0] == "CJK001"]
    # The first mark of each line; the last line's text was typeset (curly quotes, …): it had no column.
    assert cjk == [("CJK001", 3, 10), ("CJK001", 5, 7), ("CJK001", 7, 7)], proc.stderr


def test_front_matter_errors_have_columns_and_suggestions(tmp_path):
    book = make_book(tmp_path, "---\nlang: en\ntitel: One\n---\ntext\n")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 1
    assert ("SRC003", 3, 1) in located(proc.stderr), proc.stderr
    assert "unknown front matter key 'titel'; did you mean 'title'?" in proc.stderr
    (book / "chapters" / "01.md").write_text("---\ntitle: One\nlang: [en\n---\ntext\n")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 1
    # PyYAML's mark: the end of the front matter, where the `]` was still expected.
    assert [d for d in located(proc.stderr) if d[0] == "SRC002"] == [("SRC002", 3, 10)], proc.stderr


def test_misspelt_option_and_command_get_a_suggestion_and_exit_2():
    proc = run_folio("build", "book", "--stirct")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[-1] == "folio: error: unknown option --stirct; did you mean --strict?"
    proc = run_folio("check", "x.epub", "--profle=kdp")
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == "folio: error: unknown option --profle; did you mean --profile?"
    proc = run_folio("biuld", "book")
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == "folio: error: unknown command biuld; did you mean build?"
    proc = run_folio("frobnicate")
    assert proc.returncode == 2 and "unknown command frobnicate; expected one of: build, check" in proc.stderr
    proc = run_folio("cover", "book", "--profile", "ingam")
    assert proc.returncode == 2 and proc.stderr.splitlines()[-1] == (
        "folio cover: error: argument --profile: invalid choice 'ingam'; did you mean ingram? "
        "(choose from kdp, ingram, press)")


def test_misspelt_edition_gets_a_suggestion(tmp_path):
    book = make_book(tmp_path, "# T\n")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "epbu")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "error[CFG002]: unknown edition 'epbu'; did you mean 'epub'? this book has: epub, print" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_cache_replays_columns_and_reads_records_without_them(tmp_path):
    from builder.cache import replay
    from builder.config import load_config
    from builder.diagnostics import Reporter

    book = make_book(tmp_path, "# 标题\n\n第一句,第二句\n", lang="zh-Hans")
    first = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "epub")
    again = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "epub")
    assert first.returncode == again.returncode == 0, first.stderr + again.stderr
    assert "01.md:3:4: warning[CJK001]" in first.stderr and "nothing changed" in again.stdout
    assert [line for line in again.stderr.splitlines() if "CJK001" in line] == \
        [line for line in first.stderr.splitlines() if "CJK001" in line]
    from builder.cachefiles import read_entry, write_entry

    config = load_config(book)
    entry = next((book / ".folio-cache" / "builds").iterdir())
    record = json.loads(read_entry(entry, "record.json"))
    record["warnings"] = [w[:4] for w in record["warnings"]]  # a record this user's older Folio wrote
    write_entry(entry, "record.json", json.dumps(record).encode("utf-8"))
    reporter = Reporter(stream=io.StringIO())
    assert replay(config, list(config.editions[:1]), read_entry(entry, "key").decode(), reporter) is not None
    assert [(d.code, d.line, d.col) for d in reporter.items] == [("CJK001", 3, None)]


def test_a_column_after_ruby_is_not_thrown_off_by_its_generated_brackets(tmp_path):
    """Ruby adds "(" and ")" text (for readers without ruby) that the source does not have: a later "(" in the
    line must not be taken for them."""
    book = make_book(tmp_path, "# 标题\n\n{北京|Běijīng}是首都,也是城市(注)。\n", lang="zh-Hans")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--strict")  # stops before layout
    assert proc.returncode == 1
    assert [d for d in located(proc.stderr) if d[0] == "CJK001"] == [("CJK001", 3, 16)], proc.stderr


def test_a_character_no_font_has_is_reported_at_its_column(tmp_path):
    book = make_book(tmp_path, "# Title\n\nFirst line\nthen a hieroglyph \U00013000 here.\n")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--strict")  # stops before layout
    assert proc.returncode == 1
    assert [d for d in located(proc.stderr) if d[0] == "FNT001"] == [("FNT001", 4, 19)], proc.stderr
    book = make_book(tmp_path / "pua", "# Title\n\nFirst line\nthen a private-use \ue000 here.\n")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "print")
    assert proc.returncode == 0, proc.stderr  # the engine's own word on it points at the chapter too
    engine = [line for line in proc.stderr.splitlines() if "PDF001" in line]
    assert engine and all(line.startswith(f"{book / 'chapters' / '01.md'}:4: warning[PDF001]") for line in engine), \
        proc.stderr


# Raw HTML as authors write it: a box around Markdown blocks, void and self-closed elements, optional end tags,
# a comment; then an element left open in a heading and in a paragraph, one closed out of order, a stray end
# tag and a `<div/>`, which HTML reads as an opening tag.
RAW_HTML = """# T

<div class="note">

A box whose end is in a later block:

</div>

<!-- <div> in a comment opens nothing -->

Text with <em>emphasis</em>, a <span>span<br/>with a break</span> and </span> a stray end.

## A <sup>heading</sup> with <sub>an open element

Text with an <em>unclosed emphasis. And a footnote.[^1]

<section><p>Optional end tags<ul><li>one<li>two</ul></section>

<aside>Closed <b>out of order</aside></b>

<div id="x"/>

[^1]: The note, which an open element would take in.
"""


def test_raw_html_left_open_or_closed_out_of_order_stops_the_build_at_its_tag(tmp_path):
    """An element left open takes in all that follows (the footnotes too: the note's id was lost, and EPUBCheck
    failed the book built with no warning); a stray end tag is only ignored."""
    book = make_book(tmp_path, RAW_HTML)
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert sorted(located(proc.stderr)) == [("HTM002", 13, 30), ("HTM002", 15, 14), ("HTM002", 19, 15),
                                            ("HTM002", 21, 1), ("HTM003", 11, 71), ("HTM003", 19, 38)], proc.stderr
    assert "<sub> is never closed in its heading" in proc.stderr
    assert "<b> is still open at </aside> on line 19" in proc.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    closed = RAW_HTML.replace("open element\n", "open element</sub>\n").replace("emphasis. And", "emphasis</em>. And")
    closed = closed.replace("order</aside></b>", "order</b></aside>").replace('<div id="x"/>', '<div id="x"></div>')
    make_book(tmp_path / "fixed", closed.replace("</span> a stray end", "no stray end"))
    proc = run_folio("build", str(tmp_path / "fixed" / "book"), "--out", str(tmp_path / "out"), "--strict",
                     "--edition", "epub")
    assert proc.returncode == 0, proc.stderr


# Ids an author gives blocks, spans and raw HTML: each must be unique (in its chapter too), a valid name, and not
# one of those Folio gives footnotes. Each case built before, and EPUBCheck then failed the book.
IDS = """# T

[a]{#y} and [b]{#y}

{#para}
One paragraph.

<span id="para">again</span> <span id="">empty</span> <span id="has space">s</span>

{#fn-ch-1-1}
A paragraph with a note.[^x]

<span data-id="1">a data attribute is no id</span>

[^x]: The note.

## Notes {#fnref-ch-1-1}
"""


def test_ids_on_blocks_spans_and_raw_html_are_unique_valid_and_not_folios_own(tmp_path):
    book = make_book(tmp_path, IDS)
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "epub")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert sorted(located(proc.stderr)) == [("HTM001", 13, 1), ("ID001", 3, None), ("ID001", 8, None),
                                            ("ID001", 8, None), ("ID001", 8, None), ("ID001", 11, None),
                                            ("ID001", 17, None)], proc.stderr
    assert "duplicate id 'y'" in proc.stderr and "duplicate id 'para' (also at chapters/01.md:6)" in proc.stderr
    assert "empty id" in proc.stderr and "id 'has space' must start" in proc.stderr
    assert "id 'fn-ch-1-1' is the kind Folio gives footnotes" in proc.stderr
    assert "id 'fnref-ch-1-1' is the kind Folio gives footnotes" in proc.stderr  # on a heading too


def test_a_raw_html_link_to_an_id_its_chapter_lacks_is_a_located_error(tmp_path):
    """A raw `<a href="#id">` (inline, in a block, in a table) is checked like a Markdown link: before, the
    build passed and EPUBCheck failed the book (RSC-012)."""
    chapter = ("# T {#top}\n\nBack to <a href=\"#top\">the top</a> or <a href=\"#nowhere\">nowhere</a>.\n\n"
               "<table><tr><td><a href=\"#gone\">x</a></td></tr></table>\n")
    book = make_book(tmp_path, chapter)
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "epub")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert sorted(located(proc.stderr)) == [("LNK002", 3, 39), ("LNK002", 5, 16)], proc.stderr
    assert "link to '#nowhere', which no heading or element in chapters/01.md carries" in proc.stderr


TABLE = """# T

| {漢字|かんじ} | b |
|---|---|
| {東京|とう|きょう} | two |
| a \\| b | one \\| more | three |

> | q | r |
> |---|---|
> | s | t | u |

| x | y |
|---|---|
| 1 | 2 | |
"""


def test_a_ruby_keeps_its_table_cell_and_a_cell_beyond_the_header_is_an_error(tmp_path):
    """GFM splits a row on every `|` before inline rules run: a ruby in a cell was cut in two and the row's
    cells shifted, and cells beyond the header's were dropped with their text, with no word to the author."""
    book = make_book(tmp_path, TABLE, lang="ja")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "epub")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert sorted(located(proc.stderr)) == [("SRC010", 6, None), ("SRC010", 10, None)], proc.stderr
    assert "this table row has 3 cells and its header 2: the last 1 would be dropped" in proc.stderr
    fixed = TABLE.replace(" | three |", " three |").replace("| t | u |", "| t u |")
    book = make_book(tmp_path / "fixed", fixed, lang="ja")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "epub", "--strict")
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(tmp_path / "out" / "t.epub") as epub:
        body = epub.read("EPUB/ch-01.xhtml").decode()
    assert "<th><ruby>漢字<rp>(</rp><rt>かんじ</rt>" in body
    assert "<td><ruby>東<rp>(</rp><rt>とう</rt><rp>)</rp></ruby><ruby>京<rp>(</rp><rt>きょう</rt>" in body
    assert "<td>two</td>" in body and "<td>a | b</td>" in body and "<td>one | more three</td>" in body
    assert "<td>t u</td>" in body and "<td>2</td>" in body


NOTES = """# T

Text[^a] and [^nope] and [^Note].

```
[^x]: a definition in code is code
```

[^a]: Used.
[^unused]: Never called: markdown-it drops it, text and all.
[^note]: Lower case.
[^a]: Defined again.
"""


def test_footnotes_never_called_never_defined_or_defined_twice_are_located_warnings(tmp_path):
    """Each built with no word: an unused note's text left the book, a call with no note stayed `[^nope]`."""
    book = make_book(tmp_path, NOTES)
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "epub")
    assert proc.returncode == 0, proc.stderr
    assert sorted(located(proc.stderr)) == [("SRC011", 3, 14), ("SRC011", 3, 26), ("SRC011", 10, None),
                                            ("SRC011", 11, None), ("SRC011", 12, None)], proc.stderr
    assert "footnote [^unused] is never called: it is left out of the book" in proc.stderr
    assert "footnote [^a] is defined twice (also on line 9)" in proc.stderr
    assert "footnote [^Note] is called but never defined (did you mean [^note]?)" in proc.stderr
    proc = run_folio("build", str(book), "--out", str(tmp_path / "strict"), "--edition", "epub", "--strict")
    assert proc.returncode == 1


def test_an_escaped_pipe_between_braces_in_a_table_cell_loses_its_backslash():
    """Escaped once more for the ruby rule, `\\|` between braces kept its backslash in the cell."""
    from builder.markdown import parse_markdown, render_tokens

    text = "| a | b |\n|---|---|\n| `match x { A \\| B }` | {漢字\\|かんじ} |\n| `{x\\|y}` | `{漢字|かんじ}` |\n"
    html = render_tokens(parse_markdown(text, "en").tokens, lambda t: "", lambda t: "", "t", "epub")
    assert "<td><code>match x { A | B }</code></td>" in html and "<td><code>{x|y}</code></td>" in html, html
    assert "<td><ruby>漢字<rp>(</rp><rt>かんじ</rt><rp>)</rp></ruby></td>" in html, html
    assert "<td><code>{漢字|かんじ}</code></td>" in html, html


def test_a_ruby_whose_readings_do_not_match_its_characters_is_a_located_warning(tmp_path):
    """`{東京都|とう|きょう}` (two readings, three characters) was printed as typed, braces and bars, with no word.
    Code and a base of ASCII letters stay quiet."""
    book = make_book(tmp_path, "# 章\n\n東京に住む。{東京都|とう|きょう}に住む。\n\n{漢字|か|ん|じ}、`{漢字|か|ん|じ}`、{ab|c|d|e}。\n")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "epub")
    assert proc.returncode == 0, proc.stderr
    assert sorted(located(proc.stderr)) == [("SRC012", 3, 7), ("SRC012", 5, 1)], proc.stderr
    assert "ruby {東京都|とう|きょう} has 2 readings for 3 characters" in proc.stderr


def test_a_character_no_font_has_in_a_raw_html_table_is_reported(tmp_path):
    """Raw HTML blocks (and an imported chapter's tables) were not read for font coverage: Hebrew in a table
    cell (before the fallback faces drew it) had no warning, no glyph in the EPUB, and an unconfigured system
    face in the PDF."""
    book = make_book(tmp_path, "# One\n\n<table><tr><td>&#x13000;\U00013001\U00013002\U00013003</td><td>Signs.</td>"
                               "</tr></table>\n")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "epub")
    assert proc.returncode == 0, proc.stderr
    assert [d for d in located(proc.stderr) if d[0] == "FNT001"] == [("FNT001", 3, None)] * 4, proc.stderr
    assert "(U+13000 EGYPTIAN HIEROGLYPH A001)" in proc.stderr  # written as a character reference
