"""Reporters: pure functions from a :class:`~refreshguard.findings.Report` to text.

Each format module exposes ``render(report) -> str``; the CLI owns files and stdout.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from refreshguard.findings import Report


class Format(StrEnum):
    """Output formats."""

    TERMINAL = "terminal"
    """Text for people (colour on a TTY)."""
    JSON = "json"
    """Versioned JSON (schema 1)."""
    HTML = "html"
    """One self-contained HTML page for people (no network needed to view it)."""


def renderer(fmt: Format, *, color: bool = False, verbose: bool = False) -> Callable[[Report], str]:
    """The render function for ``fmt``; imported lazily so start-up stays fast."""
    if fmt is Format.TERMINAL:
        from refreshguard.reporters import terminal

        return lambda report: terminal.render(report, color=color, verbose=verbose)
    if fmt is Format.JSON:
        from refreshguard.reporters import json_report

        return json_report.render
    if fmt is Format.HTML:
        from refreshguard.reporters import html

        return html.render
    raise AssertionError(f"unhandled format {fmt}")
