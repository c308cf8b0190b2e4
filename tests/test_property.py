"""Property: whatever Markdown an author writes, Folio either builds an EPUB that is well-formed XHTML and
passes EPUBCheck, or stops with located diagnostics and exit 1; never a traceback or an internal error."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from helpers import epubcheck, run_folio, xml

ALPHABET = st.one_of(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),          # ASCII, Markdown syntax included
    st.sampled_from("éüßçøåñ—–…“”‘’«»·°±×÷€£¥©®™§¶†‡"),
    st.sampled_from("中文字符汉语测试，。、；：？！「」『』（）《》〈〉"),
    st.sampled_from("日本語のテキストかなカナ"),
    st.sampled_from("🧊🐉❄🕵👩👧🇫🇷"),
    st.sampled_from("\u0301\u0308\u200d\ufe0f\u00a0\u2028\t"),
)
WORDS = st.text(ALPHABET, min_size=1, max_size=40) | st.sampled_from(["❄️", "🕵️", "👩‍👩‍👧", "🇫🇷"])
RAW_HTML = st.sampled_from([
    "<script>alert(1)</script>", "<b onclick=\"x()\">b</b>", "<a href=\"javascript:alert(1)\">j</a>",
    "<iframe src=\"x\"></iframe>", "<span class=\"x\">s</span>", "<div>", "</div>", "<p>", "<br>", "<td>",
    "<img src=\"nowhere.png\">", "<!-- c -->", "<![CDATA[x]]>", "<?php x ?>", "&nbsp;&amp;&#0;&#xD800;",
    "<math><mi>x</mi></math>", "<svg onload=\"x()\"></svg>", "<table><tr><td>t</td></tr></table>",
])
INLINE = st.one_of(WORDS, WORDS.map(lambda w: f"*{w}*"), WORDS.map(lambda w: f"**{w}**"),
                   WORDS.map(lambda w: f"`{w}`"), WORDS.map(lambda w: f"[{w}](#sec-1-1)"),
                   WORDS.map(lambda w: f"[{w}](https://example.com/{w})"), RAW_HTML)
LINE = st.lists(INLINE, min_size=1, max_size=6).map(" ".join)
BLOCK = st.one_of(
    LINE, LINE.map(lambda t: "## " + t), LINE.map(lambda t: "### " + t), LINE.map(lambda t: "> " + t),
    st.lists(LINE, min_size=1, max_size=4).map(lambda items: "\n".join("- " + i for i in items)),
    st.lists(LINE, min_size=1, max_size=3).map(lambda items: "\n".join(f"{n}. {i}" for n, i in enumerate(items, 1))),
    LINE.map(lambda t: "```\n" + t + "\n```"), LINE.map(lambda t: f"| a | b |\n|---|---|\n| {t} | x |"),
    LINE.map(lambda t: t + "[^n]\n\n[^n]: " + t), RAW_HTML,
)
CHAPTER = st.tuples(LINE, st.lists(BLOCK, max_size=8)).map(
    lambda tb: "# " + tb[0] + "\n\n" + "\n\n".join(tb[1]) + "\n")
# CI runs a dozen fresh examples each time; `FOLIO_PROPERTY_EXAMPLES=500` searches harder on demand.
EXAMPLES = int(os.environ.get("FOLIO_PROPERTY_EXAMPLES", "12"))
DIAG = re.compile(r"^[^:]+:\d+(?::\d+)?: (error|warning)\[[A-Z]+\d{3}\]: .+$|^folio: ")  # the column when known


@pytest.mark.usefixtures("java")
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(chapters=st.lists(CHAPTER, min_size=1, max_size=2))
@example(chapters=["# T\n\n## <td>\n\n## \n\n### <br>\n"])  # found by CI: headings with no text
# Found by a QA pass: each built with no error and gave an EPUB that EPUBCheck failed.
@example(chapters=["# T\n\nsuper<wbr>long *word* and<wbr/>more, <span lang=\"zh_CN\">x</span>, "
                   "<span epub:type=\"z3998:roman\">XIV</span>, <span role=\"bogus\">r</span>, "
                   "<a href=\"http://example.com/a b\">space</a>, <ruby>東</ruby>, <ruby>東<rtc>e</rtc></ruby>\n"])
def test_any_markdown_builds_a_valid_epub_or_fails_cleanly(chapters):
    work = Path(tempfile.mkdtemp(prefix="folio-prop-"))
    try:
        book = work / "book"
        (book / "chapters").mkdir(parents=True)
        names = []
        for n, text in enumerate(chapters, start=1):
            (book / "chapters" / f"{n:02d}.md").write_text(text, encoding="utf-8")
            names.append(f'"chapters/{n:02d}.md"')
        (book / "book.toml").write_text('[book]\ntitle = "Property"\nauthors = ["Hypothesis"]\n'
                                        f'language = "en"\nchapters = [{", ".join(names)}]\n')
        proc = run_folio("build", str(book), "--out", str(work / "out"), "--edition", "epub")
        assert "Traceback" not in proc.stderr and proc.returncode in (0, 1), proc.stderr
        assert all(DIAG.match(line) for line in proc.stderr.splitlines()), proc.stderr
        if proc.returncode == 1:
            assert not (work / "out").exists() or not any((work / "out").iterdir())
            return
        epub = work / "out" / "property.epub"
        with zipfile.ZipFile(epub) as zf:
            for name in zf.namelist():
                if name.endswith(".xhtml"):
                    xml(zf.read(name))
        code, report = epubcheck(epub, work / "report.json")
        messages = [f"{m['ID']}: {m['message']}" for m in report.get("messages", [])]
        assert code == 0 and not messages, messages
    finally:
        shutil.rmtree(work, ignore_errors=True)
