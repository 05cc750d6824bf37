"""Every format on every shared corpus case: output must be valid (SARIF schema, XML, CSV) and
agree with the scan. Fails, never skips, when the corpus is missing."""

from __future__ import annotations

from dataclasses import replace

import pytest
from reportkit import CORPUS, chdir, parse_csv, parse_junit, validate_sarif

from refreshguard import Outcome, Report, scan
from refreshguard.reporters import Format, csv_report, junit, markdown, renderer, sarif

CASES = sorted(p.name for p in CORPUS.iterdir()) if CORPUS.is_dir() else []


def test_corpus_is_present() -> None:
    assert len(CASES) >= 30, f"shared corpus missing or incomplete at {CORPUS}"


def _scan(case: str) -> Report:
    with chdir(CORPUS / case):
        return replace(scan(["."]), tool_version="0.0.0-test")


@pytest.mark.parametrize("case", CASES)
def test_every_format_is_valid(case: str) -> None:
    report = _scan(case)
    findings = report.findings
    counted = [f for f in findings if f.outcome in (Outcome.FAIL, Outcome.NOT_AVAILABLE)]
    data = validate_sarif(sarif.render(report))
    results = data["runs"][0]["results"]
    assert len(results) == len(counted)
    for result in results:
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1
    root = parse_junit(junit.render(report))
    assert int(root.get("tests", "-1")) >= len(findings)
    assert int(root.get("failures", "-1")) == sum(1 for f in findings if f.outcome is Outcome.FAIL)
    rows = parse_csv(csv_report.render(report))
    assert [r["fingerprint"] for r in rows[: len(findings)]] == [f.fingerprint for f in findings]
    text = markdown.render(report)
    assert len(text) <= markdown.MAX_CHARS
    assert text.startswith("## refreshguard: ")
    for fmt in Format:
        assert renderer(fmt)(report)
