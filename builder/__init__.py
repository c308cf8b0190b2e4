"""Folio: one book model, two editions (EPUB 3 and print PDF), one table of contents."""

__version__ = "0.1.0"
