"""Plain-text chapters are parsed with only the block rules the plain-text reader writes (for speed): the
tokens must be exactly those of the full Markdown parser, for any text and for the real corpora."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from builder.markdown import parse_markdown
from builder.plaintext import to_markdown
from helpers import ROOT

CORPORA = ROOT.parent / "shared" / "corpora"
# Every Markdown block marker, at the start of a line or alone on it, among plain words and Aozora notation.
MARKERS = ["- ", "* ", "+ ", "1. ", "1) ", "# ", "### ", "> ", "    ", "\t", "```", "~~~", "---", "***", "___",
           "===", "| a | b |", "|---|---|", "<div>", "<!-- x -->", "[a]: /u", "[^1]: n", "{lang=ja}", "{#x}",
           ":::", "\\", "　　　　", "        ", "｜漢字《かんじ》", "漢字《かんじ》", "［＃「字」に傍点］",
           "［＃「見出し」は中見出し］", "［＃ここから２字下げ］", "［＃ここで字下げ終わり］", "［＃「2」は下付き小文字］"]
WORD = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.sampled_from("字見出し西遊記「」。，　"),
               max_size=12)
LINE = st.lists(st.sampled_from(MARKERS) | WORD, max_size=4).map("".join)
TEXT = st.lists(LINE, min_size=1, max_size=12).map("\n".join)


def tokens(text: str, plain: bool) -> list[dict]:
    return [tok.as_dict() for tok in parse_markdown(to_markdown(text).text, "zh-Hant", plain=plain).tokens]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
@example("Title\n\nline one\n===\n- item\n1. item\n> quote\n    code\n```\nfence\n```\n| a | b |\n|---|---|")
@example("題\n\n｜漢字《かんじ》［＃「字」に傍点］\n［＃ここから２字下げ］\n引用\n［＃ここで字下げ終わり］\n字［＃「字」は中見出し］")
def test_plain_text_parses_to_the_same_tokens_as_markdown(text):
    assert tokens(text, plain=True) == tokens(text, plain=False)


@pytest.mark.parametrize("corpus", ["xiyouji", "wagahai-neko"])
def test_corpora_parse_to_the_same_tokens_as_markdown(corpus):
    chapters = sorted((CORPORA / corpus / "chapters").glob("*.txt"))
    if not chapters:
        pytest.skip(f"corpus not found at {CORPORA / corpus}")
    for path in chapters:
        text = path.read_text(encoding="utf-8")
        assert tokens(text, plain=True) == tokens(text, plain=False), path.name


def test_aozora_gaiji_named_by_jis_x_0213_or_code_point_become_their_characters():
    """Gaiji that name a JIS X 0213 character (第3水準1-84-28, 1-6-84) or a code point were shown as ※ with a
    warning that the character was outside the text's character set; they are all in Unicode."""
    from builder.plaintext import to_markdown

    text = ("吾輩《わがはい》は猫である\n\nこれは※［＃「彑／（「比」の間に「矢」）」、第3水準1-84-28］《てい》だ。"
            "フ※［＃小書き片仮名ヒ、1-6-84］ンガー、※［＃「言＋墟のつくり」、第4水準2-88-74］、※［＃「口＋世」、U+546D、12-5］。"
            "※［＃「不明な字」、第3水準1-99-99］\n")
    converted = to_markdown(text)
    assert "これは{彘|てい}だ。フㇶンガー、譃、呭。※" in converted.text, converted.text
    assert [note for _, note in converted.notes] == [
        "character ［＃「不明な字」、第3水準1-99-99］ is outside the text's character set (Aozora gaiji) and stays "
        "shown as ※"]


def test_verse_in_a_plain_text_chapter_is_a_block_of_its_own_lines(tmp_path):
    """Verse (four ideographic spaces in) ran on from the line before it (詩曰：) and into the prose after it, one
    paragraph whose first line took the 2 em indent while the others sat flush left: verse was indented less
    than prose. It is now an indented block of its own lines, in both editions."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar

    from helpers import epub_members, run_folio

    text = ("第一回\n\n　　詩曰：\n　　　　混沌未分天地亂，\n　　　　自從盤古破鴻濛，\n　　蓋聞天地之數。\n\n"
            "　　他道：「\n　　　　覆載群生仰至仁，\n」\n")
    converted = to_markdown(text)
    assert converted.text.split("\n")[2:8] == ["詩曰：", "", "{.verse}", "混沌未分天地亂，\\", "自從盤古破鴻濛，", ""]
    assert len(converted.lines) == len(converted.text.split("\n")) and converted.lines[5] == 4
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    (book / "chapters" / "01.txt").write_text(text, encoding="utf-8")
    (book / "book.toml").write_text('[book]\ntitle = "T"\nauthors = ["A"]\nlanguage = "zh-Hant"\n'
                                    'chapters = ["chapters/01.txt"]\n', encoding="utf-8")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    xhtml = epub_members(tmp_path / "out" / "t.epub")["EPUB/ch-01.xhtml"].decode()
    assert "<p>詩曰：</p>\n<p class=\"verse\">混沌未分天地亂，<br/>\n自從盤古破鴻濛，</p>\n<p>蓋聞天地之數。</p>" in xhtml
    assert '<p>他道<span class="halt">：</span>「覆載群生仰至仁，」</p>' in xhtml, "after an opening bracket: one paragraph"
    starts: dict[str, float] = {}
    for page in extract_pages(str(tmp_path / "out" / "t.pdf")):
        stack = list(page)
        while stack:
            item = stack.pop()
            if isinstance(item, LTChar) and item.get_text() in "詩混自蓋章第":
                starts[item.get_text()] = min(starts.get(item.get_text(), 1e9), item.x0)
            elif hasattr(item, "__iter__"):
                stack.extend(item)
    left = starts["第"]  # the chapter title, at the text block's left edge
    assert abs(starts["混"] - starts["自"]) < 0.1 and starts["混"] - left > starts["詩"] - left - 0.1, starts


def test_a_verse_line_the_source_wrapped_continues_its_line():
    """西遊記 wraps some verse lines in the source (`…偏有味` then `       ，老妻稚子團圓會。`, `…天際` then
    `彩雲開。`): set as a new paragraph or line, a line began with `，` (the corpus kinsoku test caught it). A line
    opening with a bracket after one without punctuation is a new line (its list of scriptures)."""
    text = ("第十回\n\n　　詞曰：\n　　　　垂鉤撒網捉鮮鱗，沒醬膩，偏有味\n       ，老妻稚子團圓會。\n"
            "　　　　宿鷗驚不起，天際\n彩雲開。\n\n　　乃是：\n　　　　《涅槃經》一部 …… 七百四十八卷\n"
            "　　　　《菩薩經》一部 …… 一千二十一卷\n\n　　又詩：\n")
    assert to_markdown(text).text.split("\n")[2:] == [
        "詞曰：", "", "{.verse}", "垂鉤撒網捉鮮鱗，沒醬膩，偏有味", "，老妻稚子團圓會。\\", "宿鷗驚不起，天際", "彩雲開。",
        "", "乃是：", "", "{.verse}", "《涅槃經》一部 …… 七百四十八卷\\", "《菩薩經》一部 …… 一千二十一卷", "", "又詩：", ""]
