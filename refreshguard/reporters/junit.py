"""JUnit XML report, for CI systems that show test results (docs/output-formats.md).

One ``<testsuite>`` per control and one ``<testcase>`` per (control, app):
``fail`` -> ``<failure>``; ``error`` -> ``<error>``; ``not-applicable`` and ``not-available``
-> ``<skipped>`` with the reason; suppressed and baselined findings -> ``<skipped>`` saying so;
``pass`` -> an empty test case. Inputs that named no app get a testcase each, as ``<error>``, in
a last suite named ``refreshguard/inputs``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from refreshguard.controls import CONTROLS
from refreshguard.findings import Finding, Outcome, Problem, Report
from refreshguard.reporters._common import OUTCOME_LABEL, factor_lines, orphan_problems, risk_text

INPUTS_SUITE = "refreshguard/inputs"

# XML 1.0 cannot carry most control characters, even escaped: replace them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def render(report: Report) -> str:
    """The report as JUnit XML."""
    order = [c.id for c in CONTROLS]
    order += sorted({f.control for f in report.findings} - set(order))
    suites = [
        _suite(f"refreshguard/{cid}", [f for f in report.findings if f.control == cid]) for cid in order
    ]
    orphans = orphan_problems(report)
    if orphans:
        suites.append(_inputs_suite(orphans))
    root = ET.Element("testsuites", name="refreshguard")
    _totals(root, suites)
    root.extend(suites)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _totals(element: ET.Element, children: Iterable[ET.Element]) -> None:
    items = list(children)
    for key in ("tests", "failures", "errors", "skipped"):
        element.set(key, str(sum(int(c.get(key, "0")) for c in items)))


def _suite(name: str, findings: list[Finding]) -> ET.Element:
    suite = ET.Element("testsuite", name=_clean(name))
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for f in findings:
        case, kind = _case(f)
        suite.append(case)
        counts["tests"] += 1
        if kind:
            counts[kind] += 1
    for key, value in counts.items():
        suite.set(key, str(value))
    return suite


def _case(f: Finding) -> tuple[ET.Element, str | None]:
    """The testcase and which counter it adds to (None for a pass)."""
    case = ET.Element(
        "testcase",
        classname=_clean(f"refreshguard.{f.control}.{f.app.kind.value}"),
        name=_clean(f.app.name),
        file=_clean(f"{f.location.path}!{f.location.member}" if f.location.member else f.location.path),
    )
    if f.location.line is not None:
        case.set("line", str(f.location.line))
    if f.suppression is not None:
        reason = f"suppressed ({OUTCOME_LABEL[f.outcome]}): {f.suppression.reason}"
        ET.SubElement(case, "skipped", message=_clean(reason)).text = _clean(_details(f))
        return case, "skipped"
    if f.baselined:
        reason = f"baselined ({OUTCOME_LABEL[f.outcome]}): in the baseline, does not fail the run"
        ET.SubElement(case, "skipped", message=_clean(reason)).text = _clean(_details(f))
        return case, "skipped"
    if f.outcome is Outcome.FAIL:
        headline = f"{f.app.name}: {f.severity.value} {f.risk.score:.1f}: " if f.risk else f"{f.app.name}: "
        element = ET.SubElement(case, "failure", message=_clean(headline + f.message), type=f.severity.value)
        element.text = _clean(_details(f))
        return case, "failures"
    if f.outcome is Outcome.ERROR:
        element = ET.SubElement(case, "error", message=_clean(f.message), type="error")
        element.text = _clean(_details(f))
        return case, "errors"
    if f.outcome in (Outcome.NOT_APPLICABLE, Outcome.NOT_AVAILABLE):
        message = f"{OUTCOME_LABEL[f.outcome]}: {f.reason}"
        ET.SubElement(case, "skipped", message=_clean(message)).text = _clean(_details(f))
        return case, "skipped"
    return case, None


def _details(f: Finding) -> str:
    lines = [f.message, f"Location: {f.location.display()}", f"Why: {f.reason}"]
    if f.risk is not None:
        lines.append(f"Risk: {risk_text(f)}")
        lines.extend(f"  {x}" for x in factor_lines(f))
    if f.remediation:
        lines.append(f"Fix: {f.remediation}")
    lines.extend(f"Note: {n}" for n in f.notes)
    if f.suppression is not None:
        lines.append(f"Suppressed by {f.suppression.source}: {f.suppression.reason}")
    if f.baselined:
        lines.append("Baselined: already in the baseline file; does not fail the run.")
    return "\n".join(lines)


def _inputs_suite(problems: list[Problem]) -> ET.Element:
    suite = ET.Element("testsuite", name=INPUTS_SUITE)
    for p in problems:
        case = ET.SubElement(
            suite, "testcase", classname="refreshguard.inputs", name=_clean(p.origin.display())
        )
        ET.SubElement(case, "error", message=_clean(p.message), type="unreadable-input")
    suite.set("tests", str(len(problems)))
    suite.set("failures", "0")
    suite.set("errors", str(len(problems)))
    suite.set("skipped", "0")
    return suite
