"""Small pieces several reporters share: labels, ordering and one-line summaries."""

from __future__ import annotations

from refreshguard.findings import Finding, Outcome, Problem, Report
from refreshguard.model import AppKind

KIND_LABEL = {
    AppKind.CONNECTED_APP: "Connected App",
    AppKind.EXTERNAL_CLIENT_APP: "External Client App",
}
"""How app kinds are named for people."""

OUTCOME_LABEL = {
    Outcome.FAIL: "fail",
    Outcome.ERROR: "error",
    Outcome.NOT_AVAILABLE: "cannot tell",
    Outcome.PASS: "pass",
    Outcome.NOT_APPLICABLE: "not applicable",
}
"""How outcomes are named for people."""


def by_risk(findings: list[Finding]) -> list[Finding]:
    """Highest contextual risk score first; ties by app name, then location."""
    return sorted(
        findings,
        key=lambda f: (-(f.risk.score if f.risk else 0.0), f.app.name.lower(), f.location.display()),
    )


def risk_text(f: Finding) -> str:
    """``9.1 critical (CVSS:3.1/...)`` or an empty string when there is no risk."""
    if f.risk is None:
        return ""
    return f"{f.risk.score:.1f} {f.risk.severity.value} ({f.risk.vector})"


def factor_lines(f: Finding) -> list[str]:
    """Each risk factor as ``label: value (effect)``."""
    if f.risk is None:
        return []
    return [f"{x.label}: {x.value} ({x.effect.value})" for x in f.risk.factors]


def status_note(f: Finding) -> str:
    """``suppressed: <reason>`` or ``baselined`` or an empty string."""
    if f.suppression is not None:
        return f"suppressed: {f.suppression.reason}"
    if f.baselined:
        return "baselined: already in the baseline, does not fail the run"
    return ""


def orphan_problems(report: Report) -> list[Problem]:
    """Problems that no error finding stands for (files that named no app): reporters that are
    organised by finding list them separately so nothing is lost."""
    covered = {f.location for f in report.findings if f.outcome is Outcome.ERROR}
    return [p for p in report.problems if p.origin not in covered]
