"""What a page's content stream draws: fonts, images, text sizes and extents, colours and transparency,
through the forms it draws (for facts.py and the preflight)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING

import pikepdf

if TYPE_CHECKING:  # the walker fills a page's facts; facts.py imports this module
    from builder.pdfpost.facts import PageFacts

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in PDF points, normalised so x0 <= x1, y0 <= y1
Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
MAX_FORM_DEPTH = 12  # Form XObjects nest this deep at most; deeper (or cyclic) ones are not followed
MAX_FORMS_PER_PAGE = 5000  # forms drawing forms many times over must not make the check run for ever


@dataclass(frozen=True)
class FontFact:
    """A font that draws visible text: its name, PDF subtype and whether its glyph program is in the file."""

    name: str
    subtype: str  # Type0, Type1, TrueType, Type3, MMType1
    embedded: bool


@dataclass(frozen=True)
class ImageFact:
    """An image drawn on a page: its pixels, drawn size in points, colour space and soft mask."""

    name: str  # the XObject's resource name, or "inline"
    pixels: tuple[int, int]
    drawn: tuple[float, float]  # width and height on the page, points
    space: str  # see _space_name; "mask" for a stencil mask
    soft_mask: bool


@dataclass(frozen=True)
class TextFact:
    """One visible text-showing operator: its effective size and rough extent on the page."""

    size: float  # Tf size x text matrix scale x CTM scale, points
    bbox: Box  # from a quarter em below the baseline to three quarters above, in default user space


@dataclass(frozen=True)
class StateFact:
    """An ExtGState applied with `gs`: the parts that make transparency."""

    name: str
    soft_mask: bool  # /SMask other than /None
    fill_alpha: float  # /ca
    stroke_alpha: float  # /CA
    blend: str  # /BM, "Normal" when absent



def array_of(value) -> list:
    """An optional PDF array as a list."""
    return list(value) if isinstance(value, pikepdf.Array) else []


def plain_name(value) -> str:
    """A PDF name without its slash, or "" when absent."""
    return str(value)[1:] if isinstance(value, pikepdf.Name) else ""




def _mul(m: Matrix, n: Matrix) -> Matrix:
    """The matrix product m x n: apply m, then n."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    """Transform a point."""
    return (x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5])


@dataclass(frozen=True)
class _FontInfo:
    """What measuring text in one font needs."""

    fact: FontFact
    two_byte: bool
    widths: dict[int, float]
    default_width: float
    scale: float  # glyph width units to text space (0.001, or a Type 3 font's FontMatrix)
    vscale: float  # how a Type 3 font's FontMatrix stretches the size vertically (1 otherwise)


def _font_info(font: pikepdf.Dictionary, resource_name: str) -> _FontInfo:
    """Widths, code length and embedding of a font dictionary."""
    subtype = plain_name(font.get("/Subtype"))
    name = plain_name(font.get("/BaseFont")) or resource_name
    if subtype == "Type0":
        descendants = [d for d in array_of(font.get("/DescendantFonts")) if isinstance(d, pikepdf.Dictionary)]
        first = descendants[0] if descendants else pikepdf.Dictionary()
        embedded = bool(descendants) and all(_has_program(d) for d in descendants)
        return _FontInfo(FontFact(name, subtype, embedded), True, _cid_widths(first.get("/W")),
                         float(first.get("/DW", 1000)), 0.001, 1.0)
    first_char = int(font.get("/FirstChar", 0))
    listed = array_of(font.get("/Widths"))
    widths = {first_char + i: w for i, w in enumerate(_numbers(listed))}
    descriptor = font.get("/FontDescriptor")
    missing = float(descriptor.get("/MissingWidth", 0)) if isinstance(descriptor, pikepdf.Dictionary) else 0.0
    default = missing if listed else 500.0  # the standard 14 fonts carry no widths: an average guess
    if subtype == "Type3":
        matrix = [float(v) for v in array_of(font.get("/FontMatrix"))] or [0.001, 0, 0, 0.001, 0, 0]
        return _FontInfo(FontFact(name, subtype, True), False, widths, default, matrix[0], abs(matrix[3]) * 1000)
    return _FontInfo(FontFact(name, subtype, _has_program(font)), False, widths, default, 0.001, 1.0)


def _has_program(font: pikepdf.Dictionary) -> bool:
    """Whether a (simple or CID) font's descriptor carries the font program."""
    descriptor = font.get("/FontDescriptor")
    return isinstance(descriptor, pikepdf.Dictionary) and any(
        key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def _cid_widths(w) -> dict[int, float]:
    """A CIDFont's /W array: `c [w1 w2 ...]` and `cfirst clast w` runs."""
    items, widths, i = array_of(w), {}, 0
    while i + 1 < len(items):
        start = int(items[i])
        if isinstance(items[i + 1], pikepdf.Array):
            widths.update({start + k: float(v) for k, v in enumerate(items[i + 1])})
            i += 2
        elif i + 2 < len(items):
            last = min(int(items[i + 1]), start + 0xFFFF)  # CIDs are 16-bit: a wider run is a damaged file
            widths.update({cid: float(items[i + 2]) for cid in range(start, last + 1)})
            i += 3
        else:
            break
    return widths


_DEVICE = {"DeviceRGB": "DeviceRGB", "RGB": "DeviceRGB", "DeviceCMYK": "DeviceCMYK", "CMYK": "DeviceCMYK",
           "DeviceGray": "DeviceGray", "G": "DeviceGray", "Pattern": "Pattern"}


def _space_name(cs, resources, depth: int = 0) -> str:
    """A colour space as a short name: DeviceRGB, CalRGB, ICCBased-RGB, Indexed:DeviceRGB, Separation:DeviceCMYK..."""
    if depth > 4 or cs is None:
        return "unknown"
    if isinstance(cs, pikepdf.Name):
        name = str(cs)[1:]
        if name in _DEVICE:
            return _DEVICE[name]
        named = _resource(resources, "/ColorSpace", cs)
        return _space_name(named, resources, depth + 1) if named is not None else name
    if not isinstance(cs, pikepdf.Array) or not len(cs):
        return "unknown"
    family = plain_name(cs[0])
    if family == "ICCBased" and len(cs) > 1:
        n = int(cs[1].get("/N", 0))
        return "ICCBased-" + {1: "Gray", 3: "RGB", 4: "CMYK"}.get(n, str(n))
    if family in ("Indexed", "I") and len(cs) > 1:
        return "Indexed:" + _space_name(cs[1], resources, depth + 1)
    if family in ("Separation", "DeviceN") and len(cs) > 2:
        return f"{family}:" + _space_name(cs[2], resources, depth + 1)
    if family == "Pattern" and len(cs) > 1:
        return "Pattern:" + _space_name(cs[1], resources, depth + 1)
    return _DEVICE.get(family, family)


def _resource(resources, kind: str, name):
    """One named entry of a resource category, or None."""
    if not isinstance(resources, pikepdf.Dictionary):
        return None
    category = resources.get(kind)
    return category.get(name) if isinstance(category, pikepdf.Dictionary) else None


def _numbers(operands) -> list[float]:
    """The numeric operands, as floats (pikepdf gives reals as Decimal)."""
    return [float(v) for v in operands if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)]


def _is_white(values: list[float]) -> bool:
    """Whether colour components paint white: gray or RGB all 1, CMYK all 0 (a rough reading of sc/scn)."""
    if len(values) == 4:
        return all(v == 0 for v in values)
    return bool(values) and all(v >= 1 for v in values)


@dataclass(frozen=True)
class _GState:
    """The parts of the graphics state the inspection follows."""

    ctm: Matrix = IDENTITY
    fill_space: str = "DeviceGray"
    stroke_space: str = "DeviceGray"
    fill_white: bool = False
    stroke_white: bool = False
    fill_alpha: float = 1.0
    stroke_alpha: float = 1.0
    font: _FontInfo | None = None
    size: float = 0.0
    char_space: float = 0.0
    word_space: float = 0.0
    h_scale: float = 1.0
    leading: float = 0.0
    rise: float = 0.0
    render: int = 0


class Walker:
    """Follow one content stream's graphics state and record what it draws on the page."""

    def __init__(self, page: PageFacts, cache: dict, resources, gs: _GState = _GState(), depth: int = 0,
                 forms: frozenset = frozenset(), budget: list[int] | None = None):
        self.page, self.cache, self.res, self.gs = page, cache, resources, gs
        self.depth, self.forms = depth, forms
        self.budget = budget if budget is not None else [MAX_FORMS_PER_PAGE]  # shared by the page's walkers
        self.stack: list[_GState] = []
        self.tm = self.tlm = IDENTITY

    def run(self, source) -> None:
        """Interpret every instruction of a page or form stream."""
        for instruction in pikepdf.parse_content_stream(source):
            op = str(instruction.operator)
            if op == "INLINE IMAGE":
                self._inline_image(instruction.iimage)
                continue
            handler = _HANDLERS.get(op)
            if handler:
                handler(self, list(instruction.operands))

    # graphics state
    def _save(self, ops):
        self.stack.append(self.gs)

    def _restore(self, ops):
        if self.stack:
            self.gs = self.stack.pop()

    def _concat(self, ops):
        nums = _numbers(ops)
        if len(nums) == 6:
            self.gs = replace(self.gs, ctm=_mul(tuple(nums), self.gs.ctm))

    def _ext_state(self, ops):
        state = _resource(self.res, "/ExtGState", ops[0]) if ops else None
        if not isinstance(state, pikepdf.Dictionary):
            return
        soft = state.get("/SMask")
        blend = state.get("/BM", pikepdf.Name.Normal)
        blend = blend[0] if isinstance(blend, pikepdf.Array) and len(blend) else blend
        name = str(ops[0])[1:]
        fact = StateFact(name, soft is not None and soft != pikepdf.Name("/None"), float(state.get("/ca", 1)),
                         float(state.get("/CA", 1)), plain_name(blend) or "Normal")
        self.page.states[name] = fact
        self.gs = replace(self.gs, fill_alpha=fact.fill_alpha if "/ca" in state else self.gs.fill_alpha,
                          stroke_alpha=fact.stroke_alpha if "/CA" in state else self.gs.stroke_alpha)

    # colour
    def _device_colour(self, space: str, stroke: bool, ops):
        white = _is_white(_numbers(ops))
        self.gs = replace(self.gs, stroke_space=space, stroke_white=white) if stroke else \
            replace(self.gs, fill_space=space, fill_white=white)

    def _set_space(self, stroke: bool, ops):
        space = _space_name(ops[0], self.res) if ops else "unknown"
        self.gs = replace(self.gs, stroke_space=space, stroke_white=False) if stroke else \
            replace(self.gs, fill_space=space, fill_white=False)

    def _set_colour(self, stroke: bool, ops):
        space = self.gs.stroke_space if stroke else self.gs.fill_space
        if ops and isinstance(ops[-1], pikepdf.Name):  # a pattern: its shading's space says what it paints
            pattern = _resource(self.res, "/Pattern", ops[-1])
            shading = pattern.get("/Shading") if isinstance(pattern, pikepdf.Dictionary) else None
            if isinstance(shading, pikepdf.Dictionary):
                space = "Pattern:" + _space_name(shading.get("/ColorSpace"), self.res)
        white = _is_white(_numbers(ops)) and not isinstance(ops[-1] if ops else None, pikepdf.Name)
        self.gs = replace(self.gs, stroke_space=space, stroke_white=white) if stroke else \
            replace(self.gs, fill_space=space, fill_white=white)

    # painting
    def _paint(self, fill: bool, stroke: bool):
        painted = False  # white or fully transparent paint leaves the page as blank as it was
        if fill and not self.gs.fill_white and self.gs.fill_alpha > 0:
            self.page.colours.add(("fill", self.gs.fill_space))
            painted = True
        if stroke and not self.gs.stroke_white and self.gs.stroke_alpha > 0:
            self.page.colours.add(("stroke", self.gs.stroke_space))
            painted = True
        self.page.paths += painted

    def _shading(self, ops):
        shading = _resource(self.res, "/Shading", ops[0]) if ops else None
        if isinstance(shading, pikepdf.Dictionary):
            self.page.colours.add(("shading", _space_name(shading.get("/ColorSpace"), self.res)))
            self.page.paths += 1

    # images and forms
    def _xobject(self, ops):
        xobj = _resource(self.res, "/XObject", ops[0]) if ops else None
        if not isinstance(xobj, pikepdf.Stream):
            return
        subtype = xobj.get("/Subtype")
        if subtype == pikepdf.Name.Image:
            self._image(str(ops[0])[1:], xobj)
        elif subtype == pikepdf.Name.Form:
            self._form(xobj)

    def _image(self, name: str, xobj: pikepdf.Stream):
        a, b, c, d, _, _ = self.gs.ctm
        mask = bool(xobj.get("/ImageMask", False))
        space = "mask" if mask else _space_name(xobj.get("/ColorSpace"), self.res)
        if mask:  # a stencil mask paints in the fill colour
            self.page.colours.add(("stencil mask", self.gs.fill_space))
        soft = "/SMask" in xobj or int(xobj.get("/SMaskInData", 0)) > 0
        self.page.images.append(ImageFact(name, (int(xobj.get("/Width", 0)), int(xobj.get("/Height", 0))),
                                          (math.hypot(a, b), math.hypot(c, d)), space, soft))

    def _inline_image(self, image: pikepdf.PdfInlineImage):
        a, b, c, d, _, _ = self.gs.ctm
        try:
            mask, space_obj = bool(image.image_mask), image.obj.get("/ColorSpace")
        except pikepdf.PdfError:
            mask, space_obj = False, None
        space = "mask" if mask else _space_name(space_obj, self.res)
        self.page.images.append(ImageFact("inline", (int(image.width), int(image.height)),
                                          (math.hypot(a, b), math.hypot(c, d)), space, False))

    def _form(self, form: pikepdf.Stream):
        key = form.objgen
        if self.depth >= MAX_FORM_DEPTH or key in self.forms or self.budget[0] <= 0:
            return
        self.budget[0] -= 1
        matrix = tuple(_numbers(array_of(form.get("/Matrix")))) or IDENTITY
        gs = replace(self.gs, ctm=_mul(matrix if len(matrix) == 6 else IDENTITY, self.gs.ctm))
        resources = form.get("/Resources", self.res)
        Walker(self.page, self.cache, resources, gs, self.depth + 1, self.forms | {key}, self.budget).run(form)

    # text
    def _begin_text(self, ops):
        self.tm = self.tlm = IDENTITY

    def _font(self, ops):
        if len(ops) < 2:
            return
        font = _resource(self.res, "/Font", ops[0])
        info = None
        if isinstance(font, pikepdf.Dictionary):
            key = font.objgen if font.objgen != (0, 0) else None
            info = self.cache.get(key) if key else None
            if info is None:
                info = _font_info(font, str(ops[0])[1:])
                if key:
                    self.cache[key] = info
        self.gs = replace(self.gs, font=info, size=float(ops[1]))

    def _text_param(self, attr: str, ops):
        nums = _numbers(ops)
        if nums:
            value = nums[0] / 100 if attr == "h_scale" else nums[0]
            self.gs = replace(self.gs, **{attr: int(value) if attr == "render" else value})

    def _move(self, ops, set_leading: bool = False):
        nums = _numbers(ops)
        if len(nums) == 2:
            if set_leading:
                self.gs = replace(self.gs, leading=-nums[1])
            self.tm = self.tlm = _mul((1, 0, 0, 1, nums[0], nums[1]), self.tlm)

    def _set_matrix(self, ops):
        nums = _numbers(ops)
        if len(nums) == 6:
            self.tm = self.tlm = tuple(nums)

    def _next_line(self, ops=None):
        self.tm = self.tlm = _mul((1, 0, 0, 1, 0, -self.gs.leading), self.tlm)

    def _show_quote(self, ops):
        self._next_line()
        self._show(ops[-1:])

    def _show_double_quote(self, ops):
        nums = _numbers(ops[:2])
        if len(nums) == 2:
            self.gs = replace(self.gs, word_space=nums[0], char_space=nums[1])
        self._show_quote(ops)

    def _show(self, ops):
        items = []
        for op in ops:
            items.extend(op if isinstance(op, pikepdf.Array) else [op])
        font, gs = self.gs.font, self.gs
        if font is None:
            return
        advance, glyphs = 0.0, 0
        for item in items:
            if isinstance(item, pikepdf.String):
                data = bytes(item)
                codes = ([int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data) - 1, 2)]
                         if font.two_byte else list(data))
                for code in codes:
                    width = font.widths.get(code, font.default_width) * font.scale * gs.size
                    spacing = gs.word_space if code == 32 and not font.two_byte else 0.0
                    advance += (width + gs.char_space + spacing) * gs.h_scale
                glyphs += len(codes)
            elif _numbers([item]):
                advance -= float(item) / 1000 * gs.size * gs.h_scale
        if glyphs and gs.render not in (3, 7):  # modes 3 and 7 draw nothing (an OCR layer, say)
            self._record_text(font, advance)
        self.tm = _mul((1, 0, 0, 1, advance, 0), self.tm)

    def _record_text(self, font: _FontInfo, advance: float):
        gs = self.gs
        m = _mul(self.tm, gs.ctm)
        em = gs.size * font.vscale
        corners = [_apply(m, x, y) for x in (0.0, advance) for y in (gs.rise - em / 4, gs.rise + em * 3 / 4)]
        xs, ys = [p[0] for p in corners], [p[1] for p in corners]
        self.page.texts.append(TextFact(abs(em) * math.hypot(m[2], m[3]), (min(xs), min(ys), max(xs), max(ys))))
        self.page.fonts.setdefault(font.fact.name, font.fact)
        if gs.render in (0, 2, 4, 6):
            self.page.colours.add(("text fill", gs.fill_space))
        if gs.render in (1, 2, 5, 6):
            self.page.colours.add(("text stroke", gs.stroke_space))


_HANDLERS = {
    "q": Walker._save, "Q": Walker._restore, "cm": Walker._concat, "gs": Walker._ext_state,
    "g": lambda w, ops: w._device_colour("DeviceGray", False, ops),
    "G": lambda w, ops: w._device_colour("DeviceGray", True, ops),
    "rg": lambda w, ops: w._device_colour("DeviceRGB", False, ops),
    "RG": lambda w, ops: w._device_colour("DeviceRGB", True, ops),
    "k": lambda w, ops: w._device_colour("DeviceCMYK", False, ops),
    "K": lambda w, ops: w._device_colour("DeviceCMYK", True, ops),
    "cs": lambda w, ops: w._set_space(False, ops), "CS": lambda w, ops: w._set_space(True, ops),
    "sc": lambda w, ops: w._set_colour(False, ops), "scn": lambda w, ops: w._set_colour(False, ops),
    "SC": lambda w, ops: w._set_colour(True, ops), "SCN": lambda w, ops: w._set_colour(True, ops),
    "f": lambda w, ops: w._paint(True, False), "F": lambda w, ops: w._paint(True, False),
    "f*": lambda w, ops: w._paint(True, False),
    "S": lambda w, ops: w._paint(False, True), "s": lambda w, ops: w._paint(False, True),
    "B": lambda w, ops: w._paint(True, True), "B*": lambda w, ops: w._paint(True, True),
    "b": lambda w, ops: w._paint(True, True), "b*": lambda w, ops: w._paint(True, True),
    "sh": Walker._shading, "Do": Walker._xobject,
    "BT": Walker._begin_text, "Tf": Walker._font,
    "Tc": lambda w, ops: w._text_param("char_space", ops), "Tw": lambda w, ops: w._text_param("word_space", ops),
    "Tz": lambda w, ops: w._text_param("h_scale", ops), "TL": lambda w, ops: w._text_param("leading", ops),
    "Ts": lambda w, ops: w._text_param("rise", ops), "Tr": lambda w, ops: w._text_param("render", ops),
    "Td": Walker._move, "TD": lambda w, ops: w._move(ops, set_leading=True), "Tm": Walker._set_matrix,
    "T*": Walker._next_line, "Tj": Walker._show, "TJ": Walker._show,
    "'": Walker._show_quote, '"': Walker._show_double_quote,
}
