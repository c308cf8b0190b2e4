"""Finish the PDF after layout: page labels and a reproducible file identity (the only pikepdf import)."""

from __future__ import annotations

import io

import pikepdf


def finish_pdf(pdf: bytes, body_start: int) -> bytes:
    """Roman page labels for the front matter, Arabic from 1 where the first chapter opens."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        nums = pikepdf.Array()
        if body_start > 0:
            nums.extend([0, pikepdf.Dictionary(S=pikepdf.Name.r)])
        nums.extend([body_start, pikepdf.Dictionary(S=pikepdf.Name.D, St=1)])
        doc.Root.PageLabels = pikepdf.Dictionary(Nums=nums)
        for page in doc.pages:
            # A print file names its trim: here the trim is the whole page (bleed comes with press profiles).
            page.obj.TrimBox = page.obj.MediaBox
            page.obj.BleedBox = page.obj.MediaBox
        out = io.BytesIO()
        doc.save(out, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return out.getvalue()
