"""Plain-text chapters (`.txt`), including Aozora Bunko notation, turned into Markdown.

Chinese and Japanese books often arrive as plain text:
- hard-wrapped text (西遊記): the first non-blank line is the title, paragraphs are separated by blank
  lines (or lines of ideographic spaces), lines indented by eight spaces or four ideographic spaces are
  verse and keep their breaks, and prose lines join without a space between CJK characters (see
  markdown.text.render_softbreak);
- Aozora Bunko text (吾輩は猫である): one line is one paragraph; ruby `｜漢字《かんじ》` and `漢字《かんじ》`;
  annotations `［＃…］`: headings, emphasis dots, subscripts and indented blocks are honoured, the others
  are reported at their line and dropped.
`to_markdown` returns the Markdown and, for each of its lines, the line of the source it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Aozora notation: an annotation, or a kana reading in 《》 (Chinese uses 《》 for book titles: 《易》).
AOZORA = re.compile(r"［＃|《[\u3041-\u309f\u30a0-\u30ff]+》")
# Every ASCII mark that can start or end a Markdown construct ("=" underlines a setext heading) is escaped,
# so the text reads as written and markdown.parser.PLAIN_BLOCK_RULES suffice to parse it.
MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>&~=])")
VERSE = re.compile(r"^(?:\u3000{4,}| {8,})")
OPENING = "「『（《〈〔【﹁([{‘“"
LINE_START_MARKS = "，。、；：？！」』）》〉】〕…‥"  # what cannot start a line, so continues the one before
VERSE_LINE_ENDS = "，。、；：？！」』）》〉】〕…‥—﹐﹑﹒﹔﹕﹖﹗"  # a verse line ending otherwise was wrapped in the source
KANJI_RUN = "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff々〆〇ヶ※]+"  # ※: a gaiji left as is
RUBY_MARKED = re.compile(r"｜([^｜《》\n]+)《([^《》\n]+)》")
RUBY_KANJI = re.compile(f"({KANJI_RUN})《([^《》\\n]+)》")
NOTE = re.compile(r"［＃([^［］]*(?:［[^［］]*］[^［］]*)*)］")
# A gaiji: ※ and a note naming the character by its JIS X 0213 plane-row-cell (第3水準1-84-28, 1-6-84) or its
# code point (U+5F58); the escaping MD_SPECIAL added sits between the numbers.
GAIJI = re.compile(r"※［＃([^［］]*(?:［[^［］]*］[^［］]*)*)］")
GAIJI_JIS = re.compile(r"(?<![0-9])([12])\\?-([0-9]{1,2})\\?-([0-9]{1,2})(?![0-9])")
GAIJI_UNICODE = re.compile(r"U\\?\+([0-9A-Fa-f]{4,6})(?![0-9A-Fa-f])")
HEADING = re.compile(r"「([^」]+)」は[大中小]見出し")
BOUTEN = re.compile(r"「([^」]+)」に\S*傍[点線]")
SUBSCRIPT = re.compile(r"「([^」]+)」は下付き小文字")
SUPERSCRIPT = re.compile(r"「([^」]+)」は上付き小文字")


@dataclass
class Converted:
    """Markdown text, the source line of each of its lines, and what could not be honoured."""

    text: str
    lines: list[int]
    notes: list[tuple[int, str]] = field(default_factory=list)


def to_markdown(text: str) -> Converted:
    """Choose the reading by the notation the file uses."""
    if AOZORA.search(text):
        return _aozora(text)
    return _hard_wrapped(text)


def _hard_wrapped(text: str) -> Converted:
    """Paragraphs of lines up to a blank line. A run of verse lines keeps its line breaks and is a paragraph of
    its own (`{.verse}`, set as an indented block), unless the line before it ends with an opening bracket: then
    the bracket, the verse and what closes it stay one paragraph, as before."""
    lines, out, where = text.split("\n"), [], []
    verse, wrapped = _verse_lines(lines)
    titled, quoted = False, False

    def emit(markdown: str, number: int) -> None:
        out.append(markdown)
        where.append(number)

    for at, line in enumerate(lines):
        stripped, number = line.strip(" \t\u3000"), at + 1
        escaped = MD_SPECIAL.sub(r"\\\1", stripped)
        if not stripped or not titled:
            emit("# " + re.sub(r"[ \u3000]+", " ", escaped) if stripped else "", number)
            titled = titled or bool(stripped)
            continue
        before = lines[at - 1].strip(" \t\u3000")
        if verse[at] and not verse[at - 1]:  # a run of verse starts
            quoted = before[-1:] in tuple(OPENING) if before else False
            if not quoted:
                if before:
                    emit("", number)  # it ends the paragraph before it
                emit("{.verse}", number)
        elif not verse[at] and verse[at - 1] and not quoted:
            emit("", number)  # the first line after verse starts a paragraph
        emit(escaped + ("\\" if verse[at] and verse[at + 1] and not wrapped[at + 1] else ""), number)
    return Converted("\n".join(out), where)


def _verse_lines(lines: list[str]) -> tuple[list[bool], list[bool]]:
    """Which lines are verse, and which of those continue the line before them, whose end the source wrapped
    (`…偏有味` then `，老妻稚子團圓會。`, `…天際` then `彩雲開。`, indented or not); one more False at the end of
    each. A line opening with a bracket starts anew (西遊記's list of scriptures: `…七百四十八卷`, `《菩薩經》…`)."""
    verse = [bool(VERSE.match(line)) and bool(line.strip(" \t\u3000")) for line in lines] + [False]
    wrapped = [False] * len(verse)
    for at in range(1, len(lines)):
        stripped, before = lines[at].strip(" \t\u3000"), lines[at - 1].strip(" \t\u3000")
        if verse[at - 1] and stripped and stripped[0] not in OPENING and (
                stripped[0] in LINE_START_MARKS or before[-1] not in VERSE_LINE_ENDS):
            verse[at] = wrapped[at] = True
    return verse, wrapped


def _aozora(text: str) -> Converted:
    """One paragraph per line; notation turned into Folio's Markdown (ruby, spans, headings, quotes)."""
    result, titled, indented = Converted("", []), False, False
    out: list[str] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip(" \t")
        if not line.strip("\u3000"):
            continue
        body = MD_SPECIAL.sub(r"\\\1", line)
        kinds = [m.group(1) for m in NOTE.finditer(body)]
        if any(k.startswith("ここから") and "字下げ" in k for k in kinds):
            indented = True
        body, heading = _notes(body, number, result.notes)
        body = RUBY_KANJI.sub(r"{\1|\2}", RUBY_MARKED.sub(r"{\1|\2}", body)).strip().lstrip("\u3000")
        if body:
            if heading or not titled:
                body, titled = "# " + body if not titled else "## " + body, True
            elif indented:
                body = "> " + body
            out += [body, ""]
            result.lines += [number, number]
        if any(k.startswith("ここで") and "字下げ終わり" in k for k in kinds):
            indented = False
    result.text = "\n".join(out)
    return result


def _notes(body: str, number: int, notes: list[tuple[int, str]]) -> tuple[str, bool]:
    """Apply the annotations Folio honours; report and drop the rest. Returns the text and 'is a heading'."""
    heading = False

    def apply(match: re.Match) -> str:
        nonlocal heading
        note = match.group(1)
        if HEADING.search(note):
            heading = True
            return ""
        if re.fullmatch(r"(ここから|ここで)?[０-９0-9]*字(下げ|上げ)(終わり)?|地から[０-９0-9]*字上げ|地付き", note):
            return ""  # position hints: headings and indented blocks carry them already
        note = note.replace("\\", "")  # undo the Markdown escaping for the message
        if "水準" in note or "U+" in note.upper():
            notes.append((number, f"character ［＃{note}］ is outside the text's character set (Aozora gaiji) "
                                  "and stays shown as ※"))
        else:
            notes.append((number, f"Aozora annotation ［＃{note}］ is not honoured and is left out"))
        return ""

    body = GAIJI.sub(lambda m: MD_SPECIAL.sub(r"\\\1", gaiji(m.group(1)) or "") or m.group(), body)
    for pattern, wrap in ((BOUTEN, lambda t: f"[{t}]{{.bouten}}"), (SUBSCRIPT, lambda t: f"<sub>{t}</sub>"),
                          (SUPERSCRIPT, lambda t: f"<sup>{t}</sup>")):
        body = _mark_preceding(body, pattern, wrap)
    return NOTE.sub(apply, body), heading


def gaiji(note: str) -> str | None:
    """The character an Aozora gaiji note names by code point or by JIS X 0213 plane-row-cell (Python's
    EUC-JIS-2004 codec holds that table), if any."""
    code = note.rsplit("」", 1)[-1]  # after the character's description, which may hold numbers
    if found := GAIJI_UNICODE.search(code):
        value = int(found.group(1), 16)
        return chr(value) if value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF else None
    if found := GAIJI_JIS.search(code):
        plane, row, cell = map(int, found.groups())
        if 1 <= row <= 94 and 1 <= cell <= 94:
            raw = bytes([0xA0 + row, 0xA0 + cell])
            try:
                return (raw if plane == 1 else b"\x8f" + raw).decode("euc_jis_2004")
            except UnicodeDecodeError:
                return None
    return None


def _mark_preceding(body: str, pattern: re.Pattern, wrap) -> str:
    """`X［＃「X」に傍点］` → wrap(X): the note names the text just before it."""
    out, pos = [], 0
    for match in NOTE.finditer(body):
        inner = pattern.fullmatch(match.group(1))
        before = body[pos:match.start()]
        if inner and before.endswith(inner.group(1)):
            out.append(before[: -len(inner.group(1))] + wrap(inner.group(1)))
            pos = match.end()
    out.append(body[pos:])
    return "".join(out)
