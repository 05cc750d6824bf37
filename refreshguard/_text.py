"""Text from the input made safe to show on a terminal or in a log.

Names, paths, reasons and messages come from files and configuration that an attacker may
write. Printed raw, a control character could move the cursor, retitle the window, clear the
screen (ESC, CSI), forge a whole report line (newline, carriage return) or reorder what is shown
(bidirectional overrides). :func:`printable` turns every such character into a visible escape,
so the text reads as what it is. Our own colour codes are added after this, never passed through.
"""

from __future__ import annotations

import re

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f" + _BIDI + "]")
_UNSAFE_KEEP_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + _BIDI + "]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` as one line with every control character (C0, DEL, C1, newline, carriage return,
    tab) and every bidirectional control shown as an escape like ``\\x1b`` or ``\\u202e``."""
    return _UNSAFE.sub(_escape, text)


def printable_lines(text: str) -> str:
    """Like :func:`printable`, but line feeds and tabs are kept (for multi-line text such as a
    diff, where tabs indent XML)."""
    return _UNSAFE_KEEP_LINES.sub(_escape, text)
