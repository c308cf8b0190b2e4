"""Read and validate `book.toml` into a frozen `Config`."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

from builder.diagnostics import ConfigError, Diagnostic, did_you_mean
from builder.paths import Refused, resolve_inside
from builder.profiles import PROFILES

# key: (expected type, required, what we tell the author is expected)
BOOK_KEYS = {
    "title": (str, True, "a string"),
    "subtitle": (str, False, "a string"),
    "authors": (list, True, "a list of at least one name, e.g. [\"Ada Lovelace\"]"),
    "language": (str, True, "a BCP 47 language tag such as \"en\" or \"zh-Hans\""),
    "identifier": (str, False, "a string such as \"urn:isbn:9780000000000\""),
    "publisher": (str, False, "a string"),
    "date": ((str, dt.date), False, "a date such as 2026-11-28"),
    "rights": (str, False, "a string"),
    "description": (str, False, "a string"),
    "slug": (str, False, "an ASCII file name stem such as \"my-book\""),
    "cjk_punctuation": (str, False, "\"keep\" (warn about half-width , : ; ? ! in CJK text) or \"normalize\" "
                        "(print them full-width)"),
    "writing_mode": (str, False, "\"horizontal-tb\" or \"vertical-rl\" (EPUB only: the print edition stays "
                     "horizontal)"),
    "cover": (str, False, "a PNG or JPEG file relative to the book folder, e.g. \"images/cover.jpg\""),
    "chapters": (list, True, "a list of chapter files relative to the book folder"),
}
PRINT_KEYS = {
    "trim": (str, False, "a trim size such as \"6in x 9in\" or \"148mm x 210mm\", from 3 in x 4 in to 24 in x 24 in"),
    "font_size": (str, False, "a length such as \"10.5pt\", from 6pt to 48pt"),
    "paper": (str, False, "\"white\" or \"cream\" (the paper stock: it sets the spine width of the cover)"),
    "bleed": (str, False, "a length such as \"0.125in\" or \"3mm\" (the bleed of profiles that have one)"),
}
# OpenCC configurations an edition may name, and the script its Chinese text is in afterwards.
CONVERSIONS = {"s2t": "zh-Hant", "s2tw": "zh-Hant", "s2twp": "zh-Hant", "s2hk": "zh-Hant",
               "t2s": "zh-Hans", "tw2s": "zh-Hans", "tw2sp": "zh-Hans", "hk2s": "zh-Hans"}
# "kepub" and "kindle" are store variants of the EPUB, made from the same rendering (builder/variants.py).
FORMATS = ("epub", "kepub", "kindle", "pdf")
EDITION_KEYS = {
    "format": (str, True, ", ".join(f'"{f}"' for f in FORMATS[:-1]) + f' or "{FORMATS[-1]}"'),
    "profile": (str, False, "a print profile: " + ", ".join(f'"{p}"' for p in PROFILES) + " (PDF editions only)"),
    "convert": (str, False, "an OpenCC conversion: " + ", ".join(f'"{c}"' for c in CONVERSIONS)),
    "obfuscate_fonts": (bool, False, "true or false (EPUB, kepub and kindle editions only)"),
}
TABLES = {"book": BOOK_KEYS, "print": PRINT_KEYS}
EDITION_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

# ISO 639-1: a two-letter primary language subtag is one of these ("jp" and "cn" are countries' codes, which
# readers and Ace refuse as languages); three letters (ISO 639-2/3) are taken as written.
ISO_639_1 = frozenset("""aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv
cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig
ii ik in io is it iu iw ja ji jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi
mk ml mn mo mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd
se sg sh si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa
wo xh yi yo za zh zu""".split())
LANG_RE = re.compile(r"^(?:" + "|".join(sorted(ISO_639_1)) + r"|[A-Za-z]{3})(-[A-Za-z0-9]{1,8})*$", re.IGNORECASE)
# Country codes written for languages, and the language meant.
LANG_MEANT = {"jp": "ja", "cn": "zh", "gr": "el", "dk": "da", "ua": "uk", "cz": "cs", "kp": "ko", "ir": "fa",
              "il": "he", "us": "en", "gb": "en"}


def lang_hint(tag: str) -> str:
    """"; did you mean 'ja'?" for a country's code written as a language ("jp", "cn-TW"), else ""."""
    primary = tag.strip().split("-")[0].lower()
    return f"; did you mean '{LANG_MEANT[primary]}'?" if primary in LANG_MEANT else ""
LENGTH_RE = r"(\d+(?:\.\d+)?)\s*(in|mm|cm|pt)"
TRIM_RE = re.compile(rf"^\s*{LENGTH_RE}\s*[x×]\s*{LENGTH_RE}\s*$")
FONT_SIZE_RE = re.compile(r"^\d+(\.\d+)?pt$")
MAX_TRIM_IN = 24
MIN_MEASURE_EM = 10  # the narrowest text block, in ems of the body type
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True)
class Edition:
    """One file the build makes: an EPUB, or a PDF laid out for one print profile."""

    name: str
    format: str  # one of FORMATS
    profile: str | None = None  # PDF only: a key of PROFILES
    convert: str | None = None  # an OpenCC configuration such as "s2twp", applied to this edition's text
    obfuscate_fonts: bool = False  # EPUB formats only: IDPF font obfuscation (EPUB OCF 3 §4.3)

    def file_name(self, slug: str) -> str:
        """`<slug>.epub` and `<slug>.pdf` for the two default editions, `<slug>-<name>.<ext>` for others."""
        # Kobo devices read a book with their kepub engine only when its name ends in `.kepub.epub`.
        ext = {"pdf": "pdf", "kepub": "kepub.epub"}.get(self.format, "epub")
        plain = (self.name, self.format) in (("epub", "epub"), ("print", "pdf"))
        return f"{slug}.{ext}" if plain else f"{slug}-{self.name}.{ext}"


# Without [editions.*] tables a book gets an EPUB and a print PDF for a generic offset press.
DEFAULT_EDITIONS = (Edition("epub", "epub"), Edition("print", "pdf", "press"))


@dataclass(frozen=True)
class Config:
    """What `book.toml` says, validated, with defaults filled in."""

    root: Path
    path: Path
    title: str
    authors: tuple[str, ...]
    language: str
    identifier: str
    chapters: tuple[Path, ...]
    slug: str
    subtitle: str = ""
    publisher: str = ""
    date: str = ""
    rights: str = ""
    description: str = ""
    cover: Path | None = None
    cjk_punctuation: str = "keep"
    writing_mode: str = "horizontal-tb"
    trim: tuple[str, str] = ("6in", "9in")
    font_size: str = "10.5pt"
    paper: str = "white"
    bleed_in: float | None = None  # [print] bleed, in inches, replacing the profile's when given
    editions: tuple[Edition, ...] = DEFAULT_EDITIONS


def load_config(book_dir: Path) -> Config:
    """Read `book_dir/book.toml`; raise ConfigError carrying every problem found."""
    root = book_dir.resolve()
    path = root / "book.toml"
    if not path.is_file():
        raise ConfigError(Diagnostic("error", "CFG003", f"no book.toml in {book_dir}", path).format())
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_toml_error(path, exc)) from None
    problems = list(_check_tables(path, text, data))
    if problems:
        raise ConfigError("\n".join(d.format() for d in problems))
    return _make_config(root, path, text, data)


def _toml_error(path: Path, exc: tomllib.TOMLDecodeError) -> str:
    """Turn tomllib's message `... (at line N, column M)` into our one-line form."""
    msg = str(exc)
    match = re.search(r"\(at line (\d+), column (\d+)\)", msg)
    line, col = (int(match.group(1)), int(match.group(2))) if match else (None, None)
    msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg) or "invalid TOML"
    return Diagnostic("error", "CFG001", msg, path, line, col).format()


def _check_tables(path: Path, text: str, data: dict):
    """Yield a diagnostic for each unknown, missing or mistyped key."""
    for table in data:
        if table == "editions" and isinstance(data[table], dict):
            yield from _check_editions(path, text, data[table])
        elif table not in TABLES or not isinstance(data[table], dict):
            yield _unknown(path, text, table, None, list(TABLES) + ["editions.<name>"])
    for table, keys in TABLES.items():
        values = data.get(table, {})
        if not isinstance(values, dict):
            continue
        for key in values:
            if key not in keys:
                yield _unknown(path, text, key, table, list(keys))
        for key, (kind, required, expected) in keys.items():
            if key not in values:
                if required:
                    yield Diagnostic("error", "CFG003", f"[{table}] needs '{key}': {expected}", path,
                                     *find_position(text, table, None))
                continue
            if not _valid(key, values[key], kind):
                hint = lang_hint(values[key]) if key == "language" and isinstance(values[key], str) else ""
                yield Diagnostic("error", "CFG004", f"[{table}] {key} must be {expected}, got {values[key]!r}{hint}",
                                 path, *find_position(text, table, key))
    yield from _check_measure(path, text, data.get("print"))


def _check_measure(path: Path, text: str, values):
    """A type size the trim's text block cannot hold MIN_MEASURE_EM of: words were broken across pages."""
    if not isinstance(values, dict) or not _valid("font_size", values.get("font_size", "10.5pt"), str) \
            or not _valid("trim", values.get("trim", "6in x 9in"), str):
        return
    width = to_inches(_parse_trim(values.get("trim", "6in x 9in"))[0]) - 1.5  # print.css side margins
    size = float(values.get("font_size", "10.5pt").removesuffix("pt"))
    if width * 72 < MIN_MEASURE_EM * size:
        yield Diagnostic("error", "CFG004", f"[print] font_size {size:g}pt is too large for the trim's {width:.2f} in "
                         f"text block ({width * 72 / size:.1f} em a line, where a line needs {MIN_MEASURE_EM}): use at "
                         f"most {width * 72 / MIN_MEASURE_EM:.0f}pt, or a wider trim",
                         path, *find_position(text, "print", "font_size"))


def _check_editions(path: Path, text: str, editions: dict):
    """Each `[editions.<name>]` has a plain name, a format, and a profile exactly when it is a PDF."""
    for name, values in editions.items():
        table = f"editions.{name}"
        if not isinstance(values, dict) or not EDITION_NAME_RE.match(name):
            yield Diagnostic("error", "CFG004", f"[{table}] must be a table named in lower-case ASCII letters, "
                             "digits, '-' or '_'", path, *find_position(text, table, None))
            continue
        for key in values:
            if key not in EDITION_KEYS:
                yield _unknown(path, text, key, table, list(EDITION_KEYS))
        fmt, profile = values.get("format"), values.get("profile")
        if fmt not in FORMATS:
            yield Diagnostic("error", "CFG003" if fmt is None else "CFG004", f"[{table}] format must be "
                             f"{EDITION_KEYS['format'][2]}; {'none is given' if fmt is None else f'got {fmt!r}'}",
                             path, *_key_or_table(text, table, "format"))
        elif fmt == "pdf" and profile not in PROFILES:
            given = ("none is given (the press profile is the default only of a book without [editions])"
                     if profile is None else f"got {profile!r}")
            yield Diagnostic("error", "CFG003" if profile is None else "CFG004", f"[{table}] profile must be "
                             f"{EDITION_KEYS['profile'][2]}; {given}", path,
                             *_key_or_table(text, table, "profile"))
        if "convert" in values and values["convert"] not in CONVERSIONS:
            yield Diagnostic("error", "CFG004", f"[{table}] convert must be {EDITION_KEYS['convert'][2]}, got "
                             f"{values['convert']!r}", path, *find_position(text, table, "convert"))
        if fmt in FORMATS[:-1] and profile is not None:
            yield Diagnostic("error", "CFG004", f"[{table}] an EPUB edition takes no profile", path,
                             *find_position(text, table, "profile"))
        yield from _check_obfuscation(path, text, table, values)


def _check_obfuscation(path: Path, text: str, table: str, values: dict):
    """`obfuscate_fonts` is a boolean, and only EPUB formats embed fonts a PDF would not."""
    if "obfuscate_fonts" not in values:
        return
    value, where = values["obfuscate_fonts"], find_position(text, table, "obfuscate_fonts")
    if not isinstance(value, bool):
        yield Diagnostic("error", "CFG004", f"[{table}] obfuscate_fonts must be "
                         f"{EDITION_KEYS['obfuscate_fonts'][2]}, got {value!r}", path, *where)
    elif values.get("format") == "pdf":
        yield Diagnostic("error", "CFG004", f"[{table}] obfuscate_fonts applies to EPUB, kepub and kindle "
                         "editions only: a PDF edition takes no obfuscate_fonts", path, *where)


def _unknown(path: Path, text: str, key: str, table: str | None, known: list[str]) -> Diagnostic:
    """Say which key is unknown and what was probably meant."""
    hint, expected = did_you_mean(key, known), ", ".join(known)
    if table is None:
        msg = f"unknown table [{key}]; {hint}expected one of: {expected}"
    else:
        msg = f"unknown key '{key}' in [{table}]; {hint}expected one of: {expected}"
    return Diagnostic("error", "CFG002", msg, path,
                      *(find_position(text, table, key) if table else find_position(text, key, None)))


def _valid(key: str, value: object, kind) -> bool:
    """Check the type and, for keys with a form, the form of one value."""
    if not isinstance(value, kind):
        return False
    if key in ("authors", "chapters"):
        return bool(value) and all(isinstance(v, str) and v.strip() for v in value)
    if key == "language":
        return bool(LANG_RE.match(value))
    if key == "trim":  # the page's margins take 1.5 in across and 1.6 in down: smaller trims leave no text block
        match = TRIM_RE.match(value)
        return bool(match) and 3 <= to_inches(match.group(1) + match.group(2)) <= MAX_TRIM_IN \
            and 4 <= to_inches(match.group(3) + match.group(4)) <= MAX_TRIM_IN
    if key == "font_size":
        return bool(FONT_SIZE_RE.match(value)) and 6 <= float(value.removesuffix("pt")) <= 48
    if key == "paper":
        return value in ("white", "cream")
    if key == "bleed":
        return bool(re.fullmatch(rf"\s*{LENGTH_RE}\s*", value)) and 0 < to_inches(value) <= 1
    if key == "cjk_punctuation":
        return value in ("keep", "normalize")
    if key == "writing_mode":
        return value in ("horizontal-tb", "vertical-rl")
    if key == "slug":
        return bool(SLUG_RE.match(value))
    if key == "date" and isinstance(value, str):
        return bool(re.match(r"^\d{4}(-\d{2}(-\d{2})?)?$", value))
    if isinstance(value, str):
        return bool(value.strip())
    return True


def find_line(text: str, table: str | None, key: str | None) -> int | None:
    """Find the 1-based line of `[table]` or of `key =` inside it (tomllib gives no positions)."""
    return find_position(text, table, key)[0]


def find_position(text: str, table: str | None, key: str | None) -> tuple[int | None, int | None]:
    """The 1-based line and column of the name in `[table]`, or of `key` in `key =` inside that table."""
    current = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        header = re.match(r"^\[\s*([^\]]+?)\s*\]", line)
        if header:
            current = header.group(1)
            if key is None and current == table:
                return number, raw.find(current) + 1
            continue
        if key and current == table and re.match(rf"^[\"']?{re.escape(key)}[\"']?\s*=", line):
            return number, len(raw) - len(raw.lstrip()) + 1
    return None, None


def _key_or_table(text: str, table: str, key: str) -> tuple[int | None, int | None]:
    """Where `key` is in `[table]`, else where the table is named: a missing key is the table's fault."""
    line, col = find_position(text, table, key)
    return (line, col) if line else find_position(text, table, None)


def _make_config(root: Path, path: Path, text: str, data: dict) -> Config:
    """Build the Config from validated data, deriving what was left out."""
    book, prt = data["book"], data.get("print", {})
    title, authors = book["title"].strip(), tuple(a.strip() for a in book["authors"])
    chapters = tuple(_chapter_path(root, path, text, rel) for rel in book["chapters"])
    _refuse_repeats(path, text, book["chapters"], chapters)
    width, height = _parse_trim(prt.get("trim", "6in x 9in"))
    return Config(
        root=root, path=path, title=title, authors=authors, language=book["language"],
        identifier=book.get("identifier") or derive_identifier(title, authors),
        chapters=chapters, slug=book.get("slug") or slugify(title, title + "|".join(authors)),
        subtitle=book.get("subtitle", ""), publisher=book.get("publisher", ""),
        date=str(book.get("date", "")), rights=book.get("rights", ""),
        description=book.get("description", ""), trim=(width, height),
        cjk_punctuation=book.get("cjk_punctuation", "keep"),
        writing_mode=book.get("writing_mode", "horizontal-tb"),
        cover=_cover_path(root, path, text, book["cover"]) if "cover" in book else None,
        font_size=prt.get("font_size", "10.5pt"),
        paper=prt.get("paper", "white"),
        bleed_in=to_inches(prt["bleed"]) if "bleed" in prt else None,
        editions=tuple(Edition(name, v["format"], v.get("profile"), v.get("convert"), v.get("obfuscate_fonts", False))
                       for name, v in data["editions"].items()) if data.get("editions") else DEFAULT_EDITIONS,
    )


def _chapter_path(root: Path, path: Path, text: str, rel: str) -> Path:
    """Resolve one chapter entry; it must be a file inside the book folder."""
    quoted = [f'"{rel}"', f"'{rel}'"]  # the entry as a TOML string: 'a.md' must not match "data.md"
    line, col = next(((n, raw.find(q) + 2) for n, raw in enumerate(text.splitlines(), 1) for q in quoted if q in raw),
                     (None, None))
    try:
        return resolve_inside(root, root, rel, "chapter")
    except Refused as exc:
        raise ConfigError(Diagnostic("error", "CFG005", f"chapter {exc}", path, line, col).format()) from None


def _refuse_repeats(path: Path, text: str, rels: list[str], chapters: tuple[Path, ...]) -> None:
    """A file listed twice would be two chapters, and a link to it could mean either."""
    seen: dict[Path, str] = {}
    for rel, chapter in zip(rels, chapters):
        if chapter not in seen:
            seen[chapter] = rel
            continue
        lines = [n for n, raw in enumerate(text.splitlines(), 1) if f'"{rel}"' in raw or f"'{rel}'" in raw]
        line = lines[1] if rel == seen[chapter] and len(lines) > 1 else (lines[0] if lines else None)
        also = "" if rel == seen[chapter] else f" (as '{seen[chapter]}')"
        raise ConfigError(Diagnostic("error", "CFG005", f"chapter '{rel}' is listed twice in chapters{also}; "
                                     "each file is one chapter", path, line).format())


def _cover_path(root: Path, path: Path, text: str, rel: str) -> Path:
    """The author's cover: a sound PNG or JPEG inside the book folder."""
    where = find_position(text, "book", "cover")
    try:
        cover = resolve_inside(root, root, rel, "image")
    except Refused as exc:
        raise ConfigError(Diagnostic("error", "CFG005", f"cover {exc}", path, *where).format()) from None
    suffix = cover.suffix.lower()
    from builder.imaging import check_raster  # Pillow loads only for a book with a cover image

    problem = check_raster(cover.read_bytes(), suffix) if suffix in (".png", ".jpg", ".jpeg") else \
        "is not a PNG or JPEG file"
    if problem:
        raise ConfigError(Diagnostic("error", "CFG004", f"cover '{rel}' {problem}", path, *where).format())
    return cover


def to_inches(length: str) -> float:
    """`"3mm"` → 0.1181…: a length in in, mm, cm or pt as inches."""
    number, unit = re.fullmatch(rf"\s*{LENGTH_RE}\s*", length).groups()
    return float(number) / {"in": 1, "mm": 25.4, "cm": 2.54, "pt": 72}[unit]


def _parse_trim(value: str) -> tuple[str, str]:
    """`"6in x 9in"` → ("6in", "9in")."""
    match = TRIM_RE.match(value)
    return f"{match.group(1)}{match.group(2)}", f"{match.group(3)}{match.group(4)}"


def derive_identifier(title: str, authors: tuple[str, ...]) -> str:
    """A stable URN derived from title and authors, so rebuilds keep the same identity."""
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "folio:" + title + "\x1f" + "\x1f".join(authors)))


def slugify(text: str, fallback_seed: str) -> str:
    """ASCII file-name stem; titles with no Latin letters get a short stable hash."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "book-" + uuid.uuid5(uuid.NAMESPACE_URL, fallback_seed).hex[:8]


def select_editions(config: Config, names: tuple[str, ...]) -> list[Edition]:
    """The editions asked for on the command line, in book.toml's order; an unknown name is a usage error."""
    known = {e.name: e for e in config.editions}
    for name in names:
        if name not in known:
            raise ConfigError(Diagnostic("error", "CFG002", f"unknown edition '{name}'; "
                                         f"{did_you_mean(name, known)}this book has: "
                                         + ", ".join(known), config.path).format())
    return [e for e in config.editions if not names or e.name in names]
