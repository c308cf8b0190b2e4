"""Build the sample book once per session into a temporary folder; tests read the real files."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import ROOT, copy_book, run_folio


@dataclass
class Built:
    """A finished build: the book folder and its two editions."""

    book: Path
    epub: Path
    pdf: Path
    stdout: str
    stderr: str


def build_book(src: Path, work: Path, *extra: str) -> Built:
    """Copy a book, build both editions, and insist on success."""
    book = copy_book(src, work / "book")
    out = work / "dist"
    proc = run_folio("build", str(book), "--out", str(out), *extra)
    assert proc.returncode == 0, proc.stderr
    epub, pdf = sorted(out.glob("*.epub")), sorted(out.glob("*.pdf"))
    return Built(book, epub[0] if epub else None, pdf[0] if pdf else None, proc.stdout, proc.stderr)


@pytest.fixture(scope="session")
def sample(tmp_path_factory) -> Built:
    """The sample book in book/, built as `make book` builds it."""
    return build_book(ROOT / "book", tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="session")
def features(tmp_path_factory) -> Built:
    """A test book using links, images, footnotes, tables, explicit ids and Japanese."""
    return build_book(ROOT / "tests" / "books" / "features", tmp_path_factory.mktemp("features"))


@pytest.fixture(scope="session")
def java() -> str:
    """Java for EPUBCheck; its absence skips, saying so."""
    path = shutil.which("java")
    if not path:
        pytest.skip("Java is not installed: EPUBCheck cannot run (make test installs default-jre-headless)")
    return path


@pytest.fixture
def clean_env() -> dict:
    """The environment without SOURCE_DATE_EPOCH, for reproducibility tests to set it themselves."""
    env = dict(os.environ)
    env.pop("SOURCE_DATE_EPOCH", None)
    return env
