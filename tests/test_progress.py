"""`folio build` shows its progress on a terminal, and stays quiet in CI, through a pipe or with --quiet."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys

from helpers import ROOT, copy_book

STAGE = re.compile(r"\[\s*\d+\.\d s\] (.+)")


def build_on_terminal(book, out, *extra: str, env: dict | None = None) -> tuple[int, str, str]:
    """Run `folio build` with stderr on a pseudo-terminal; return the exit code, stdout and the terminal's text."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "builder", "build", str(book), "--out", str(out), *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=slave, text=True,
                            env=env or {k: v for k, v in os.environ.items() if k != "CI"})
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal closes when the process ends
            break
        if not data:
            break
        chunks.append(data)
    stdout = proc.stdout.read()
    code = proc.wait(timeout=600)
    os.close(master)
    return code, stdout, b"".join(chunks).decode("utf-8", "replace")


def test_progress_names_every_stage_and_chapter_on_a_terminal(tmp_path):
    book = copy_book(ROOT / "book", tmp_path / "book")
    code, stdout, terminal = build_on_terminal(book, tmp_path / "out")
    assert code == 0, terminal
    stages = STAGE.findall(terminal.replace("\r", "\n"))
    assert "checking links, ids and images" in stages
    assert "rendering" in stages
    laying_out = "laying out when-siberia-calls.pdf (press profile) in parts"
    assert laying_out in stages
    assert "packaging when-siberia-calls.epub" in stages
    assert stages.index("rendering") < stages.index(laying_out)
    for chapter in ("chapters/01-when-siberia-calls.md", "chapters/02-when-cooperation-fades.md"):
        assert f"/2 parsing {chapter}" in terminal
        assert re.search(rf"\d/\d laid out {chapter}", terminal), "the layout reports each chapter"
    assert "\x1b[K" in terminal, "the live line is erased before the next output"
    assert "wrote" in stdout and "built in" in stdout and "[" not in stdout, "progress never reaches stdout"


def test_no_progress_in_ci_or_with_quiet_or_through_a_pipe(tmp_path):
    book = copy_book(ROOT / "book", tmp_path / "book")
    code, stdout, terminal = build_on_terminal(book, tmp_path / "a", "--edition", "epub",
                                               env=dict(os.environ, CI="true"))
    assert code == 0 and terminal == "" and "wrote" in stdout
    (book / "chapters" / "01-when-siberia-calls.md").open("a", encoding="utf-8").write("\nOne more line.\n")
    code, stdout, terminal = build_on_terminal(book, tmp_path / "b", "--edition", "epub", "--quiet")
    assert code == 0 and terminal == "" and stdout == ""
    (book / "chapters" / "01-when-siberia-calls.md").open("a", encoding="utf-8").write("\nAnd another.\n")
    code, stdout, terminal = build_on_terminal(book, tmp_path / "b", "--edition", "epub", "-q")  # as with ls, cp
    assert code == 0 and terminal == "" and stdout == ""
    piped = subprocess.run([sys.executable, "-m", "builder", "build", str(book), "-o", str(tmp_path / "c"),
                            "--edition", "epub"], cwd=ROOT, capture_output=True, text=True,  # -o: as in pandoc
                           env={k: v for k, v in os.environ.items() if k != "CI"})
    assert piped.returncode == 0 and not STAGE.search(piped.stderr) and "parsing" not in piped.stderr
    assert (tmp_path / "c" / "when-siberia-calls.epub").is_file()


def test_a_warning_on_a_terminal_stands_on_its_own_line(tmp_path):
    """A warning found while a chapter is parsed (the live line shows it) erases that line first."""
    book = copy_book(ROOT / "book", tmp_path / "book")
    (book / "chapters" / "03.txt").write_text("猫\n\n吾輩《わがはい》は猫である。［＃未知の注記］\n", encoding="utf-8")
    toml = book / "book.toml"
    last = '"chapters/02-when-cooperation-fades.md",'
    toml.write_text(toml.read_text(encoding="utf-8").replace(last, last + ' "chapters/03.txt",'), encoding="utf-8")
    code, _, terminal = build_on_terminal(book, tmp_path / "out", "--edition", "epub")
    assert code == 0, terminal
    lines = terminal.replace("\r\n", "\n").split("\n")  # the terminal turns each \n into \r\n
    line = next(line for line in lines if "warning[AOZ001]" in line)
    assert "3/3 parsing chapters/03.txt" in line, "the warning came while the live line showed its chapter"
    # What the terminal shows is what follows the last carriage return: the warning, right after an erase.
    assert re.fullmatch(r"\x1b\[K/\S*/03\.txt:3: warning\[AOZ001\].*", line.split("\r")[-1]), repr(line)
