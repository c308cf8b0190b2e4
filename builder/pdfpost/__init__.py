"""The PDF after layout, the only package that uses pikepdf: stitching parts laid out apart (stitch.py,
with fontmerge.py), finishing for a print profile (finish.py), and reading any PDF's facts (facts.py, with
content.py for what each page draws)."""

from builder.pdfpost.facts import Box, PageFacts, PdfFacts, PdfUnreadable, inspect_pdf
from builder.pdfpost.finish import finish_pdf, stable_identity

__all__ = ["Box", "PageFacts", "PdfFacts", "PdfUnreadable", "finish_pdf", "inspect_pdf", "stable_identity"]
