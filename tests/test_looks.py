"""Every glyph of the EPUB is drawn from the fonts inside it, as a browser engine renders the book.

Each document of the spine is opened in headless Chromium straight from the unzipped EPUB, with its own
CSS and @font-face subsets, and with the system's fonts hidden: fontconfig sees one sentinel font only
(the system's sans-serif face; Chromium needs one to start). Over the DevTools protocol (a pipe, no
extra package), CSS.getPlatformFontsForNode names the font behind every rendered text node and pseudo-
element; a glyph missing from Folio's subsets would fall back to the sentinel, or to nothing, and show.
A control page with a letter outside the subsets proves the probe sees such a fallback. Screenshots of
every page are written next to the unzipped book (the path is printed) for a person to look at."""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import time
import zipfile
from collections import Counter
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from fontTools.ttLib import TTFont

from helpers import NS, missing_tool, one_chapter_book, run_folio, xml

WINDOW = (700, 1100)
TIMEOUT = 60  # seconds for any one DevTools answer


class Chromium:
    """Headless Chromium driven over --remote-debugging-pipe: JSON messages ending in NUL on fds 3 and 4."""

    def __init__(self, executable: str, env: dict, profile: Path):
        commands_r, commands_w = os.pipe()
        results_r, results_w = os.pipe()

        def pipes_on_3_and_4():  # in the child, before exec; dup first, since the pipes may be fds 3 or 4
            commands, results = os.dup(commands_r), os.dup(results_w)
            os.dup2(commands, 3)
            os.dup2(results, 4)

        self.proc = subprocess.Popen(
            [executable, "--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage",
             f"--user-data-dir={profile}", "--allow-file-access-from-files", "--remote-debugging-pipe",
             f"--window-size={WINDOW[0]},{WINDOW[1]}", "--hide-scrollbars", "about:blank"],
            preexec_fn=pipes_on_3_and_4, close_fds=False, env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(commands_r)
        os.close(results_w)
        self.commands, self.results = commands_w, results_r
        self.buffer, self.last_id, self.pending = b"", 0, []
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "DOM", "CSS"):
            self.send(f"{domain}.enable", self.session)

    def _message(self, deadline: float) -> dict:
        while b"\0" not in self.buffer:
            ready, _, _ = select.select([self.results], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError("Chromium did not answer over the DevTools pipe")
            chunk = os.read(self.results, 1 << 20)
            if not chunk:
                raise EOFError(f"Chromium closed the DevTools pipe (exit {self.proc.poll()})")
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(message)

    def send(self, method: str, session: str | None = None, **params) -> dict:
        self.last_id += 1
        message = {"id": self.last_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            answer = self._message(deadline)
            if answer.get("id") == self.last_id:
                assert "error" not in answer, f"{method}: {answer['error']}"
                return answer["result"]
            self.pending.append(answer)

    def page(self, method: str, **params) -> dict:
        return self.send(method, self.session, **params)

    def wait_for(self, event: str) -> None:
        for index, message in enumerate(self.pending):
            if message.get("method") == event:
                del self.pending[index]
                return
        deadline = time.monotonic() + TIMEOUT
        while (message := self._message(deadline)).get("method") != event:
            pass

    def open(self, path: Path) -> str:
        """Load a document, wait for its fonts; the font faces' statuses."""
        self.pending.clear()
        self.page("Page.navigate", url=path.as_uri())
        self.wait_for("Page.loadEventFired")
        faces = self.page("Runtime.evaluate", awaitPromise=True, returnByValue=True, expression=(
            "document.fonts.ready.then(() => [...document.fonts].map("
            "f => `${f.family} ${f.weight} ${f.style}: ${f.status}`).join('; '))"))
        return faces["result"]["value"]

    def fonts_used(self) -> tuple[Counter, list[str]]:
        """Glyphs drawn per (family, PostScript name, from the document's @font-face), and the text probed."""
        root = self.page("DOM.getDocument", depth=-1)["root"]
        nodes, texts = [], []

        def walk(node):
            children = node.get("children", [])
            text = "".join(c["nodeValue"] for c in children if c["nodeType"] == 3)
            if text.strip():
                nodes.append(node["nodeId"])
                texts.append(text)
            nodes.extend(p["nodeId"] for p in node.get("pseudoElements", []))
            for child in children:
                walk(child)

        walk(root)
        used = Counter()
        for node in nodes:
            for font in self.page("CSS.getPlatformFontsForNode", nodeId=node)["fonts"]:
                used[(font["familyName"], font.get("postScriptName", ""), font["isCustomFont"])] += font["glyphCount"]
        return used, texts

    def screenshot(self, out: Path) -> None:
        shot = self.page("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        out.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (OSError, EOFError, TimeoutError):
            pass
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.commands)
        os.close(self.results)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Chromium seeing no system font but a sentinel: fontconfig with one folder holding one font."""
    executable, fc_match = shutil.which("chromium"), shutil.which("fc-match")
    if not executable or not fc_match:
        missing_tool("Chromium and fontconfig are needed to render the EPUB (make test installs them)")
    work = tmp_path_factory.mktemp("chromium")
    # The sans-serif face: Folio embeds no sans-serif family (its code face, DejaVu Sans Mono, is often the
    # system's monospace one), so the sentinel's glyphs can never pass for the book's.
    sentinel = Path(subprocess.run([fc_match, "-f", "%{file}", "sans-serif"], capture_output=True, text=True,
                                   check=True).stdout)
    (work / "fonts").mkdir()
    (work / "fonts" / sentinel.name).symlink_to(sentinel)
    family = subprocess.run(["fc-query", "-f", "%{family[0]}", str(sentinel)], capture_output=True, text=True,
                            check=True).stdout
    # Every font request ends at the sentinel, so Chromium's own UI finds a face and starts.
    (work / "fonts.conf").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f'<dir>{escape(str(work / "fonts"))}</dir>\n<cachedir>{escape(str(work / "cache"))}</cachedir>\n'
        f'<match target="pattern"><edit name="family" mode="append_last"><string>{escape(family)}</string></edit></match>\n'
        '</fontconfig>\n')
    env = dict(os.environ, FONTCONFIG_FILE=str(work / "fonts.conf"), HOME=str(work))
    listed = subprocess.run(["fc-list", ":", "file"], env=env, capture_output=True, text=True).stdout.split()
    assert listed == [f"{work / 'fonts' / sentinel.name}:"], f"system fonts are not hidden: {listed}"
    chromium = Chromium(executable, env, work / "profile")
    yield chromium, family
    chromium.close()


def unzip(epub: Path, out: Path) -> tuple[Path, list[Path], dict[str, str]]:
    """The unzipped book, its spine documents in order, and PostScript name -> family of its fonts."""
    with zipfile.ZipFile(epub) as zf:
        zf.extractall(out)
    opf_path = out / xml((out / "META-INF/container.xml").read_bytes()).xpath(
        "//*[local-name()='rootfile']/@full-path")[0]
    opf = xml(opf_path.read_bytes())
    hrefs = {i.get("id"): i.get("href") for i in opf.xpath("//opf:manifest/opf:item", namespaces=NS)}
    spine = [opf_path.parent / hrefs[r.get("idref")] for r in opf.xpath("//opf:spine/opf:itemref", namespaces=NS)]
    fonts = {}
    for item in opf.xpath("//opf:manifest/opf:item[starts-with(@media-type, 'font/')]", namespaces=NS):
        names = TTFont(opf_path.parent / item.get("href"), lazy=True)["name"]
        fonts[names.getDebugName(6)] = names.getDebugName(1)
    return out, spine, fonts


def missing_from(fonts: list[Path], candidates: str) -> str:
    """The first candidate character none of the fonts has a glyph for."""
    covered = set()
    for path in fonts:
        covered |= set(TTFont(path, lazy=True).getBestCmap())
    return next(ch for ch in candidates if ord(ch) not in covered)


@pytest.mark.parametrize("which", ["sample", "features"])
def test_every_glyph_comes_from_the_epubs_own_fonts(request, browser, tmp_path, which):
    chromium, sentinel = browser
    built = request.getfixturevalue(which)
    book, spine, embedded = unzip(built.epub, tmp_path / "epub")
    assert embedded and sentinel not in embedded.values()
    shots = tmp_path / "screenshots"
    shots.mkdir()

    # The control: a letter outside every subset, in the book's own CSS, must be seen falling back.
    font_files = sorted((spine[0].parent / "fonts").iterdir())
    stray = missing_from(font_files, "ЖΩאฆ₿")
    control = spine[0].parent / "control.xhtml"
    control.write_text('<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml" '
                       'lang="en" xml:lang="en"><head><title>control</title><link rel="stylesheet" '
                       f'href="css/book.css"/></head><body><p>Folio {stray}</p></body></html>')
    chromium.open(control)
    used, _ = chromium.fonts_used()
    assert any(not custom for _, _, custom in used), f"the probe did not see {stray!r} fall back: {used}"
    control.unlink()

    report, total = [], Counter()
    for doc in spine:
        faces = chromium.open(doc)
        used, texts = chromium.fonts_used()
        chromium.screenshot(shots / f"{doc.stem}.png")
        total.update(used)
        outside = {key: n for key, n in used.items() if not key[2] or embedded.get(key[1]) != key[0]}
        report.append(f"{doc.name}: " + ", ".join(f"{ps or family} {n}" for (family, ps, _), n in used.items()))
        assert not outside, f"{doc.name} draws glyphs from fonts outside the EPUB: {outside} ({faces})"
        text = "".join(texts)
        if any(ch.isalnum() for ch in text) and doc.stem != "cover":
            assert sum(used.values()) > 0, f"{doc.name}: no rendered text was probed"
        if any(0x1F300 <= ord(ch) <= 0x1FAFF for ch in text):
            assert any("Emoji" in family for family, _, _ in used), f"{doc.name}: its emoji are not drawn"
    print(f"\n{built.epub.name} ({sentinel} as the only system font; screenshots in {shots}):\n  "
          + "\n  ".join(report))
    assert {ps for _, ps, _ in total} <= set(embedded)


def test_an_emoji_sequence_is_drawn_in_colour_though_a_text_face_has_its_character(browser, tmp_path):
    """↩️ ☎️ ✔️ ask for emoji (U+FE0F), but a reading system draws a sequence with the first face in the stack
    that has its character: the math face's black ↩, the CJK face's ☎. Each sequence is a `span.emoji` whose
    stack starts with the emoji face; a plain ↩ stays in the math face. Print is left alone: its engine picks
    the emoji face for the sequence, and must never name that face (WeasyPrint then draws digits in it)."""
    chromium, _ = browser
    book = one_chapter_book(tmp_path / "book", "# E\n\nBack ↩️, phone ☎️, check ✔️, key 1️⃣; a plain ↩ and 12.\n\n"
                                               "中文 ☺️ 和 ❤️。\n")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    _, spine, embedded = unzip(tmp_path / "out" / "t.epub", tmp_path / "epub")
    chapter = next(doc for doc in spine if doc.name == "ch-01.xhtml")
    assert chapter.read_text(encoding="utf-8").count('<span class="emoji">') == 6
    chromium.open(chapter)
    root = chromium.page("DOM.getDocument", depth=-1)["root"]
    drawn = {}
    for selector in ("span.emoji", "p"):
        for node in chromium.page("DOM.querySelectorAll", nodeId=root["nodeId"], selector=selector)["nodeIds"]:
            fonts = chromium.page("CSS.getPlatformFontsForNode", nodeId=node)["fonts"]
            drawn.setdefault(selector, []).append({f["familyName"] for f in fonts if f["isCustomFont"]})
    assert len(drawn["span.emoji"]) == 6 and all(fams == {"Noto Color Emoji"} for fams in drawn["span.emoji"]), drawn
    assert "Noto Sans Math" in drawn["p"][0]  # the plain ↩, text presentation


def test_a_chinese_paragraph_does_not_end_on_a_line_of_one_character_in_a_reading_system(browser, tmp_path):
    """A reading system breaks the lines: the EPUB asks it to spare the last line (text-wrap: pretty), as print
    keeps a paragraph's last two characters together (test_cjk.py)."""
    chromium, _ = browser
    text = "中国在俄罗斯的情报活动增加关系呈现竞争而非合作俄罗斯国内对中国看法矛盾普京赞美合作而安全部门视中国为潜在威胁" * 3
    paragraphs = [text[:n] + "。" for n in range(30, 130)]  # every remainder of a line of fewer than 100
    book = one_chapter_book(tmp_path / "book", "# 段末\n\n" + "\n\n".join(paragraphs) + "\n", "zh-Hans")
    proc = run_folio("build", str(book), "--out", str(tmp_path / "out"), "--edition", "epub")
    assert proc.returncode == 0, proc.stderr
    _, spine, _ = unzip(tmp_path / "out" / "t.epub", tmp_path / "epub")
    chromium.open(next(doc for doc in spine if doc.name == "ch-01.xhtml"))
    lasts = chromium.page("Runtime.evaluate", returnByValue=True, expression="""
        [...document.querySelectorAll('p')].map(p => {  // the characters on each paragraph's last line
          const text = p.firstChild, range = document.createRange(), tops = [];
          for (let i = 0; i < text.length; i++) {
            range.setStart(text, i); range.setEnd(text, i + 1); tops.push(range.getBoundingClientRect().top);
          }
          const last = Math.max(...tops);
          return text.data.slice(tops.findIndex(top => Math.abs(top - last) < 2));
        })""")["result"]["value"]
    assert len(lasts) == len(paragraphs) and any(len(last) < len(p) for last, p in zip(lasts, paragraphs))
    assert all(len(last.rstrip("。")) >= 2 for last in lasts), sorted(lasts, key=len)[:5]
