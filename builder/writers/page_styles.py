"""Page styles in WeasyPrint 70 (pinned in pyproject.toml) computed once per set of matching @page rules.

The engine gives every page a page type of its own (its index is part of it, for `:nth()`), and computes
the styles of that page and of its sixteen margin boxes again for each: a third of a folio sheet's layout,
and a tenth of a chapter's. The styles depend only on which @page selectors match, so pages matched by the
same selectors share the styles computed for the first of them.
"""

from __future__ import annotations

from weasyprint.layout import page as engine_page

_original = engine_page.set_page_type_computed_styles


def set_page_type_computed_styles(page_type, html, style_for):
    """The engine's page styles, shared by page types that the same @page selectors match."""
    matched = tuple((sheet_at, rule_at, selector_at)
                    for sheet_at, (sheet, _, _) in enumerate(style_for._sheets)
                    for rule_at, (_, selectors, _) in enumerate(sheet.page_rules)
                    for selector_at, (_, _, page_selector) in enumerate(selectors)
                    if style_for._page_type_match(page_selector, page_type))
    known = style_for.__dict__.setdefault("_folio_page_styles", {})
    if matched not in known:
        _original(page_type, html, style_for)
        known[matched] = {pseudo: (style_for._cascaded_styles.get((page_type, pseudo)), computed)
                          for (element, pseudo), computed in style_for._computed_styles.items()
                          if element == page_type}
        return
    for pseudo, (cascaded, computed) in known[matched].items():
        if cascaded is not None:
            style_for._cascaded_styles[page_type, pseudo] = cascaded
        style_for._computed_styles[page_type, pseudo] = computed


def install() -> None:
    """Patch the engine once: page layout looks the function up by name."""
    engine_page.set_page_type_computed_styles = set_page_type_computed_styles
