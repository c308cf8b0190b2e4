"""`folio check`: EPUBCheck plus Folio's own checks, on good and on damaged EPUBs."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from helpers import ROOT, build_sample_with, epub_members, run_folio

# The sample book with an EPUB, its kepub variant and a press PDF whose bleed is the book's 2 mm, narrower than
# the press profile's 0.125 in: `folio check BOOK_DIR` must check that PDF against the bleed the book asked for.
EDITIONS = """bleed = "2mm"

[editions.epub]
format = "epub"

[editions.kobo]
format = "kepub"

[editions.print]
format = "pdf"
profile = "press"
"""


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


def test_check_an_epub_that_is_not_a_zip_or_not_named_epub_is_reported_not_a_crash(sample, java, tmp_path):
    """A `.epub` that was not a zip ended in an internal error (exit 3); EPUBCheck's archive-level messages
    printed the path twice at line -1; a good EPUB named `.zip` failed "without a report: " and no reason."""
    bad = tmp_path / "nz.epub"
    bad.write_text("not a zip\n")
    proc = run_folio("check", str(bad))
    assert proc.returncode == 1 and "internal error" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if "error[" in line]
    assert lines and all(line.startswith(f"{bad}: error[") for line in lines), proc.stderr
    assert "CHK000" in proc.stderr and "not a zip archive" in proc.stderr
    renamed = tmp_path / "good.zip"
    shutil.copy(sample.epub, renamed)
    proc = run_folio("check", str(renamed))
    assert proc.returncode == 1 and "EPUBCheck reads only files named .epub" in proc.stderr, proc.stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The sample book and the folder its build wrote (the appended bleed lands in its [print] table)."""
    work = tmp_path_factory.mktemp("check-book")
    out = build_sample_with(work, EDITIONS)
    return work / "book", out


def test_check_a_book_folder_checks_every_edition_it_built(built, java):
    book, out = built
    names = ["when-siberia-calls.epub", "when-siberia-calls-kobo.kepub.epub", "when-siberia-calls.pdf"]
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    proc = run_folio("check", str(book), "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = re.findall(r"^(.+): (\d+ error\(s\), \d+ warning\(s\))$", proc.stdout, re.M)
    assert summary == [(str(out / name), "0 error(s), 0 warning(s)") for name in names], proc.stdout + proc.stderr


def test_check_a_book_folder_names_the_command_for_a_missing_file(built, java, tmp_path):
    book, out = built
    copy = shutil.copytree(out, tmp_path / "out")
    (copy / "when-siberia-calls.epub").unlink()
    proc = run_folio("check", str(book), "--out", str(copy), "--edition", "epub", "--edition", "print")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (f"{copy / 'when-siberia-calls.epub'}: error[CHK000]: edition 'epub' is not built: make it with "
            f"`folio build {book} --out {copy}`") in proc.stderr
    assert f"{copy / 'when-siberia-calls.epub'}: 1 error(s), 0 warning(s)" in proc.stdout
    assert f"{copy / 'when-siberia-calls.pdf'}: 0 error(s), 0 warning(s)" in proc.stdout, proc.stderr
    assert "kepub" not in proc.stdout, "--edition chooses what is checked"


def test_check_a_book_folder_refuses_a_profile_and_a_file_refuses_out(built):
    book, out = built
    proc = run_folio("check", str(book), "--out", str(out), "--profile", "kdp")
    assert proc.returncode == 2 and "drop --profile" in proc.stderr
    proc = run_folio("check", str(out / "when-siberia-calls.epub"), "--out", str(out))
    assert proc.returncode == 2 and "apply to a book folder only" in proc.stderr


def _programs_of(pid: int) -> list[int]:
    """The running (not zombie) processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except (OSError, ValueError):
            continue
        fields = stat.rsplit(")", 1)[-1].split()  # after the command name, which may hold spaces
        if fields[1] == str(pid) and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return False


def test_a_signal_to_folio_check_ends_epubcheck_too(sample, java):
    """`kill -INT` (or SIGTERM) sent to folio alone left EPUBCheck's Java running, for minutes on a long book."""
    proc = subprocess.Popen([sys.executable, "-m", "builder", "check", str(sample.epub)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline, javas = time.monotonic() + 60, []
    while not javas and time.monotonic() < deadline and proc.poll() is None:
        javas = _programs_of(proc.pid)
        time.sleep(0.05)
    assert javas, "EPUBCheck never started (or finished first): the test would prove nothing"
    time.sleep(0.5)  # into its work, as an author's signal would come
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    # Killed, it is gone within milliseconds; left alone, it runs on for seconds (the JVM has only just started).
    deadline = time.monotonic() + 1
    while any(map(_alive, javas)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(_alive, javas)), "EPUBCheck's Java outlived folio"
