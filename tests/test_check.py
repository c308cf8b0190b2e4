"""`folio check`: EPUBCheck plus Folio's own checks, on good and on damaged EPUBs."""

from __future__ import annotations

import re
import zipfile

from helpers import epub_members, run_folio


def test_check_passes_a_folio_epub(sample, java):
    proc = run_folio("check", str(sample.epub))
    assert proc.returncode == 0, proc.stderr
    assert "0 error(s), 0 warning(s)" in proc.stdout


def test_check_finds_broken_links_duplicate_ids_and_missing_alt(features, java, tmp_path):
    members = epub_members(features.epub)
    chapter = members["EPUB/ch-01.xhtml"].decode()
    chapter = chapter.replace("</section>", '<p id="kisetsu"><a href="#nowhere">x</a> '
                              '<a href="ch-09.xhtml">y</a> <img src="images/01-moon.png" alt=""/></p>\n</section>')
    members["EPUB/ch-01.xhtml"] = chapter.encode()
    damaged = tmp_path / "damaged.epub"
    with zipfile.ZipFile(damaged, "w") as zf:
        zf.writestr("mimetype", members.pop("mimetype"), compress_type=zipfile.ZIP_STORED)
        for name, data in members.items():
            zf.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    proc = run_folio("check", str(damaged))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    codes = set(re.findall(r"ch-0\d\.xhtml:\d+: (?:error|warning)\[(CHK00\d)\]", proc.stderr))
    assert {"CHK003", "CHK004", "CHK006"} <= codes, proc.stderr
    assert "Traceback" not in proc.stderr


def test_check_a_missing_file_is_a_usage_error(tmp_path):
    proc = run_folio("check", str(tmp_path / "none.epub"))
    assert proc.returncode == 2 and "CHK000" in proc.stderr
