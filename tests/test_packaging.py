"""Folio installed from its wheel (`pip install .`, `pipx install`), not from this checkout, builds books."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig

from helpers import ROOT, copy_book


def test_the_wheel_alone_builds_the_same_sample_as_the_checkout(sample, tmp_path):
    """The wheel left out the PDF post-processing package and the styles and font configuration, which sit
    beside the package in a checkout: installed from it, Folio could not make a print edition."""
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(ROOT)], check=True, timeout=300)
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), *map(str, wheels.glob("*.whl"))],
                   check=True, timeout=300)
    book = copy_book(ROOT / "book", tmp_path / "book")
    # -S: no site-packages .pth files, so this checkout's editable install is not on the path; the libraries
    # come from the test environment's site-packages, after the wheel's own files.
    env = dict(os.environ, PYTHONPATH=f"{target}:{sysconfig.get_paths()['purelib']}")
    script = "import builder, sys; from builder.cli import run; sys.argv[0] = 'folio'; print(builder.__file__); run()"
    proc = subprocess.run([sys.executable, "-S", "-c", script, "build", str(book), "--out", str(tmp_path / "out")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(str(target)), proc.stdout  # the wheel's code, not the checkout's
    for built in (sample.epub, sample.pdf):
        assert (tmp_path / "out" / built.name).read_bytes() == built.read_bytes(), f"{built.name} differs"
