"""SARIF 2.1.0 report, for GitHub code scanning and other SARIF viewers (docs/output-formats.md).

Decisions, each documented for users:
- One rule per control, ``refreshguard/<control id>``, built from :data:`CONTROLS`.
- Results: ``fail`` (level by severity) and ``not-available`` (level ``note``). ``pass`` and
  ``not-applicable`` are not results. Unreadable inputs (``error``) are tool execution
  notifications, and make ``executionSuccessful`` false.
- Suppressed findings stay, with an ``external`` suppression carrying the ignore's reason.
- With a baseline, every result has ``baselineState``: ``unchanged`` (baselined) or ``new``.
- Every result has a physical location: the file and line; for a zip member, the zip (line 1)
  with the member named in a logical location; for a live org, a synthetic
  ``salesforce-org/<host>/<kind>/<app>`` URI.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote, urlsplit

from refreshguard.controls import CONTROLS, Control
from refreshguard.findings import Finding, Outcome, Problem, Report, Severity
from refreshguard.model import App, Origin
from refreshguard.reporters._common import KIND_LABEL, factor_lines, orphan_problems, risk_text

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/refreshguard/refreshguard"
FINGERPRINT_KEY = "refreshguard/v1"
"""The ``partialFingerprints`` key; its value is :attr:`Finding.fingerprint`."""
SRCROOT = "%SRCROOT%"
ORG_URI_ROOT = "salesforce-org"

_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.NONE: "warning",
}
_TAGS = ["security", "salesforce", "oauth", "refresh-token"]
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:/")


def render(report: Report) -> str:
    """The report as a SARIF 2.1.0 log (one run)."""
    return json.dumps(to_sarif(report), indent=2, ensure_ascii=False) + "\n"


def to_sarif(report: Report) -> dict[str, Any]:
    """The SARIF log as JSON-ready data."""
    controls = list(CONTROLS)
    known = {c.id for c in controls}
    extra_ids = sorted({f.control for f in report.findings} - known)
    index = {c.id: i for i, c in enumerate(controls)}
    index.update({cid: len(controls) + i for i, cid in enumerate(extra_ids)})
    rules = [rule(c) for c in controls] + [_bare_rule(cid) for cid in extra_ids]
    results = [
        _result(f, index[f.control], report.baseline is not None)
        for f in report.findings
        if f.outcome in (Outcome.FAIL, Outcome.NOT_AVAILABLE)
    ]
    errors = [f for f in report.findings if f.outcome is Outcome.ERROR]
    notifications = [_error_notification(f) for f in errors]
    notifications += [_problem_notification(p) for p in orphan_problems(report)]
    invocation: dict[str, Any] = {
        "executionSuccessful": not report.partial and not errors,
        "toolExecutionNotifications": notifications,
        "toolConfigurationNotifications": [
            {"level": "warning", "message": {"text": w}} for w in report.warnings
        ],
    }
    run_properties: dict[str, Any] = {
        "inputs": list(report.inputs),
        "filesScanned": report.files_scanned,
        "partial": report.partial,
        "ignoresApplied": report.ignores_applied,
        "suppressed": report.suppressed_count,
        "baseline": report.baseline,
        "baselined": report.baselined_count,
    }
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "refreshguard",
                        "version": report.tool_version,
                        "semanticVersion": report.tool_version,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "invocations": [invocation],
                "columnKind": "utf16CodeUnits",
                "results": results,
                "properties": run_properties,
            }
        ],
    }


def rule(control: Control) -> dict[str, Any]:
    """The SARIF rule (reportingDescriptor) for one control."""
    ratings = sorted(control.ratings.items(), key=lambda kv: kv[0].value)
    rows = "\n".join(
        f"| {KIND_LABEL[kind]} | {r.control_name} | {r.label} ({r.low:.1f}-{r.high:.1f}) |"
        for kind, r in ratings
    )
    text = (
        f"{control.title}.\n\n{control.rationale}\n\nRemediation: {control.remediation}\n\n"
        f"Documentation: {control.docs}\n"
    )
    markdown = (
        f"**{control.title}**\n\n{control.rationale}\n\n**Remediation:** {control.remediation}\n\n"
        "| App kind | Security Health Review control | Published rating |\n|---|---|---|\n"
        f"{rows}\n\n[Documentation]({control.docs})\n"
    )
    return {
        "id": f"refreshguard/{control.id}",
        "name": _pascal(control.id),
        "shortDescription": {"text": control.title},
        "fullDescription": {"text": control.rationale},
        "help": {"text": text, "markdown": markdown},
        "helpUri": control.docs,
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "security-severity": f"{_worst_base_score(control):.1f}",
            "precision": "very-high",
            "tags": list(_TAGS),
        },
    }


def _bare_rule(control_id: str) -> dict[str, Any]:
    """A rule for a control that is not in the registry (a library caller's own control)."""
    return {
        "id": f"refreshguard/{control_id}",
        "name": _pascal(control_id),
        "shortDescription": {"text": control_id},
        "properties": {"tags": list(_TAGS)},
    }


def _worst_base_score(control: Control) -> float:
    """The highest CVSS base score of the control's calibrated vectors: the rule's severity when
    nothing about the app is known."""
    from cvss import CVSS3  # imported here, like refreshguard.risk: keeps start-up fast

    return max(float(CVSS3(r.base_vector).scores()[0]) for r in control.ratings.values())


def _pascal(slug: str) -> str:
    return "".join(part.capitalize() for part in slug.split("-"))


def _result(f: Finding, rule_index: int, with_baseline: bool) -> dict[str, Any]:
    fail = f.outcome is Outcome.FAIL
    result: dict[str, Any] = {
        "ruleId": f"refreshguard/{f.control}",
        "ruleIndex": rule_index,
        "level": _LEVEL[f.severity] if fail else "note",
        "message": {"text": _message(f)},
        "locations": [location(f.location, f.app)],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
    }
    if f.suppression is not None:
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": f.suppression.reason}
        ]
    if with_baseline:
        result["baselineState"] = "unchanged" if f.baselined else "new"
    properties: dict[str, Any] = {
        "outcome": f.outcome.value,
        "appKind": f.app.kind.value,
        "appName": f.app.name,
        "severity": f.severity.value,
        "baselined": f.baselined,
        "publicClient": f.public_client,
    }
    if f.risk is not None:
        properties["security-severity"] = f"{f.risk.score:.1f}"
        properties["riskScore"] = f.risk.score
        properties["riskVector"] = f.risk.vector
        properties["riskFactors"] = factor_lines(f)
    if f.notes:
        properties["notes"] = list(f.notes)
    result["properties"] = properties
    return result


def _message(f: Finding) -> str:
    head = "" if f.outcome is Outcome.FAIL else "Cannot tell. "
    parts = [f"{head}{KIND_LABEL[f.app.kind]} {f.app.name}: {f.message}", f.reason]
    if f.location.member:
        line = f", line {f.location.line}" if f.location.line else ""
        parts.append(f"(In zip member {f.location.member}{line}.)")
    if f.risk is not None:
        parts.append(f"Risk: {risk_text(f)}.")
    if f.remediation:
        parts.append(f"Fix: {f.remediation}")
    if f.suppression is not None:
        parts.append(f"[Suppressed: {f.suppression.reason} ({f.suppression.source})]")
    if f.baselined:
        parts.append("[Baselined: already in the baseline; does not fail the run]")
    return " ".join(p for p in parts if p)


def location(origin: Origin, app: App | None = None) -> dict[str, Any]:
    """A SARIF location for ``origin``; always with a physical location (see module doc)."""
    logical: list[dict[str, Any]] = []
    if app is not None:
        logical.append(
            {"name": app.name, "fullyQualifiedName": f"{app.kind.value}/{app.name}", "kind": "object"}
        )
    if origin.component is not None:
        host = urlsplit(origin.path).hostname or origin.path
        kind = app.kind.value if app else "unknown"
        name = app.name if app else origin.component
        uri = "/".join(quote(s, safe="") for s in (ORG_URI_ROOT, host, kind, name))
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": uri, "uriBaseId": SRCROOT},
            "region": {"startLine": 1},
        }
        logical.append({"name": origin.component, "fullyQualifiedName": origin.path, "kind": "resource"})
    else:
        uri, base = artifact_uri(origin.path)
        artifact: dict[str, Any] = {"uri": uri}
        if base:
            artifact["uriBaseId"] = base
        line = 1 if origin.member else (origin.line or 1)
        physical = {"artifactLocation": artifact, "region": {"startLine": line}}
        if origin.member is not None:
            member = f"{origin.member}:{origin.line}" if origin.line else origin.member
            logical.append({"name": origin.member, "fullyQualifiedName": member, "kind": "resource"})
    result: dict[str, Any] = {"physicalLocation": physical}
    if logical:
        result["logicalLocations"] = logical
    return result


def artifact_uri(path: str) -> tuple[str, str | None]:
    """A URI reference for a path as given: relative paths stay relative to ``%SRCROOT%``
    (where GitHub puts the checkout); absolute paths become ``file://`` URIs."""
    posix = path.replace("\\", "/")
    if posix.startswith("/") or _WINDOWS_DRIVE.match(posix):
        prefix = "file://" if posix.startswith("/") else "file:///"
        return prefix + quote(posix, safe="/:"), None
    while posix.startswith("./"):
        posix = posix[2:]
    return quote(posix or ".", safe="/"), SRCROOT


def _error_notification(f: Finding) -> dict[str, Any]:
    return {
        "level": "error",
        "message": {"text": f"{KIND_LABEL[f.app.kind]} {f.app.name}: {f.message} {f.reason}"},
        "locations": [location(f.location, f.app)],
        "properties": {"control": f.control, "outcome": f.outcome.value},
    }


def _problem_notification(p: Problem) -> dict[str, Any]:
    return {"level": "error", "message": {"text": p.message}, "locations": [location(p.origin)]}
