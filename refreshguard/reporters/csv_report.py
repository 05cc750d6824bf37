"""CSV report: one row per finding, for spreadsheets and ad-hoc analysis (docs/output-formats.md).

RFC 4180 (comma separated, CRLF line ends, quotes where needed), with a header row of
:data:`COLUMNS`. Inputs that could not be read and named no app get a row too (outcome ``error``,
empty control and app), so nothing is lost. Any cell that a spreadsheet could take for a formula
(starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import io

from refreshguard.findings import Finding, Report
from refreshguard.reporters._common import factor_lines, orphan_problems

COLUMNS = (
    "fingerprint",
    "control",
    "app_kind",
    "app_name",
    "app_label",
    "outcome",
    "severity",
    "risk_score",
    "risk_vector",
    "suppressed",
    "suppression_reason",
    "baselined",
    "path",
    "line",
    "member",
    "component",
    "message",
    "reason",
    "remediation",
    "risk_factors",
    "notes",
    "public_client",
)
"""The header row, in order (documented in docs/output-formats.md)."""

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """``value`` with a leading apostrophe when a spreadsheet would treat it as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def render(report: Report) -> str:
    """The report as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for f in report.findings:
        writer.writerow([safe_cell(v) for v in _row(f)])
    for p in orphan_problems(report):
        o = p.origin
        row = ["", "", "", "", "", "error", "none", "", "", "false", "", "false"]
        row += [o.path, str(o.line or ""), o.member or "", o.component or ""]
        row += ["The file could not be read.", p.message, "", "", "", "false"]
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def _row(f: Finding) -> list[str]:
    o = f.location
    return [
        f.fingerprint,
        f.control,
        f.app.kind.value,
        f.app.name,
        f.app.label or "",
        f.outcome.value,
        f.severity.value,
        f"{f.risk.score:.1f}" if f.risk else "",
        f.risk.vector if f.risk else "",
        "true" if f.suppressed else "false",
        f.suppression.reason if f.suppression else "",
        "true" if f.baselined else "false",
        o.path,
        str(o.line or ""),
        o.member or "",
        o.component or "",
        f.message,
        f.reason,
        f.remediation,
        "; ".join(factor_lines(f)),
        " | ".join(f.notes),
        "true" if f.public_client else "false",
    ]
