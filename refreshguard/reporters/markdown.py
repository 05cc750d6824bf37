"""Markdown report, short, for pull-request comments and ``$GITHUB_STEP_SUMMARY``.

A counts table, the failing apps by risk score (highest first) with what to do, then compact
lists of "cannot tell", errors, suppressed and baselined findings. Every value from the input is
escaped, so an app name or path cannot break the table or inject markup (mentions, links, HTML).
The text stays under GitHub's comment limit: past :data:`MAX_CHARS` the lists are cut with a note.
"""

from __future__ import annotations

import re

from refreshguard._text import printable
from refreshguard.findings import Finding, Outcome, Report
from refreshguard.reporters._common import KIND_LABEL, by_risk, orphan_problems

MAX_CHARS = 65_000
"""Upper bound on the output length; GitHub refuses comments over 65,536 characters."""

_ESCAPE = re.compile(r"([\\`*_\[\]#\-.!|~@$:>])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
_TRUNCATED = (
    "\n_… {n} more line(s) not shown to stay under GitHub's comment size limit; "
    "use the JSON or SARIF report for everything._\n"
)


def escape(text: str) -> str:
    """Plain text made inert in GitHub-flavoured markdown, table cells included."""
    text = printable(re.sub(r"\s+", " ", text).strip())
    text = "".join(_ENTITIES.get(ch, ch) for ch in text)
    # NOTE: '>' became '&gt;' above; the class keeps it for safety if that order ever changes.
    return _ESCAPE.sub(r"\\\1", text)


def render(report: Report, max_chars: int = MAX_CHARS) -> str:
    """The report as markdown, at most ``max_chars`` characters."""
    head = _summary(report)
    body: list[str] = []
    failing = by_risk(
        [f for f in report.findings if f.outcome is Outcome.FAIL and not f.suppressed and not f.baselined]
    )
    if failing:
        body.append("\n### Failing apps, highest risk first\n")
        body.extend(_failing(i, f) for i, f in enumerate(failing, 1))
    unknown = [
        f for f in report.findings if f.outcome is Outcome.NOT_AVAILABLE and not (f.suppressed or f.baselined)
    ]
    if unknown:
        body.append("\n### Cannot tell\n")
        body.extend(_compact(f, f.message) for f in unknown)
    errors = [f for f in report.findings if f.outcome is Outcome.ERROR]
    orphans = orphan_problems(report)
    if errors or orphans:
        body.append("\n### Could not be read or judged (partial scan)\n")
        body.extend(_compact(f, f.reason) for f in errors)
        body.extend(f"- {_code(p.origin.display())}: {escape(p.message)}\n" for p in orphans)
    suppressed = [f for f in report.findings if f.suppressed]
    if suppressed:
        body.append("\n### Suppressed\n")
        body.extend(
            _compact(f, f"{f.outcome.value}; {f.suppression.reason}") for f in suppressed if f.suppression
        )
    baselined = [f for f in report.findings if f.baselined]
    if baselined:
        body.append("\n### Baselined (known, do not fail the run)\n")
        body.extend(_compact(f, f"{f.severity.value}") for f in by_risk(baselined))
    for w in report.warnings:
        body.append(f"\n> warning: {escape(w)}\n")
    return _fit(head, body, max_chars)


def _fit(head: str, body: list[str], max_chars: int) -> str:
    text = head
    for i, chunk in enumerate(body):
        rest = len(body) - i
        note = _TRUNCATED.format(n=rest)
        if len(text) + len(chunk) + len(note) > max_chars:
            return text + note
        text += chunk
    return text


def _summary(report: Report) -> str:
    c = report.counts()
    sev = report.severity_counts()
    detail = ", ".join(f"{sev[k]} {k}" for k in ("critical", "high", "medium", "low") if sev[k])
    fails = c["fail"]
    parts = [
        f"{n} {label}"
        for n, label in ((fails, "failing"), (c["not-available"], "cannot tell"), (c["error"], "error"))
        if n
    ]
    title = ", ".join(parts) if parts else "nothing failing"
    rows = [
        ("Fail", f"{fails}" + (f" ({detail})" if detail else "")),
        ("Cannot tell", str(c["not-available"])),
        ("Error", str(c["error"])),
        ("Pass", str(c["pass"])),
        ("Not applicable", str(c["not-applicable"])),
        ("Suppressed", str(report.suppressed_count)),
        ("Baselined", str(report.baselined_count)),
    ]
    lines = [f"## refreshguard: {title}\n", "| Outcome | Findings |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    notes = [f"{report.files_scanned} metadata files scanned, refreshguard {escape(report.tool_version)}."]
    if report.partial:
        notes.append(f"**Partial scan:** {escape(report.partial_summary())}.")
    if report.baseline:
        notes.append(f"Baseline: {_code(report.baseline)}.")
    if not report.ignores_applied:
        notes.append("Ignores from the configuration were not applied.")
    return "\n".join(lines) + "\n\n" + " ".join(notes) + "\n"


def _code(text: str) -> str:
    """A path or name shown as escaped text in a ``<code>`` span: backticks cannot be escaped
    inside a markdown code span, so an HTML element with escaped content is used instead."""
    return f"<code>{escape(text)}</code>"


def _failing(i: int, f: Finding) -> str:
    risk = f"**{f.risk.score:.1f} {f.risk.severity.value}**" if f.risk else f"**{f.severity.value}**"
    kind = KIND_LABEL[f.app.kind]
    lines = [
        f"{i}. {risk} {kind} {_code(f.app.name)} at {_code(f.location.display())}",
        f"   {escape(f.message)} {escape(f.reason)}",
    ]
    if f.remediation:
        lines.append(f"   **Fix:** {escape(f.remediation)}")
    for note in f.notes:
        lines.append(f"   _Note:_ {escape(note)}")
    return "\n".join(lines) + "\n"


def _compact(f: Finding, text: str) -> str:
    kind = KIND_LABEL[f.app.kind]
    return f"- {kind} {_code(f.app.name)} at {_code(f.location.display())}: {escape(text)}\n"
