"""Turning an engine's snippet (plain report text with match markers) into safe HTML.

The engines mark matches with two control characters that HTML-escaping leaves alone, so
the report text is escaped as a whole and only our own <mark> tags are real markup.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MATCH_START = "\x02"
MATCH_END = "\x03"
_MARKERS = re.compile(f"({MATCH_START}|{MATCH_END})")


def highlighted_html(snippet: str) -> SafeString:
    parts: list[str] = []
    open_mark = False
    for piece in _MARKERS.split(snippet):
        if piece == MATCH_START and not open_mark:
            parts.append("<mark>")
            open_mark = True
        elif piece == MATCH_END and open_mark:
            parts.append("</mark>")
            open_mark = False
        elif piece not in (MATCH_START, MATCH_END):
            parts.append(escape(piece))
    if open_mark:
        parts.append("</mark>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text above is escaped
