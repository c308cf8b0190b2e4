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
