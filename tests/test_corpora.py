"""Real books from ../shared/corpora built by Folio: 西遊記 (100 chapters of hard-wrapped plain text)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pikepdf
import pytest

from helpers import ROOT, epubcheck, run_folio

XIYOUJI = ROOT.parent / "shared" / "corpora" / "xiyouji"
CLOSING = set("，。、；：？！」』）》〉〕】﹂…—﹔﹕,.;:?!)]}’”・")
OPENING = set("「『（《〈〔【﹁([{‘“")


@pytest.fixture(scope="module")
def xiyouji(tmp_path_factory):
    if not (XIYOUJI / "chapters").is_dir():
        pytest.skip(f"corpus not found at {XIYOUJI}")
    work = tmp_path_factory.mktemp("xiyouji")
    book = work / "book"
    shutil.copytree(XIYOUJI / "chapters", book / "chapters")  # chapters must lie inside the book folder
    chapters = ", ".join(f'"chapters/{n:03d}.txt"' for n in range(1, 101))
    (book / "book.toml").write_text('[book]\ntitle = "西遊記"\nauthors = ["吳承恩"]\nlanguage = "zh-Hant"\n'
                                    f'slug = "xiyouji"\ncjk_punctuation = "normalize"\nchapters = [{chapters}]\n',
                                    encoding="utf-8")
    proc = run_folio("build", str(book), "--out", str(work / "out"))
    assert proc.returncode == 0, proc.stderr
    return work / "out", proc.stderr


def test_no_line_breaks_against_kinsoku(xiyouji):
    out, _ = xiyouji
    text = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(out / "xiyouji.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    lines = [re.sub(r"\s+", "", line) for line in text.splitlines()]
    lines = [line for line in lines if line and not re.fullmatch(r"[.\d]+", line)]  # contents leaders
    assert len(lines) > 20_000
    starts = [line[:10] for line in lines if line[0] in CLOSING]
    ends = [line[-10:] for line in lines if line[-1] in OPENING]
    assert not starts and not ends, (starts[:10], ends[:10])


def test_the_corpus_builds_cleanly(xiyouji, java, tmp_path):
    out, stderr = xiyouji
    assert "PDF003" not in stderr, stderr  # nothing runs off a page
    with pikepdf.open(out / "xiyouji.pdf") as pdf:
        with pdf.open_outline() as outline:
            titles = [item.title for item in outline.root]
        assert len(pdf.pages) > 500
    assert len(titles) == 100 and titles[0].startswith("第一回") and "第一○○回" in titles[-1]
    code, report = epubcheck(out / "xiyouji.epub", tmp_path / "report.json")
    assert code == 0 and not report.get("messages"), report.get("messages", [])[:5]
