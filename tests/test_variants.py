"""Store variants and font obfuscation: a kepub, a Kindle EPUB and an obfuscated EPUB from one build."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest
from fontTools.ttLib import TTFont, TTLibError

from builder.config import load_config
from builder.diagnostics import ConfigError
from builder.render import Document
from builder.variants import kindle_css, kindle_documents
from helpers import NS, build_sample_with, epub_members, epubcheck, xml

EDITIONS = """
[editions.kobo]
format = "kepub"

[editions.kindle]
format = "kindle"

[editions.ebook]
format = "epub"
obfuscate_fonts = true
"""
OBFUSCATION = "http://www.idpf.org/2008/embedding"
EMOJI_FAMILY = "Noto Color Emoji"
# The family each embedded font must name once read back (file names are Folio's: family without spaces).
FAMILIES = {"NotoSerif": "Noto Serif", "NotoSerifCJKSC": "Noto Serif CJK SC", "NotoColorEmoji": EMOJI_FAMILY}
KOBO_ID = re.compile(r"^kobo\.(\d+)\.(\d+)$")


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    """The sample book built once with a kepub, a Kindle and an obfuscated EPUB edition."""
    out = build_sample_with(tmp_path_factory.mktemp("variants"), EDITIONS)
    return {name: out / f"when-siberia-calls-{name}" for name in ("kobo.kepub.epub", "kindle.epub", "ebook.epub")}


def test_each_variant_is_written_under_its_store_name(variants):
    assert all(path.is_file() for path in variants.values()), sorted(p.name for p in variants.values())


@pytest.fixture(scope="module")
def reports(variants, java, tmp_path_factory):
    """EPUBCheck's exit code and report for each edition, the three runs side by side (each takes seconds)."""
    out = tmp_path_factory.mktemp("epubcheck")
    with ThreadPoolExecutor(len(variants)) as pool:
        runs = {name: pool.submit(epubcheck, path, out / f"{name}.json") for name, path in variants.items()}
        return {name: run.result() for name, run in runs.items()}


@pytest.mark.parametrize("name", ["kobo.kepub.epub", "kindle.epub", "ebook.epub"])
def test_epubcheck_reports_nothing(variants, reports, name):
    code, report = reports[name]
    messages = [f"{m['severity']} {m['ID']}: {m['message']}" for m in report.get("messages", [])]
    assert code == 0, messages
    assert (report["checker"]["nFatal"], report["checker"]["nError"], report["checker"]["nWarning"]) == (0, 0, 0)
    # EPUBCheck cannot read an obfuscated font and says so (INFO RSC-004): exactly once per font, nothing else.
    fonts = sorted(n for n in epub_members(variants[name]) if "/fonts/" in n) if name == "ebook.epub" else []
    assert sorted(m["locations"][0]["path"] for m in report["messages"] if m["ID"] == "RSC-004") == fonts
    assert [m for m in messages if "RSC-004" not in m] == [], messages


def _opf(members: dict[str, bytes]):
    container = xml(members["META-INF/container.xml"])
    path = container.xpath("//*[local-name()='rootfile']/@full-path")[0]
    return path.rsplit("/", 1)[0] + "/", xml(members[path])


def _chapters(members: dict[str, bytes]) -> dict[str, object]:
    """The parsed chapter documents, by member name."""
    docs = {name: xml(data) for name, data in members.items() if name.endswith(".xhtml")}
    return {name: root for name, root in docs.items() if root.xpath("//x:section[@epub:type='chapter']", namespaces=NS)}


def _text(root) -> str:
    return "".join(root.xpath("//x:body//text()", namespaces=NS))


# --- kepub -------------------------------------------------------------------------------------------

def test_kepub_wraps_every_text_of_the_chapters_in_kobo_spans(variants):
    chapters = _chapters(epub_members(variants["kobo.kepub.epub"]))
    assert len(chapters) == 2
    for name, root in chapters.items():
        texts = root.xpath("//x:body//text()[normalize-space()]", namespaces=NS)
        assert texts, name
        bare = [t for t in texts if not t.getparent().xpath("ancestor-or-self::x:span[@class='koboSpan']",
                                                              namespaces=NS)]
        assert bare == [], (name, bare[:5])


def test_kepub_span_ids_are_unique_and_in_document_order(variants):
    for name, root in _chapters(epub_members(variants["kobo.kepub.epub"])).items():
        ids = root.xpath("//x:span[@class='koboSpan']/@id", namespaces=NS)
        numbers = [tuple(int(g) for g in KOBO_ID.match(i).groups()) for i in ids]
        assert len(set(ids)) == len(ids), name
        assert numbers == sorted(numbers), name
        assert all(seg >= 1 for _, seg in numbers)
        # Sentences are segments: some paragraph holds several, English and Chinese alike.
        counts = [len(p.xpath(".//x:span[@class='koboSpan']", namespaces=NS))
                  for p in root.xpath("//x:p", namespaces=NS)]
        assert max(counts) > 1, name


def test_kepub_wraps_the_body_in_book_columns_and_book_inner(variants):
    members = epub_members(variants["kobo.kepub.epub"])
    for name, data in members.items():
        if not name.endswith(".xhtml"):
            continue
        body = xml(data).xpath("//x:body", namespaces=NS)[0]
        assert [c.get("id") for c in body] == ["book-columns"], name
        assert [c.get("id") for c in body[0]] == ["book-inner"], name
        assert not (body.text or "").strip() and len(body[0][0]) > 0, name


def test_kepub_text_is_the_plain_editions_text(variants):
    plain = _chapters(epub_members(variants["ebook.epub"]))
    kobo = _chapters(epub_members(variants["kobo.kepub.epub"]))
    assert sorted(plain) == sorted(kobo)
    for name in plain:
        assert re.sub(r"\s+", " ", _text(kobo[name])).strip() == re.sub(r"\s+", " ", _text(plain[name])).strip()


# --- kindle ------------------------------------------------------------------------------------------

def test_kindle_links_every_stylesheet_as_text_css(variants):
    members = epub_members(variants["kindle.epub"])
    links = [link for name, data in members.items() if name.endswith(".xhtml")
             for link in xml(data).xpath("//x:link[contains(concat(' ', @rel, ' '), ' stylesheet ')]", namespaces=NS)]
    assert links and all(link.get("type") == "text/css" for link in links)


def test_kindle_css_has_no_fixed_position_and_no_emoji_font(variants):
    members = epub_members(variants["kindle.epub"])
    css = members["EPUB/css/book.css"].decode()
    assert not re.search(r"position\s*:\s*fixed", css, re.I)
    faces = re.findall(r"@font-face\s*\{[^}]*\}", css)
    assert faces and not any(EMOJI_FAMILY in face for face in faces)
    assert EMOJI_FAMILY not in css
    assert "🤝" in _text(_chapters(members)["EPUB/ch-02.xhtml"]), "the emoji stay in the text for Kindle to draw"


def test_kindle_embeds_only_opentype_and_truetype_fonts(variants):
    members = epub_members(variants["kindle.epub"])
    folder, opf = _opf(members)
    fonts = opf.xpath("//opf:manifest/opf:item[starts-with(@media-type, 'font/') or contains(@href, 'fonts/')]",
                      namespaces=NS)
    assert fonts
    for item in fonts:
        assert item.get("media-type") in ("font/ttf", "font/otf") and item.get("href").endswith((".ttf", ".otf"))
        assert not item.get("href").startswith("fonts/NotoColorEmoji")
        TTFont(io.BytesIO(members[folder + item.get("href")]))  # a real font, not obfuscated


def test_kindle_has_cover_metadata_and_an_html_toc(variants):
    members = epub_members(variants["kindle.epub"])
    folder, opf = _opf(members)
    cover_id = opf.xpath("//opf:metadata/opf:meta[@name='cover']/@content", namespaces=NS)
    assert len(cover_id) == 1
    cover = opf.xpath(f"//opf:manifest/opf:item[@id='{cover_id[0]}']", namespaces=NS)[0]
    assert cover.get("media-type").startswith("image/") and folder + cover.get("href") in members
    nav = opf.xpath("//opf:manifest/opf:item[contains(concat(' ', @properties, ' '), ' nav ')]", namespaces=NS)[0]
    assert opf.xpath(f"//opf:spine/opf:itemref[@idref='{nav.get('id')}']", namespaces=NS), "the HTML TOC is read"
    assert opf.xpath("//opf:guide/opf:reference[@type='toc']/@href", namespaces=NS) == [nav.get("href")]
    toc = xml(members[folder + nav.get("href")])
    hrefs = toc.xpath("//x:nav[@epub:type='toc']//x:a/@href", namespaces=NS)
    assert {h.split("#")[0] for h in hrefs} == {n.removeprefix(folder) for n in _chapters(members)}


def test_kindle_transforms_change_what_the_rules_forbid():
    doc = Document("a.xhtml", "A", "en", '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
                   '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>A</title>'
                   '<link rel="stylesheet" href="css/book.css"/></head><body><p>a</p></body></html>', "chapter")
    out = kindle_documents([doc])[0].xhtml
    assert xml(out.encode()).xpath("//x:link/@type", namespaces=NS) == ["text/css"]
    assert out.startswith("<?xml") and "<!DOCTYPE html>" in out
    css = kindle_css("header { position: fixed; top: 0 }\n.a { position:FIXED !important }\n.b { position: static }")
    assert not re.search(r"fixed", css, re.I) and "top: 0" in css and "position: static" in css


# --- font obfuscation --------------------------------------------------------------------------------

def _identifier(members: dict[str, bytes]) -> str:
    _, opf = _opf(members)
    uid = opf.get("unique-identifier")
    return opf.xpath(f"//dc:identifier[@id='{uid}']/text()", namespaces=NS)[0]


def _deobfuscate(data: bytes, identifier: str) -> bytes:
    """EPUB OCF 3 §4.3, written out again here: XOR 1040 bytes with SHA-1 of the identifier sans white space."""
    key = hashlib.sha1(re.sub("[\u0020\u0009\u000d\u000a]", "", identifier).encode()).digest()
    return bytes(b ^ key[i % 20] for i, b in enumerate(data[:1040])) + data[1040:]


def test_obfuscated_fonts_are_listed_in_encryption_xml(variants):
    members = epub_members(variants["ebook.epub"])
    fonts = sorted(n for n in members if "/fonts/" in n)
    assert len(fonts) >= 3
    enc = xml(members["META-INF/encryption.xml"])
    ns = {"enc": "http://www.w3.org/2001/04/xmlenc#"}
    assert enc.xpath("//enc:EncryptionMethod/@Algorithm", namespaces=ns) == [OBFUSCATION] * len(fonts)
    assert sorted(enc.xpath("//enc:CipherReference/@URI", namespaces=ns)) == fonts
    with zipfile.ZipFile(variants["ebook.epub"]) as zf:
        names = zf.namelist()
    assert names[:3] == ["mimetype", "META-INF/container.xml", "META-INF/encryption.xml"]


def test_obfuscated_fonts_read_back_only_with_the_key(variants):
    members = epub_members(variants["ebook.epub"])
    plain = epub_members(variants["kobo.kepub.epub"])  # the same text, so the same subsets, not obfuscated
    identifier = _identifier(members)
    for name in (n for n in members if "/fonts/" in n):
        with pytest.raises(TTLibError):
            TTFont(io.BytesIO(members[name]))
        data = _deobfuscate(members[name], identifier)
        font = TTFont(io.BytesIO(data))
        family = font["name"].getDebugName(16) or font["name"].getDebugName(1)
        assert family == FAMILIES[name.rsplit("/", 1)[1].split("-")[0]], name
        assert data == plain[name], f"{name}: every byte restored, not only enough to open it"


@pytest.mark.parametrize("name", ["kobo.kepub.epub", "kindle.epub"])
def test_without_the_key_nothing_is_obfuscated(variants, name):
    members = epub_members(variants[name])
    assert "META-INF/encryption.xml" not in members
    fonts = [n for n in members if "/fonts/" in n]
    assert fonts
    for font in fonts:
        TTFont(io.BytesIO(members[font]))["name"]


# --- configuration -----------------------------------------------------------------------------------

@pytest.mark.parametrize("table, line, words", [
    ('[editions.x]\nformat = "pdf"\nprofile = "kdp"\nobfuscate_fonts = true\n', 4, "PDF edition takes no"),
    ('[editions.x]\nformat = "epub"\nobfuscate_fonts = "yes"\n', 3, "obfuscate_fonts must be true or false"),
    ('[editions.x]\nformat = "mobi"\n', 2, 'format must be "epub", "kepub", "kindle" or "pdf"'),
    ('[editions.x]\nformat = "kindle"\nprofile = "kdp"\n', 3, "takes no profile"),
])
def test_variant_mistakes_are_located_config_errors(tmp_path, table, line, words):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "01.md").write_text("# T\n\ntext\n")
    (tmp_path / "book.toml").write_text('[book]\ntitle = "T"\nauthors = ["A"]\nlanguage = "en"\n'
                                        'chapters = ["chapters/01.md"]\n' + table)
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert re.search(rf"book\.toml:{line + 5}:1: error\[CFG004\]: .*{re.escape(words)}", str(err.value)), err.value


def test_store_variants_are_named_for_their_stores(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "01.md").write_text("# T\n\ntext\n")
    (tmp_path / "book.toml").write_text('[book]\ntitle = "T"\nauthors = ["A"]\nlanguage = "en"\n'
                                        'chapters = ["chapters/01.md"]\n' + EDITIONS)
    editions = load_config(tmp_path).editions
    assert [e.file_name("t") for e in editions] == ["t-kobo.kepub.epub", "t-kindle.epub", "t-ebook.epub"]
    assert [e.obfuscate_fonts for e in editions] == [False, False, True]
