"""Golden files: every format built in this branch, on the fixture project, byte for byte.

Regenerate with ``REFRESHGUARD_REGEN=1 pytest tests/test_report_golden.py`` and review the diff.
"""

from __future__ import annotations

import os

import pytest
from reportkit import GOLDEN, parse_csv, parse_junit, project_report, validate_sarif

from refreshguard.reporters import Format, renderer

GOLDENS = {
    Format.SARIF: "project.sarif",
    Format.JUNIT: "project.junit.xml",
    Format.MARKDOWN: "project.md",
    Format.CSV: "project.csv",
}


@pytest.mark.parametrize("fmt", list(GOLDENS))
def test_golden(fmt: Format) -> None:
    text = renderer(fmt)(project_report())
    path = GOLDEN / GOLDENS[fmt]
    if os.environ.get("REFRESHGUARD_REGEN"):
        path.write_bytes(text.encode("utf-8"))
    assert text.encode("utf-8") == path.read_bytes()


def test_goldens_are_valid() -> None:
    """The goldens themselves parse (and the SARIF one meets the schema)."""
    validate_sarif((GOLDEN / GOLDENS[Format.SARIF]).read_text(encoding="utf-8"))
    assert parse_junit((GOLDEN / GOLDENS[Format.JUNIT]).read_text(encoding="utf-8")).tag == "testsuites"
    rows = parse_csv((GOLDEN / GOLDENS[Format.CSV]).read_bytes().decode("utf-8"))
    assert len(rows) == 9
