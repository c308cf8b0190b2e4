"""Ctrl-C and SIGTERM end folio at once: its worker processes killed, its temporary files removed, the
previous editions left as they were.

Python's own answer, an exception raised wherever the main thread happens to be, was not enough. A library
calling back into Python prints such an exception and carries on (nh3's attribute filter did, and the build
went on to write its editions after Ctrl-C), and unwinding through a process pool's shutdown waits for
workers and queue threads that may never answer (a CI run hung for two minutes after SIGINT; where exactly
was not caught, and nothing unwinds now).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 128 + signal.SIGTERM}
_OWNER: int | None = None  # the process that answers the signals; a forked child that still has the handler dies
_MESSAGE = b""
_TEMPORARY: set[str] = set()  # files and folders to remove on the way out
_HELD = 0  # > 0 while files are renamed into place: all of them or none
_PENDING: int | None = None  # a signal that came while held
_PROGRAMS: set[int] = set()  # programs folio runs (EPUBCheck's Java): a signal sent to folio alone ends them too


def install(message: str) -> None:
    """From now on this process answers SIGINT and SIGTERM by ending, with `message` on stderr."""
    global _OWNER
    _OWNER = os.getpid()
    say(message)
    for signum in EXIT_CODES:
        signal.signal(signum, _on_signal)


def say(message: str) -> None:
    """What a signal prints from now on."""
    global _MESSAGE
    _MESSAGE = message.encode() + b"\n"


def _on_signal(signum: int, frame) -> None:
    """End now, or once the held block is over."""
    global _PENDING
    if os.getpid() != _OWNER:  # a worker forked before it set its own signals: its parent does the cleaning
        os._exit(EXIT_CODES[signum])
    if _HELD:
        _PENDING = signum
        return
    end(signum)


def end(signum: int) -> None:
    """Kill the workers, remove the temporary files, say so and exit with the signal's code, unwinding nothing."""
    _kill_children()
    for path in list(_TEMPORARY):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(path)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a write under way is cut short: the handler cannot re-enter it
            stream.flush()
    with contextlib.suppress(OSError):
        os.write(2, (b"\r\x1b[K" if os.isatty(2) else b"") + _MESSAGE)  # over a live progress line
    os._exit(EXIT_CODES[signum])


def run_program(args: list[str], timeout: float):
    """`subprocess.run(args, capture_output=True, text=True)`, the program killed if a signal ends folio first."""
    import subprocess  # loaded only by the commands that run a program (7 ms of every build's start otherwise)

    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        _PROGRAMS.add(proc.pid)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        finally:
            _PROGRAMS.discard(proc.pid)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def _kill_children() -> None:
    """SIGKILL every program folio runs and every worker process (pools' and the EPUB fonts' aside), which
    ignore Ctrl-C themselves."""
    for pid in list(_PROGRAMS):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    multiprocessing = sys.modules.get("multiprocessing")  # not loaded: no worker was ever started
    if multiprocessing is None:
        return
    for child in multiprocessing.active_children():
        with contextlib.suppress(OSError):
            os.kill(child.pid, signal.SIGKILL)


def temporary(path: str | os.PathLike) -> None:
    """Remove `path` if a signal ends the process before `settled(path)`."""
    _TEMPORARY.add(os.fspath(path))


def settled(path: str | os.PathLike) -> None:
    """`path` is no longer temporary: renamed into place, or removed."""
    _TEMPORARY.discard(os.fspath(path))


@contextlib.contextmanager
def held(then: str):
    """A signal waits for the block to end; once it has ended, one says `then` instead of the message."""
    global _HELD
    _HELD += 1
    try:
        yield
        say(then)
    finally:
        _HELD -= 1
        if not _HELD and _PENDING is not None:
            end(_PENDING)
