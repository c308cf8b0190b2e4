"""A decorative image is no Figure in a tagged PDF, in WeasyPrint 70 (pinned in pyproject.toml).

The engine tags every image a Figure, and a Figure must carry its alternative text (PDF/UA-1 7.3): an image the
author marked decorative (`![](rule.png){.decorative}`, `alt=""`) became a Figure without one, and the engine
logged that it had "no required alt description" (PDF001) against the author who had done the right thing.
Such an image's structure element is NonStruct instead: nothing for assistive technology to announce, as
`alt=""` asks in the EPUB.
"""

from __future__ import annotations

from weasyprint.pdf import tags

_original = tags._build_box_tree
DECORATIVE_TAG = "img.decorative"  # no tag the engine maps: its structure element is NonStruct


def _build_box_tree(box, *args):
    """The engine's tagging, with a decorative image's box renamed first so it is not taken for a Figure."""
    element = getattr(box, "element", None)
    if getattr(box, "element_tag", None) == "img" and element is not None \
            and "decorative" in (element.get("class") or "").split():
        box.element_tag = DECORATIVE_TAG
    return _original(box, *args)


def install() -> None:
    """Patch the engine once: the tagging looks the function up by its module-level name, recursively too."""
    tags._build_box_tree = _build_box_tree
