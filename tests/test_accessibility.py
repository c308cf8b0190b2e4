"""Ace by DAISY, the EPUB accessibility checker, finds nothing to report in the built EPUBs.

Ace (installed by `make ace` into .ace/) checks the package against EPUB Accessibility and every content
document with axe-core in Chromium. Its JSON report is EARL: one assertion per document, each holding an
assertion per failed rule."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import zipfile
from collections import Counter

import pytest

from helpers import ROOT, missing_tool

ACE = ROOT / ".ace" / "node_modules" / ".bin" / "ace-cli"


@pytest.fixture(scope="session")
def ace() -> tuple[str, dict]:
    """The ace-cli command and an environment pointing Puppeteer at Debian's Chromium."""
    chromium = shutil.which("chromium")
    if not ACE.is_file() or not chromium or not shutil.which("node"):
        missing_tool("Ace by DAISY needs .ace/ (make ace), Node.js and Chromium")
    # Ace gives Chromium 5 s to start (ACE_TIMEOUT_INITIAL); a loaded CI machine took longer and Ace
    # exited 1 with no report ("Timed out after 5000 ms while waiting for the WS endpoint URL"); --verbose
    # puts such reasons in the output a failing assertion shows.
    env = dict(os.environ, PUPPETEER_EXECUTABLE_PATH=chromium, ACE_TIMEOUT_INITIAL="120000")
    return str(ACE), env


def violations(report: dict) -> list[dict]:
    """Every failed rule in every document and in the package, with where and why."""
    found = []
    for document in report["assertions"]:
        for item in document.get("assertions", []):
            if item["earl:result"]["earl:outcome"] != "pass":
                test = item["earl:test"]
                found.append({"document": document["earl:testSubject"]["url"], "rule": test["dct:title"],
                              "impact": test.get("earl:impact"),
                              "what": item["earl:result"].get("dct:description"),
                              "where": item["earl:result"].get("earl:pointer", {}).get("css"),
                              "html": item["earl:result"].get("html", "")[:200]})
    return found


@pytest.mark.parametrize("which", ["sample", "features"])
def test_ace_reports_no_accessibility_violations(request, ace, tmp_path, which):
    built = request.getfixturevalue(which)
    command, env = ace
    out = tmp_path / "ace"
    started = time.monotonic()
    proc = subprocess.run([command, "--verbose", "-o", str(out), str(built.epub)], env=env,
                          capture_output=True, text=True, timeout=600)
    seconds = time.monotonic() - started
    assert proc.returncode == 0 and (out / "report.json").is_file(), proc.stdout + proc.stderr
    report = json.loads((out / "report.json").read_text())

    # Ace really looked at this book: the package and every XHTML document in it.
    with zipfile.ZipFile(built.epub) as zf:
        xhtml = {name.rsplit("/", 1)[-1] for name in zf.namelist() if name.endswith(".xhtml")}
    checked = {d["earl:testSubject"]["url"].rsplit("/", 1)[-1] for d in report["assertions"]}
    assert xhtml and xhtml <= checked, f"Ace did not check {sorted(xhtml - checked)}"
    assert "content.opf" in checked

    found = violations(report)
    impacts = Counter(v["impact"] for v in found)
    outcomes = Counter(d["earl:result"]["earl:outcome"] for d in report["assertions"])
    metadata = report.get("a11y-metadata", {})
    print(f"\nAce {report['earl:assertedBy']['doap:release']['doap:revision']} on {built.epub.name}: "
          f"{seconds:.1f} s; {len(report['assertions'])} subjects checked ({dict(outcomes)}); "
          f"{len(found)} violations {dict(impacts)}; {len(report['data'].get('images', []))} images; "
          f"a11y metadata present {metadata.get('present')}, missing {metadata.get('missing')}")
    assert not found, json.dumps(found, indent=1, ensure_ascii=False)
    assert report["earl:result"]["earl:outcome"] == "pass"
    # The accessibility metadata Folio writes is all there (certification is the publisher's to add).
    assert {"schema:accessMode", "schema:accessibilityFeature", "schema:accessibilityHazard",
            "schema:accessibilitySummary", "schema:accessModeSufficient"} <= set(metadata.get("present", []))
    assert not metadata.get("empty")
