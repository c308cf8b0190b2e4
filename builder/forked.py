"""Pure per-item work spread over forked worker processes, which inherit the book instead of receiving it.

A parsed book does not cross a pipe cheaply (pickling 西遊記's tokens costs more than rendering them), but a
forked process already holds it: only item numbers go to the workers and only bytes come back.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Callable

from builder.cache import memo_lookup, memo_store

# Below this much text to render or read, a fork and the results' trip through a pipe cost more than a second
# core saves.
MIN_FORKED_CHARS = 256 * 1024
_WORK: Callable[[int], bytes] | None = None  # the work of the current map, inherited by its forked workers


def map_forked(work: Callable[[int], bytes], count: int, jobs: int, worth: bool = True) -> list[bytes]:
    """`[work(0), …, work(count - 1)]`, in `jobs` processes when the work is `worth` a fork (about 20 ms).
    `work` must not report: a worker's diagnostics would be lost (the files it writes stay)."""
    global _WORK
    if jobs < 2 or count < 2 or not worth:
        return [work(index) for index in range(count)]
    import multiprocessing  # loaded when first needed: a small book's build never forks
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    _WORK = work
    try:
        # An executor, not a Pool: a worker that dies (out of memory) breaks it, where a Pool would wait for ever.
        with ProcessPoolExecutor(min(jobs, count), mp_context=multiprocessing.get_context("fork"),
                                 initializer=worker_signals) as pool:
            return list(pool.map(_call, range(count), chunksize=max(1, count // (4 * jobs))))
    except BrokenProcessPool:  # a worker died (killed, out of memory): the work is done here instead
        return [work(index) for index in range(count)]
    finally:
        _WORK = None


def memo_map(entries: list[tuple[Path | None, tuple]], work: Callable[[int], bytes], jobs: int, sizes: list[int],
             minimum: int = MIN_FORKED_CHARS) -> list[bytes]:
    """`work(i)` for each (memo folder, key) `entries[i]`, kept in that folder when there is one; the missing
    ones are made in `jobs` processes when their `sizes` (of text, by default) add up to `minimum`."""
    found = [memo_lookup(folder, key) if folder else ("", None) for folder, key in entries]
    missing = [at for at, (_, data) in enumerate(found) if data is None]

    def make(at: int) -> bytes:  # a worker keeps what it makes: new cache files cost a build 0.1 s for 100 chapters
        data = work(missing[at])
        folder = entries[missing[at]][0]
        if folder:
            memo_store(folder, found[missing[at]][0], data)
        return data
    worth = sum(sizes[at] for at in missing) >= minimum
    for at, data in zip(missing, map_forked(make, len(missing), jobs, worth)):
        found[at] = (found[at][0], data)
    return [data for _, data in found]


def _call(index: int) -> bytes:
    """One item, in a worker."""
    return _WORK(index)


def worker_signals() -> None:
    """Workers leave Ctrl-C to the parent (it reaches the whole process group, but only the parent answers it,
    by killing them), and take SIGTERM's default action, so a pool ending them ends them at once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
