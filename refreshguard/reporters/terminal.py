"""Human-readable report for terminals and CI logs: grouped by app, worst first, with a summary.

Plain text unless ``color`` is set; no cursor tricks, so it reads the same in a CI log. Every
piece of text from the input goes through :func:`~refreshguard._text.printable`, so a
name or reason cannot carry terminal escapes or forge a line.
"""

from __future__ import annotations

import textwrap
from itertools import groupby

from refreshguard._text import printable
from refreshguard.findings import Effect, Finding, Outcome, Report

_ORDER = {
    Outcome.FAIL: 0,
    Outcome.ERROR: 1,
    Outcome.NOT_AVAILABLE: 2,
    Outcome.PASS: 3,
    Outcome.NOT_APPLICABLE: 4,
}
_COLOR = {
    Outcome.FAIL: "31;1",
    Outcome.ERROR: "35;1",
    Outcome.NOT_AVAILABLE: "33;1",
    Outcome.PASS: "32",
    Outcome.NOT_APPLICABLE: "2",
}
_LABEL = {
    Outcome.FAIL: "FAIL",
    Outcome.ERROR: "ERROR",
    Outcome.NOT_AVAILABLE: "UNKNOWN",
    Outcome.PASS: "PASS",
    Outcome.NOT_APPLICABLE: "N/A",
}
_ARROW = {Effect.RAISES: "+", Effect.LOWERS: "-", Effect.NEUTRAL: "=", Effect.UNKNOWN: "?"}
_INDENT = " " * 9


def sort_key(f: Finding) -> tuple[bool, int, float, str, str]:
    """Worst first: live findings before suppressed or baselined ones, then outcome, then risk
    score (descending), then name and path."""
    score = f.risk.score if f.risk else 0.0
    hidden = f.suppressed or f.baselined
    return (hidden, _ORDER[f.outcome], -score, f.app.name.lower(), f.location.display())


def render(report: Report, *, color: bool = False, verbose: bool = False, width: int = 100) -> str:
    """The report as text. ``verbose`` also details passing and not-applicable apps."""
    paint = _painter(color)
    lines: list[str] = []
    findings = sorted(report.findings, key=sort_key)
    for _key, group in groupby(findings, key=lambda f: (f.app.kind, f.app.name, f.location.path)):
        for f in group:
            lines.extend(_finding(f, paint, verbose, width))
    if not findings:
        lines.append("No Connected Apps or External Client Apps found.")
    if report.problems:
        lines.append("")
        lines.append(paint("Inputs that could not be read:", "35;1"))
        for p in report.problems:
            lines.extend(_wrap(f"{p.origin.display()}: {p.message}", width, "  ", "    "))
    for w in report.warnings:
        lines.extend(paint(line, "33") for line in _wrap(f"warning: {w}", width, "", "  "))
    if report.extra:
        lines.append("")
        lines.extend(_wrap(run_line(report), width, "", "  "))
    lines.append("")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def summary_line(report: Report) -> str:
    """One line with counts by outcome and severity."""
    c = report.counts()
    sev = report.severity_counts()
    apps = len({(f.app.kind, f.app.name, f.location.path) for f in report.findings})
    fail_detail = ", ".join(f"{sev[k]} {k}" for k in ("critical", "high", "medium", "low") if sev[k])
    parts = [
        f"{c['fail']} fail" + (f" ({fail_detail})" if fail_detail else ""),
        f"{c['pass']} pass",
        f"{c['not-applicable']} not applicable",
        f"{c['not-available']} cannot tell",
        f"{c['error']} error",
    ]
    text = f"{_count(apps, 'app')} in {_count(report.files_scanned, 'file')}: " + ", ".join(parts)
    if report.suppressed_count:
        text += f"; {report.suppressed_count} suppressed"
    if report.baselined_count:
        text += f"; {report.baselined_count} baselined (not failing the run)"
    if not report.ignores_applied:
        text += "; ignores not applied"
    if report.partial:
        text += f". Partial scan: {report.partial_summary()}"
    return text + "."


def run_line(report: Report) -> str:
    """Facts about the run (for an org: the org, API calls made, API usage)."""
    return printable("Run: " + "; ".join(f"{k.replace('_', ' ')} {v}" for k, v in report.extra.items()))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _painter(color: bool):  # type: ignore[no-untyped-def]
    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    return paint


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    """``text`` (escaped with :func:`printable`) wrapped to ``width``."""
    return textwrap.wrap(
        printable(text),
        width=width,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [first]


def _finding(f: Finding, paint, verbose: bool, width: int) -> list[str]:  # type: ignore[no-untyped-def]
    label = _LABEL[f.outcome]
    head = f"{paint(label.ljust(8), _COLOR[f.outcome])} {f.app.kind.value}  {printable(f.app.name)}"
    if f.risk:
        head += f"  [{f.risk.severity.value} {f.risk.score:.1f}]"
    if f.suppressed:
        head += paint("  (suppressed)", "2")
    if f.baselined:
        head += paint("  (baselined)", "2")
    lines = [head, f"{_INDENT}{printable(f.location.display())}"]
    detailed = verbose or f.outcome in (Outcome.FAIL, Outcome.ERROR, Outcome.NOT_AVAILABLE)
    lines.extend(_wrap(f.message, width, _INDENT, _INDENT))
    if f.outcome is Outcome.NOT_APPLICABLE:
        lines.extend(_wrap(f"Why: {f.reason}", width, _INDENT, _INDENT + "  "))
        for note in f.notes:
            lines.extend(_wrap(f"Note: {note}", width, _INDENT, _INDENT + "  "))
    if not detailed:
        return lines
    if f.outcome is not Outcome.NOT_APPLICABLE:
        lines.extend(_wrap(f"Why: {f.reason}", width, _INDENT, _INDENT + "  "))
    if f.app.usage is not None:
        u = f.app.usage
        last = f", last used {u.last_used}" if u.last_used else ""
        lines.append(printable(f"{_INDENT}Tokens: {u.grants} grants, {u.users} users{last}"))
    if f.risk:
        r = f.risk
        lines.append(
            f"{_INDENT}Risk: {r.score:.1f} {r.severity.value} (published: "
            f"{r.published_label} {r.published_range[0]}-{r.published_range[1]}) {r.vector}"
        )
        for x in r.factors:
            lines.extend(
                _wrap(f"{_ARROW[x.effect]} {x.label}: {x.value}", width, _INDENT + "  ", _INDENT + "    ")
            )
    if f.remediation:
        lines.extend(_wrap(f"Fix: {f.remediation}", width, _INDENT, _INDENT + "  "))
    if f.outcome is not Outcome.NOT_APPLICABLE:
        for note in f.notes:
            lines.extend(_wrap(f"Note: {note}", width, _INDENT, _INDENT + "  "))
    if f.suppression:
        lines.extend(
            _wrap(
                f"Suppressed: {f.suppression.reason} ({f.suppression.source})", width, _INDENT, _INDENT + "  "
            )
        )
    return lines
