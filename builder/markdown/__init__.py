"""Parse Markdown once into markdown-it tokens, and render tokens to XHTML: the only package that imports
markdown-it. `parser` sets it up; the other modules are its rules, named after what they handle."""

from markdown_it.token import Token

from builder.markdown.locate import inline_text, located_children, map_columns, source_position
from builder.markdown.notes import note_problems
from builder.markdown.parser import MAX_NESTING, Parsed, nesting_overflow, parse_markdown, render_tokens
from builder.markdown.ruby import ruby_problems
from builder.markdown.tables import cut_table_rows
from builder.markdown.text import PUNCT_PAIR_RE
from builder.markdown.typography import quotes_for, requote

__all__ = ["MAX_NESTING", "PUNCT_PAIR_RE", "Parsed", "Token", "cut_table_rows", "inline_text", "located_children",
           "map_columns", "nesting_overflow", "note_problems", "parse_markdown", "quotes_for", "render_tokens",
           "requote", "ruby_problems", "source_position"]
