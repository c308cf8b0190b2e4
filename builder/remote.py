"""Fetch remote images, only when the author allows it, never from private networks (the only urllib use)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

MAX_REMOTE_BYTES = 20 * 1024 * 1024
TIMEOUT = 15


class RemoteRefused(ValueError):
    """A remote address Folio will not contact, or a fetch that failed; the message says which."""


def check_url(url: str) -> None:
    """Only http(s) to hosts whose every address is public; refuse loopback, private, link-local and the rest."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RemoteRefused(f"'{url}': only http and https URLs are fetched")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                                   proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise RemoteRefused(f"'{url}': cannot resolve {parts.hostname} ({exc})") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            host = "" if parts.hostname == str(address) else f"{parts.hostname} resolves to "
            raise RemoteRefused(f"'{url}': {host}{address} is a private, loopback or link-local address, "
                                "which Folio never contacts")


def _opener():
    """An opener that follows a redirect only to a URL that passes the same check. urllib.request loads only
    here, for a book with remote images: importing it costs every other build 8 ms."""
    from urllib.request import HTTPRedirectHandler, build_opener

    class CheckedRedirect(HTTPRedirectHandler):
        def redirect_request(self, req, fp, code, msg, headers, newurl):
            check_url(newurl)
            return super().redirect_request(req, fp, code, msg, headers, newurl)
    return build_opener(CheckedRedirect)


def fetch(url: str) -> bytes:
    """Download at most MAX_REMOTE_BYTES from a checked public URL."""
    from urllib.request import Request

    check_url(url)
    opener = _opener()
    try:
        with opener.open(Request(url, headers={"User-Agent": "Folio"}), timeout=TIMEOUT) as response:
            data = response.read(MAX_REMOTE_BYTES + 1)
    except RemoteRefused:
        raise
    except OSError as exc:
        raise RemoteRefused(f"'{url}': {exc}") from None
    if len(data) > MAX_REMOTE_BYTES:
        raise RemoteRefused(f"'{url}' is larger than {MAX_REMOTE_BYTES // (1024 * 1024)} MiB")
    return data
