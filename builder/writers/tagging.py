"""The tagged PDF's structure, in WeasyPrint 70 (pinned in pyproject.toml): decorative images and languages.

- The engine tags every image a Figure, and a Figure must carry its alternative text (PDF/UA-1 7.3): an image
  the author marked decorative (`![](rule.png){.decorative}`, `alt=""`) became a Figure without one, and the
  engine logged that it had "no required alt description" (PDF001) against the author who had done the right
  thing. Such an image's structure element is NonStruct instead: nothing to announce, as `alt=""` asks.
- The engine writes no `Lang` in the structure tree, only the document's: a Chinese chapter or a French phrase
  in an English book was read with the English voice (PDF/UA-1 7.2). An element with its own `lang` gives it
  to its structure element.
"""

from __future__ import annotations

import pydyf
from weasyprint.pdf import tags

_original = tags._build_box_tree
DECORATIVE_TAG = "img.decorative"  # no tag the engine maps: its structure element is NonStruct
PASSED_THROUGH = ("html", "body")  # the engine makes no element of them; the document's Lang is theirs


def _build_box_tree(box, *args):
    """The engine's tagging, a decorative image's box renamed first so it is not taken for a Figure, and the
    box's own language set on the elements made for it."""
    element = getattr(box, "element", None)
    tag = getattr(box, "element_tag", None)
    if tag == "img" and element is not None and "decorative" in (element.get("class") or "").split():
        box.element_tag = DECORATIVE_TAG
    lang = element.get("lang") if element is not None and tag not in PASSED_THROUGH else None
    for made in _original(box, *args):
        if lang and "Lang" not in made:  # an element inside, made first, keeps its own
            made["Lang"] = pydyf.String(lang)
        yield made


def install() -> None:
    """Patch the engine once: the tagging looks the function up by its module-level name, recursively too."""
    tags._build_box_tree = _build_box_tree
