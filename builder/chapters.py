"""Turn chapter sources into `Chapter` models: front matter, language, parsed tokens and what the chapter passes
find in them, kept in the cache per chapter."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import re
from pathlib import Path

from builder.cache import memo_folder, memo_lookup, memo_store, tool_digest
from builder.config import LANG_RE, Config, lang_hint
from builder.diagnostics import Reporter, did_you_mean
from builder.loader import Source
from builder.markdown import (MAX_NESTING, cut_table_rows, map_columns, nesting_overflow, note_problems, parse_markdown,
                              ruby_problems)
from builder.plaintext import to_markdown
from builder.model import DIVISIONS, IMPORTED_SUFFIXES, Chapter, Heading, Ref
from builder.transforms import TOKEN_PASSES, PassContext, run_chapter_passes
from builder.transforms.headings import rename_ids
from builder.transforms.links import mark_refs

FRONT_MATTER_KEYS = {"title": str, "lang": str, "type": str}
FILE_NAME_RE = re.compile(r"[\w.-]+\.(?:x?html?|xml)", re.IGNORECASE)
SURROGATE = re.compile("[\ud800-\udfff]")  # YAML's "\ud800" escapes make them; no file can hold one
MAX_FRONT_MATTER = 16 * 1024  # title and lang need a few lines; a huge block is an attack or an accident
# A first `---` line, then a `key:` line: front matter, not a thematic break.
UNCLOSED_FRONT_MATTER_RE = re.compile(r"---[ \t]*\r?\n[A-Za-z_][\w-]*[ \t]*:")


def read_chapters(config: Config, sources: list[Source], ctx: PassContext, progress=None) -> list[Chapter]:
    """Parse and check each chapter on its own, or take its facts and findings from the cache when its source,
    the settings and Folio are unchanged: an edit then parses one chapter, and the others only if their tokens
    are asked for (to render a chapter the cache does not hold)."""
    folder = memo_folder(config.root, "read")
    # What reading a chapter depends on besides its source and Folio: an edit elsewhere in book.toml (a chapter
    # added, the date) keeps every chapter's facts.
    name, data = memo_lookup(folder, ("read", tool_digest(), str(config.root), config.language, config.title,
                                      config.cjk_punctuation))
    known = json.loads(data) if data else {}
    stored, kept = set(known), {}
    chapters = []
    for index, source in enumerate(sources, start=1):
        if progress:
            progress.count(index, len(sources), f"parsing {source.rel}")
        digest = hashlib.sha256(source.text.encode("utf-8")).hexdigest()  # keys the rendered-chapter cache too
        key = f"{index}\t{source.rel}\t{digest}"
        if key in known:
            chapter = _from_facts(known[key], index, source, digest)
            for method, code, message, path, line, col in known[key]["said"]:
                where = source.path if path == "" else Path(path) if path else None
                getattr(ctx.reporter, method)(code, message, where, line, col=col)
        else:
            chapter, said = _read_chapter(config, source, index, digest, ctx)
            known[key] = _facts(chapter, said)
        chapter.reread = functools.partial(_reread, config, source)
        kept[key] = known[key]
        chapters.append(chapter)
    if kept.keys() != stored:  # a chapter read, or one no longer in the book
        memo_store(folder, name, json.dumps(kept).encode("ascii"))  # ASCII: a lone surrogate escaped too
    return chapters


def _read_chapter(config: Config, source: Source, index: int, digest: str,
                  ctx: PassContext) -> tuple[Chapter, list[tuple]]:
    """Parse one chapter and run the chapter passes over it; return it with what they said of it."""
    recorder = _Recorder(ctx.reporter, source.path)
    meta, tokens = _parse_source(config, source, recorder)
    chapter = Chapter(index, source.path, source.rel, meta.get("lang", config.language), tokens, meta,
                      digest=digest)
    run_chapter_passes(chapter, config, dataclasses.replace(ctx, reporter=recorder))
    chapter.size = sum(len(tok.content) for tok in tokens)
    return chapter, recorder.said


def _reread(config: Config, source: Source, chapter: Chapter) -> list:
    """A cached chapter's tokens: parsed again and adjusted by the passes that change tokens, quietly (what they
    say was said when the chapter was first read), and marked with the links pass's findings."""
    quiet = _Recorder(None, source.path)
    _, tokens = _parse_source(config, source, quiet)
    again = dataclasses.replace(chapter, parsed=tokens, headings=[], extra_langs=[], ids_given=[], refs=[])
    run_chapter_passes(again, config, PassContext(quiet, None), TOKEN_PASSES)
    for heading, parsed in zip(chapter.headings, again.headings):
        heading.token = parsed.token
    rename_ids(tokens, chapter.renamed)
    mark_refs(chapter.refs, tokens)
    return tokens


def _parse_source(config: Config, source: Source, reporter) -> tuple[dict, list]:
    """A chapter's front matter (or what an imported file says of itself) and its tokens."""
    if source.path.suffix.lower() in IMPORTED_SUFFIXES:  # builder.xhtml loads only for them
        meta, parsed = _parse_xhtml(source, config.language, reporter)
        if _placeholder_title(meta.get("title", ""), source, config.title) and \
                any(tok.type == "heading_open" for tok in parsed.tokens):
            meta.pop("title")  # the first heading names the chapter instead
    else:
        front, front_line = _peek_front_matter(source.text)
        if front is None and UNCLOSED_FRONT_MATTER_RE.match(source.text):
            reporter.error("SRC002", "front matter opened here is never closed by a `---` line: its keys "
                           "would be printed as text", source.path, 1)
        meta = _read_front_matter(source, front, front_line, reporter)
        parsed = _parse(source, meta.get("lang", config.language), reporter)
    overflow = nesting_overflow(parsed.tokens)
    if overflow:
        reporter.error("SRC007", f"blocks nest more than {MAX_NESTING - 1} levels deep here; "
                       "the parser would drop the rest of the chapter", source.path, overflow)
    return meta, parsed.tokens


class _Recorder:
    """A reporter for one chapter's passes: it passes on what they say (when it has a reporter to pass it to)
    and keeps it, to be said again when the chapter's facts come from the cache."""

    def __init__(self, reporter: Reporter | None, path: Path):
        self.reporter, self.path, self.said = reporter, path, []

    def error(self, code: str, message: str, path: Path | None = None, line: int | None = None, *,
              col: int | None = None) -> None:
        self._say("error", code, message, path, line, col)

    def warning(self, code: str, message: str, path: Path | None = None, line: int | None = None, *,
                col: int | None = None) -> None:
        self._say("warning", code, message, path, line, col)

    def _say(self, method: str, code: str, message: str, path: Path | None, line: int | None,
             col: int | None) -> None:
        where = "" if path == self.path else None if path is None else str(path)  # "": the chapter, as it is then
        self.said.append((method, code, message, where, line, col))
        if self.reporter is not None:
            getattr(self.reporter, method)(code, message, path, line, col=col)


def _facts(chapter: Chapter, said: list[tuple]) -> dict:
    """What the passes found in a chapter, as the cache keeps it (JSON)."""
    return {"meta": chapter.front_matter, "lang": chapter.lang, "title": chapter.title,
            "title_line": chapter.title_line, "size": chapter.size, "extra_langs": chapter.extra_langs,
            "headings": [(h.level, h.text, h.id, h.line, h.explicit) for h in chapter.headings],
            "ids_given": chapter.ids_given, "said": said,
            "refs": [(r.kind, r.value, r.line, r.col, r.naming, r.alt, r.decorative) for r in chapter.refs]}


def _from_facts(facts: dict, index: int, source: Source, digest: str) -> Chapter:
    """A chapter from its cached facts, its tokens not parsed."""
    return Chapter(index, source.path, source.rel, facts["lang"], None, facts["meta"], title=facts["title"],
                   title_line=facts["title_line"], extra_langs=facts["extra_langs"], digest=digest,
                   headings=[Heading(level, text, ident, line, None, explicit)
                             for level, text, ident, line, explicit in facts["headings"]],
                   ids_given=[(ident, line) for ident, line in facts["ids_given"]], size=facts["size"],
                   refs=[Ref(*ref) for ref in facts["refs"]])


def _parse(source: Source, lang: str, reporter: Reporter):
    """Markdown is parsed as written; plain text is converted first, and token lines mapped back to it."""
    if source.path.suffix.lower() != ".txt":
        parsed = parse_markdown(source.text, lang)
        map_columns(parsed.tokens, source.text)  # only Markdown's lines are the file's: columns are known
        for line, cells, header in cut_table_rows(parsed.tokens, source.text):
            reporter.error("SRC010", f"this table row has {cells} cells and its header {header}: the last "
                           f"{cells - header} would be dropped with their text; add header cells, or write "
                           "`\\|` for a `|` inside a cell", source.path, line)
        for line, col, message in note_problems(parsed, source.text):
            reporter.warning("SRC011", message, source.path, line, col=col)
        for line, col, message in ruby_problems(parsed):
            reporter.warning("SRC012", message, source.path, line, col=col)
        return parsed
    converted = to_markdown(source.text)
    for line, message in converted.notes:
        reporter.warning("AOZ001", message, source.path, line)
    return _map_lines(parse_markdown(converted.text, lang, plain=True, typeset=False), converted.lines)


def _map_lines(parsed, lines: list[int]):
    """Point token lines, 0-based [start, end) in converted Markdown, at the same in the author's file."""
    last = len(lines) - 1
    for tok in parsed.tokens:
        if tok.map and last >= 0:
            tok.map = [lines[min(tok.map[0], last)] - 1, lines[min(tok.map[1] - 1, last)]]
    return parsed


def _placeholder_title(title: str, source: Source, book_title: str) -> bool:
    """A <title> another tool filled in: Pandoc's EPUB writes the file's name, Calibre the book's title."""
    return bool(title) and (title in (source.path.name, source.path.stem, book_title)
                            or bool(FILE_NAME_RE.fullmatch(title)))


def _parse_xhtml(source: Source, book_lang: str, reporter: Reporter):
    """An XHTML or HTML chapter: its body as Markdown; `<title>` and `xml:lang` play the front matter's part."""
    from builder import xhtml

    try:
        converted = xhtml.to_markdown(source.text, as_html=source.path.suffix.lower() != ".xhtml")
    except xhtml.XhtmlError as exc:
        reporter.error("XHT001", str(exc), source.path, exc.line)
        return {"title": source.path.stem}, parse_markdown("", book_lang)
    for line, code, message in converted.notes:
        reporter.warning(code, message, source.path, line)
    meta = {"title": converted.title} if converted.title else {}
    meta.update({key: value for key, value in (("type", converted.division), ("matter", converted.matter)) if value})
    if converted.lang and LANG_RE.match(converted.lang):
        meta["lang"] = converted.lang
    elif converted.lang:
        reporter.error("SRC003", f"xml:lang must be a BCP 47 tag such as zh-Hans, got {converted.lang!r}"
                       f"{lang_hint(converted.lang)}",
                       source.path, 1)
    parsed = parse_markdown(converted.text, meta.get("lang", book_lang), typeset=False)
    return meta, _map_lines(parsed, converted.lines)


def _peek_front_matter(text: str) -> tuple[str | None, int]:
    """Front matter text between the opening and closing `---` lines, if present."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return None, 1
    for end in range(1, len(lines)):
        if lines[end].rstrip() in ("---", "..."):
            return "\n".join(lines[1:end]), 1
    return None, 1


def _read_front_matter(source: Source, text: str | None, line: int, reporter: Reporter) -> dict:
    """Safely load YAML front matter and keep only known, well-typed keys."""
    if not text or not text.strip():
        return {}
    if len(text) > MAX_FRONT_MATTER:
        reporter.error("SRC002", f"front matter is longer than {MAX_FRONT_MATTER} characters", source.path, line)
        return {}
    import yaml  # only chapters with front matter need it: importing it costs every build 10 ms

    try:
        if any(isinstance(e, yaml.AliasEvent) for e in yaml.parse(text, Loader=yaml.SafeLoader)):
            reporter.error("SRC002", "front matter may not use YAML aliases (*name)", source.path, line)
            return {}
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        # The front matter starts on the line after `---`, unindented: PyYAML's 0-based mark maps directly.
        where, col = (line + 1 + mark.line, mark.column + 1) if mark else (line, None)
        reporter.error("SRC002", f"front matter is not valid YAML: {getattr(exc, 'problem', exc)}",
                       source.path, where, col=col)
        return {}
    if not isinstance(data, dict):
        reporter.error("SRC002", "front matter must be a mapping of keys to values", source.path, line)
        return {}
    seen = set()
    for key, _ in yaml.compose(text, Loader=yaml.SafeLoader).value:  # PyYAML keeps the last silently
        if key.value in seen:
            reporter.error("SRC002", f"front matter key '{key.value}' is given twice", source.path,
                           line + 1 + key.start_mark.line, col=key.start_mark.column + 1)
        seen.add(key.value)
    return _check_front_matter(source, data, text, line, reporter)


def _check_front_matter(source: Source, data: dict, text: str, line: int, reporter: Reporter) -> dict:
    """Report unknown keys and wrong types, naming the key, its line and column, and what was meant."""
    meta = {}
    for key, value in data.items():
        found = _key_line(text, key)
        where, col = (line + 1 + found, 1) if found is not None else (line + 1, None)
        kind = FRONT_MATTER_KEYS.get(key)
        if kind is None:
            reporter.error("SRC003", f"unknown front matter key '{key}'; {did_you_mean(key, FRONT_MATTER_KEYS)}"
                           "expected one of: "
                           + ", ".join(FRONT_MATTER_KEYS), source.path, where, col=col)
        elif isinstance(value, str) and SURROGATE.search(value):
            reporter.error("SRC003", f"front matter '{key}' holds U+{ord(SURROGATE.search(value).group()):04X}, half "
                           "of a character's UTF-16 pair (a YAML escape such as \\ud83d): write the character "
                           "itself", source.path, where, col=col)
            if key == "title":  # said once: a second error that the chapter has no title would add nothing
                meta[key] = SURROGATE.sub("\ufffd", value)
        elif not isinstance(value, kind) or not str(value).strip():
            hint = f": quote it, {key}: \"{value}\"" if isinstance(value, (int, float, dt.date)) else ""
            reporter.error("SRC003", f"front matter '{key}' must be a non-empty string{hint}", source.path, where,
                           col=col)
            if key == "title":  # said once: a second error that the chapter has no title would add nothing
                meta[key] = str(value).strip() or source.path.stem
        elif key == "lang" and not LANG_RE.match(value):
            reporter.error("SRC003", f"front matter 'lang' must be a BCP 47 tag such as zh-Hans, got {value!r}"
                           f"{lang_hint(value)}",
                           source.path, where, col=col)
        elif key == "type" and value.strip() not in DIVISIONS:
            reporter.error("SRC003", f"front matter 'type' {value!r} is not a division Folio knows; "
                           f"{did_you_mean(value.strip(), DIVISIONS)}expected one of: " + ", ".join(DIVISIONS),
                           source.path, where, col=col)
        else:
            meta[key] = value.strip()
    return meta


def _key_line(text: str, key: object) -> int | None:
    """The 0-based line of the front matter where top-level `key:` is written, quoted or not."""
    pattern = re.compile(rf"[\"']?{re.escape(str(key))}[\"']?\s*:")
    return next((i for i, raw in enumerate(text.split("\n")) if pattern.match(raw)), None)
