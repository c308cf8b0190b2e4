"""The tagged PDF's structure, in WeasyPrint 70 (pinned in pyproject.toml): decorative images and languages.

- The engine tags every image a Figure, and a Figure must carry its alternative text (PDF/UA-1 7.3): an image
  the author marked decorative (`![](rule.png){.decorative}`, `alt=""`) became a Figure without one, and the
  engine logged that it had "no required alt description" (PDF001) against the author who had done the right
  thing. Such an image's structure element is NonStruct instead: nothing to announce, as `alt=""` asks.
- The engine writes no `Lang` in the structure tree, only the document's: a Chinese chapter or a French phrase
  in an English book was read with the English voice (PDF/UA-1 7.2). An element with its own `lang` gives it
  to its structure element.
- Running heads and folios were marked content with structure elements the tree never reached (their parent
  did not list them): neither real content nor an artifact (PDF/UA-1 7.1). What the margin boxes draw is an
  Artifact now, as a page's furniture is, and has no structure element.
"""

from __future__ import annotations

import contextlib

import pydyf
from weasyprint import document as engine_document
from weasyprint.formatting_structure.boxes import MarginBox
from weasyprint.pdf import tags
from weasyprint.pdf.stream import Stream

_original = tags._build_box_tree
_original_draw_page = engine_document.draw_page
_original_marked = Stream.marked
_IN_MARGINS: set[int] = set()  # ids of the boxes the margin boxes of the page being drawn hold
DECORATIVE_TAG = "img.decorative"  # no tag the engine maps: its structure element is NonStruct
PASSED_THROUGH = ("html", "body")  # the engine makes no element of them; the document's Lang is theirs


def _build_box_tree(box, *args):
    """The engine's tagging, a decorative image's box renamed first so it is not taken for a Figure, and the
    box's own language set on the elements made for it; a margin box makes none (_marked)."""
    if isinstance(box, MarginBox):
        return
    element = getattr(box, "element", None)
    tag = getattr(box, "element_tag", None)
    if tag == "img" and element is not None and "decorative" in (element.get("class") or "").split():
        box.element_tag = DECORATIVE_TAG
    lang = element.get("lang") if element is not None and tag not in PASSED_THROUGH else None
    for made in _original(box, *args):
        if lang and "Lang" not in made:  # an element inside, made first, keeps its own
            made["Lang"] = pydyf.String(lang)
        yield made


def _draw_page(page, stream) -> None:
    """Draw a page, knowing which boxes its margin boxes hold."""
    _IN_MARGINS.update(id(box) for child in page.children if isinstance(child, MarginBox)
                       for box in child.descendants())
    try:
        _original_draw_page(page, stream)
    finally:
        _IN_MARGINS.clear()


@contextlib.contextmanager
def _marked(self, box, tag):
    """Marked content with an id for the structure tree; an Artifact in a margin box."""
    if self._tags is not None and id(box) in _IN_MARGINS:
        with self.artifact():
            yield
    else:
        with _original_marked(self, box, tag):
            yield


def install() -> None:
    """Patch the engine once: the tagging looks the function up by its module-level name, recursively too."""
    tags._build_box_tree = _build_box_tree
    engine_document.draw_page = _draw_page
    Stream.marked = _marked
