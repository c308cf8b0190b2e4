"""A deterministic ~1,000-page English/Chinese book for the benchmark (issue 6).

The sentences come from ../shared/seed/000_f18920db7f18dd2e.txt (an English essay and its Chinese sequel),
shuffled and recombined with a fixed seed, so every run writes byte-identical chapters: N Markdown chapters of
`##` sections, paragraphs mixing English and Chinese sentences, and footnotes (labels unique across the book, so
Pandoc can read all chapters as one document).

    python tests/bench/generate.py OUT_DIR [--pages 1000]
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED_TEXT = ROOT.parent / "shared" / "seed" / "000_f18920db7f18dd2e.txt"
SEED = 20261128
# Rough capacity of a 6 in x 9 in page of Folio's print edition (with headings, footnotes and chapter openings),
# used only to size the book (--pages 1000 gave 1,245 pages with 2000 / 750); the benchmark reports the page
# count the PDF really has.
LATIN_CHARS_PER_PAGE = 1730
CJK_CHARS_PER_PAGE = 650


def _pools(text: str) -> tuple[list[str], list[str], list[str], list[str]]:
    """English sentences, Chinese sentences, English headings, Chinese headings."""
    en, zh, en_heads, zh_heads = [], [], [], []
    chinese = False
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if set(line) == {"-"}:
            chinese = True
            continue
        head = not re.search(r"[.!?。？！:;,：；，]$", line) and len(line) < 70
        if chinese:
            if head:
                zh_heads.append(line)
            else:
                zh += [s for s in re.split(r"(?<=[。？！；;])", line) if s.strip()]
        elif head:
            en_heads.append(line)
        else:
            # "Population Decline: The Far East has ..." -> keep the label, it reads as a sentence.
            en += [s for s in re.split(r"(?<=[.!?])\s+", line) if s.strip()]
    # Markdown-significant characters stay out of the prose.
    clean = lambda items: [re.sub(r"[*_`#\[\]<>|\\]", "", s).strip() for s in items]  # noqa: E731
    # The seed's Chinese keeps half-width , : ; ? as written: book.toml asks Folio to print them full-width,
    # as the sample book does.
    return clean(en), clean(zh), clean(en_heads), clean(zh_heads)


def generate(out: Path, pages: int = 1000, chapters: int | None = None) -> list[str]:
    """Write chapters/NNN.md and book.toml into `out`; return the chapter paths (relative to `out`)."""
    en, zh, en_heads, zh_heads = _pools(SEED_TEXT.read_text(encoding="utf-8"))
    rng = random.Random(SEED)
    chapters = chapters or max(1, pages // 10)
    per_chapter = pages / chapters  # pages
    (out / "chapters").mkdir(parents=True, exist_ok=True)
    names = []
    for number in range(1, chapters + 1):
        lines = [f"# Chapter {number}: {rng.choice(en_heads)} · {rng.choice(zh_heads)}", ""]
        notes, used, section = [], 0.0, 0
        while used < per_chapter:
            section += 1
            heading = rng.choice(en_heads) if section % 2 else rng.choice(zh_heads)
            lines += [f"## {number}.{section} {heading}", ""]
            for _ in range(rng.randint(4, 8)):
                sentences, latin = [], 0
                for _ in range(rng.randint(3, 8)):
                    chinese = rng.random() < 0.4
                    sentences.append(rng.choice(zh if chinese else en))
                    latin += 0 if chinese else len(sentences[-1])
                text = ""
                for s in sentences:  # a space after English, none after Chinese punctuation
                    text += s if not text or text[-1] in "。？！；;" else " " + s
                if rng.random() < 0.3:
                    label = f"n{number}-{len(notes) + 1}"
                    text += f"[^{label}]"
                    note = " ".join(rng.choice(en) for _ in range(rng.randint(1, 2)))
                    if rng.random() < 0.5:
                        note += rng.choice(zh)
                    notes.append(f"[^{label}]: {note}")
                lines += [text, ""]
                used += latin / LATIN_CHARS_PER_PAGE + (len(text) - latin) / CJK_CHARS_PER_PAGE + 0.03
        lines += notes
        name = f"chapters/{number:03d}.md"
        (out / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        names.append(name)
    listed = ", ".join(f'"{n}"' for n in names)
    (out / "book.toml").write_text(
        '[book]\ntitle = "Siberia, Repeated"\nauthors = ["Folio Benchmark"]\nlanguage = "en"\n'
        f'slug = "generated"\ndate = "2026-11-28"\ncjk_punctuation = "normalize"\nchapters = [{listed}]\n\n[print]\ntrim = "6in x 9in"\n',
        encoding="utf-8")
    return names


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--pages", type=int, default=1000)
    args = parser.parse_args()
    print(f"{len(generate(args.out, args.pages))} chapters written to {args.out}")
