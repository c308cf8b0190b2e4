"""The live preview's web server: the last good EPUB build, served from memory on 127.0.0.1, with a script in
every document that reloads it after a rebuild and shows the latest build's diagnostics."""

from __future__ import annotations

import hashlib
import html
import io
import json
import mimetypes
import secrets
import sys
import threading
import xml.etree.ElementTree as ElementTree
import zipfile
from dataclasses import dataclass, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

CLIENT_JS = Path(__file__).resolve().parent / "templates" / "preview.js"
CLIENT_URL = "/__folio/preview.js"
STATE_URL = "/__folio/state"
# The EPUB's own media types; the standard library does not know the OPF, the NCX or every font type.
MEDIA_TYPES = {".xhtml": "application/xhtml+xml; charset=utf-8", ".css": "text/css; charset=utf-8",
               ".opf": "application/oebps-package+xml", ".ncx": "application/x-dtbncx+xml",
               ".xml": "application/xml", ".otf": "font/otf", ".ttf": "font/ttf", ".woff": "font/woff",
               ".woff2": "font/woff2", ".svg": "image/svg+xml", ".webp": "image/webp"}
CONTAINER_NS = "{urn:oasis:names:tc:opendocument:xmlns:container}"


@dataclass(frozen=True)
class Snapshot:
    """One good build as the server shows it: the EPUB's members, and its spine as site paths."""

    members: dict[str, bytes]
    spine: tuple[tuple[str, str], ...]  # (path from the site root, title) in reading order
    contents: str  # path of the nav document
    digest: str  # of every member: a rebuild with the same output does not reload the page
    generation: int = 0


def snapshot_from_epub(epub: bytes, documents: list[tuple[str, str, str]]) -> Snapshot:
    """Unpack an EPUB held in memory; `documents` are (file name, title, kind) in spine order."""
    with zipfile.ZipFile(io.BytesIO(epub)) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    # Documents live beside the package file, wherever the container says it is.
    rootfile = ElementTree.fromstring(members["META-INF/container.xml"]).find(f".//{CONTAINER_NS}rootfile")
    folder = rootfile.get("full-path").rpartition("/")[0]
    base = f"/{folder}/" if folder else "/"
    spine = tuple((base + name, title) for name, title, _ in documents)
    contents = next((base + name for name, _, kind in documents if kind == "nav"), spine[0][0])
    digest = hashlib.sha256()
    for name in sorted(members):
        digest.update(name.encode() + b"\0" + hashlib.sha256(members[name]).digest())
    return Snapshot(members, spine, contents, digest.hexdigest())


class PreviewState:
    """The last good build and the outcome of the latest attempt, shared by the build loop and the server."""

    def __init__(self) -> None:
        self.server_id = secrets.token_hex(6)  # a restarted `folio watch` reloads pages of the old one
        self._lock = threading.Lock()
        self._good: Snapshot | None = None
        self._attempt = 0
        self._building = False
        self._diagnostics: list[dict[str, str]] = []

    def begin(self) -> None:
        """A build has started (the pages say so)."""
        with self._lock:
            self._building = True

    def finish(self, result: Snapshot | None, diagnostics: list[tuple[str, str]]) -> bool:
        """Record an attempt, good (`result`) or failed (None); True when the preview now shows new output."""
        with self._lock:
            self._attempt += 1
            self._building = False
            self._diagnostics = [{"severity": s, "text": t} for s, t in diagnostics]
            if result is None or (self._good and self._good.digest == result.digest):
                return False
            self._good = replace(result, generation=(self._good.generation if self._good else 0) + 1)
            return True

    @property
    def good(self) -> Snapshot | None:
        """The build being served, if any has succeeded."""
        with self._lock:
            return self._good

    def to_json(self) -> bytes:
        """What the pages poll: generation and attempt counters, diagnostics, spine."""
        with self._lock:
            good = self._good
            state = {"server": self.server_id, "generation": good.generation if good else 0,
                     "attempt": self._attempt, "building": self._building, "diagnostics": self._diagnostics,
                     "spine": [{"href": h, "title": t} for h, t in good.spine] if good else [],
                     "contents": good.contents if good else "/"}
        return json.dumps(state, ensure_ascii=False).encode("utf-8")


class PreviewServer(ThreadingHTTPServer):
    """The preview on 127.0.0.1 only; client threads never hold up shutdown."""

    daemon_threads = True

    def __init__(self, state: PreviewState, port: int) -> None:
        self.state = state
        super().__init__(("127.0.0.1", port), PreviewHandler)

    @property
    def url(self) -> str:
        """The address to open."""
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def handle_error(self, request, client_address) -> None:
        """A browser leaving mid-answer is normal when a page reloads; anything else gets one line."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, ConnectionError):
            print(f"folio watch: preview server: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)


class PreviewHandler(BaseHTTPRequestHandler):
    """GET and HEAD of the EPUB's members, the state endpoint and the client script."""

    server: PreviewServer
    protocol_version = "HTTP/1.1"  # keep-alive: the page polls several times a second

    def do_GET(self) -> None:
        """Answer with a body."""
        self._answer(head=False)

    def do_HEAD(self) -> None:
        """Answer with headers only."""
        self._answer(head=True)

    def log_message(self, format: str, *args) -> None:
        """Quiet: the terminal is for build diagnostics, and the pages poll constantly."""

    def _answer(self, head: bool) -> None:
        """Route a request."""
        if not self._host_allowed():
            self._send(HTTPStatus.FORBIDDEN, "text/plain; charset=utf-8", b"unknown Host\n", head)
            return
        path = unquote(urlsplit(self.path).path)
        state, good = self.server.state, self.server.state.good
        if path == STATE_URL:
            self._send(HTTPStatus.OK, "application/json; charset=utf-8", state.to_json(), head)
        elif path == CLIENT_URL:
            self._send(HTTPStatus.OK, "text/javascript; charset=utf-8", CLIENT_JS.read_bytes(), head)
        elif path == "/" and good:
            self._redirect(good.contents, head)
        elif good and path.lstrip("/") in good.members:
            self._send_member(good, path.lstrip("/"), head)
        elif path == "/":
            self._send_page(HTTPStatus.OK, "Folio preview", "The book has not built yet: this page shows its "
                            "problems and turns into the book once it builds.", 0, head)
        else:
            self._send_page(HTTPStatus.NOT_FOUND, "Not in the current build", f"{path} is not a file of the "
                            "book's last good build. This page reloads when a build makes it.",
                            good.generation if good else 0, head)

    def _host_allowed(self) -> bool:
        """Refuse other Host names, so a web page cannot read the preview through DNS rebinding."""
        host = self.headers.get("Host")
        port = self.server.server_address[1]
        return host is None or host in (f"127.0.0.1:{port}", f"localhost:{port}")

    def _send_member(self, good: Snapshot, name: str, head: bool) -> None:
        """A member of the EPUB; XHTML documents get the live script before </body>."""
        data, suffix = good.members[name], Path(name).suffix.lower()
        if suffix == ".xhtml":
            data = inject_client(data, good.generation, self.server.state.server_id)
        media_type = MEDIA_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        self._send(HTTPStatus.OK, media_type, data, head)

    def _send_page(self, status: HTTPStatus, title: str, message: str, generation: int, head: bool) -> None:
        """A page of the preview's own (no build yet, or a missing document), live like the book's."""
        script = client_tag(generation, self.server.state.server_id).decode()
        page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/><title>{html.escape(title)}</title>'
                '</head><body style="font: 16px/1.5 system-ui, sans-serif; margin: 8em 2em 4em; max-width: 40em">'
                f'<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p><p><a href="/">Contents</a></p>'
                f'{script}</body></html>\n')
        self._send(status, "text/html; charset=utf-8", page.encode("utf-8"), head)

    def _redirect(self, location: str, head: bool) -> None:
        """A temporary redirect (the contents page may move between builds)."""
        self.send_response(HTTPStatus.FOUND)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()

    def _send(self, status: HTTPStatus, media_type: str, body: bytes, head: bool) -> None:
        """Send with an ETag: the browser asks again every time, and gets 304 for what did not change."""
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        if status == HTTPStatus.OK and self.headers.get("If-None-Match") == etag:
            status, body = HTTPStatus.NOT_MODIFIED, b""
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        self.send_header("ETag", etag)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(body)


def client_tag(generation: int, server_id: str) -> bytes:
    """The script element naming the build a page came from; well-formed, so XHTML stays XML."""
    return (f'<script src="{CLIENT_URL}" data-generation="{generation}" data-server="{server_id}">'
            '</script>').encode()


def inject_client(xhtml: bytes, generation: int, server_id: str) -> bytes:
    """The document with the live script as the last child of its body (unchanged if it has none)."""
    at = xhtml.rfind(b"</body>")
    if at < 0:
        return xhtml
    return xhtml[:at] + client_tag(generation, server_id) + b"\n" + xhtml[at:]
