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
    SARIF = "sarif"
    """SARIF 2.1.0, for GitHub code scanning."""
    JUNIT = "junit"
    """JUnit XML, one test case per (control, app)."""
    MARKDOWN = "markdown"
    """Short markdown for pull-request comments and job summaries."""
    CSV = "csv"
    """One row per finding."""


def renderer(fmt: Format, *, color: bool = False, verbose: bool = False) -> Callable[[Report], str]:
    """The render function for ``fmt``; imported lazily so start-up stays fast."""
    if fmt is Format.TERMINAL:
        from refreshguard.reporters import terminal

        return lambda report: terminal.render(report, color=color, verbose=verbose)
    if fmt is Format.JSON:
        from refreshguard.reporters import json_report

        return json_report.render
    if fmt is Format.SARIF:
        from refreshguard.reporters import sarif

        return sarif.render
    if fmt is Format.JUNIT:
        from refreshguard.reporters import junit

        return junit.render
    if fmt is Format.MARKDOWN:
        from refreshguard.reporters import markdown

        return lambda report: markdown.render(report)
    if fmt is Format.CSV:
        from refreshguard.reporters import csv_report

        return csv_report.render
    raise AssertionError(f"unhandled format {fmt}")
