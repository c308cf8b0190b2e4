"""Form XObjects drawn over pages under names of our own (pikepdf's add_overlay picks a random name, and the
same book must give the same bytes): the stitched book's folios and the press profile's crop marks."""

from __future__ import annotations

import pikepdf


def form_call(doc: pikepdf.Pdf, name: pikepdf.Name) -> pikepdf.Stream:
    """The content that ends the page's own drawing and draws the form named `name` over it."""
    return doc.make_stream(b"\nQ q " + bytes(name.unparse()) + b" Do Q\n")


def draw_form(page: pikepdf.Page, form: pikepdf.Object, name: pikepdf.Name, before: pikepdf.Stream,
              call: pikepdf.Stream) -> None:
    """Draw `form` over the page: named in the resource dictionary (which a part's pages share), the page's
    own drawing wrapped in `before` (a `q` stream) and `call` (from `form_call`)."""
    if "/Resources" not in page.obj:
        page.obj.Resources = pikepdf.Dictionary()
    if "/XObject" not in page.obj.Resources:
        page.obj.Resources.XObject = pikepdf.Dictionary()
    page.obj.Resources.XObject[name] = form
    page.contents_add(before, prepend=True)
    page.contents_add(call)
