"""Reporters: pure functions from a :class:`~refreshguard.findings.Report` to text.

Each format module exposes ``render(report) -> str``; the CLI owns files and stdout.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from enum import StrEnum

from refreshguard.findings import Report


class Format(StrEnum):
    """Output formats."""

    TERMINAL = "terminal"
    """Text for people (colour on a TTY)."""
    JSON = "json"
    """Versioned JSON (schema 1)."""
    SARIF = "sarif"
    """SARIF 2.1.0, for GitHub code scanning."""
    JUNIT = "junit"
    """JUnit XML, one test case per (control, app)."""
    MARKDOWN = "markdown"
    """Short markdown for pull-request comments and job summaries."""
    CSV = "csv"
    """One row per finding."""
    HTML = "html"
    """One self-contained HTML page for people (no network needed to view it)."""


_MODULES = {
    Format.JSON: "json_report",
    Format.SARIF: "sarif",
    Format.JUNIT: "junit",
    Format.MARKDOWN: "markdown",
    Format.CSV: "csv_report",
    Format.HTML: "html",
}
"""The module of each format; each exposes ``render(report) -> str``."""


def renderer(fmt: Format, *, color: bool = False, verbose: bool = False) -> Callable[[Report], str]:
    """The render function for ``fmt``; imported lazily so start-up stays fast."""
    if fmt is Format.TERMINAL:
        from refreshguard.reporters import terminal

        return lambda report: terminal.render(report, color=color, verbose=verbose)
    module = importlib.import_module(f"refreshguard.reporters.{_MODULES[fmt]}")
    render: Callable[[Report], str] = module.render
    return render
