"""Every case of the shared public-metadata corpus gives exactly the verdicts in expected.tsv.

The corpus lives outside the repository (``../shared/corpus``); when it is missing these tests
fail rather than skip, so a broken checkout cannot pass silently.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict

import pytest
from conftest import CORPUS, assert_valid_json_report, check_report

from refreshguard import scan
from refreshguard.cli import main

CASES = CORPUS / "cases"
EXPECTED_TSV = CORPUS / "expected.tsv"


def _expected() -> dict[str, dict[tuple[str, str], str]]:
    table: dict[str, dict[tuple[str, str], str]] = defaultdict(dict)
    if not EXPECTED_TSV.is_file():
        return table
    with EXPECTED_TSV.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            table[row["case"]][(row["kind"], row["app"])] = row["outcome"]
    return table


EXPECTED = _expected()
# Cases come from the folder, not the table, so a case with no apps (all templates) is covered too.
# When the corpus is missing, one sentinel case makes the test fail loudly.
CASE_NAMES = sorted(p.name for p in CASES.iterdir() if p.is_dir()) if CASES.is_dir() else ["<missing>"]


def test_corpus_is_present() -> None:
    assert CASES.is_dir(), f"the shared corpus is missing: {CASES}"
    assert EXPECTED_TSV.is_file(), f"the corpus expectations are missing: {EXPECTED_TSV}"
    assert len(CASE_NAMES) >= 30
    assert sum(len(v) for v in EXPECTED.values()) == 48


@pytest.mark.parametrize("case", CASE_NAMES)
def test_case_verdicts(case: str) -> None:
    assert CASES.is_dir(), f"the shared corpus is missing: {CASES}"
    report = scan([CASES / case])
    got: dict[tuple[str, str], str] = {}
    for f in report.findings:
        key = (f.app.kind.value, f.app.name)
        assert key not in got, f"{key} reported twice"
        got[key] = f.outcome.value
    assert got == EXPECTED.get(case, {})
    assert report.problems == ()
    check_report(report)


def test_case_without_metadata_suffixes_reports_nothing() -> None:
    # Templates named *.xml are not metadata files: walking the folder must find no app.
    report = scan([CASES / "Jaganpro__sf-skills"])
    assert report.findings == ()
    assert report.files_scanned == 0


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("carestone-sf__salesforce", 1),
        ("gilbertknny__KennyTrailhead", 0),
        ("shakthi-sfdc__External-Client-App-For-2G-Package", 0),
        ("maricn28r__Salesforce-B2B-Project", 0),
    ],
)
def test_cli_json_on_corpus(case: str, code: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert CASES.is_dir(), f"the shared corpus is missing: {CASES}"
    rc = main(["scan", "--format", "json", "--no-progress", str(CASES / case)])
    out = capsys.readouterr().out
    data = assert_valid_json_report(out)
    assert rc == code
    got = {(f["app"]["kind"], f["app"]["name"]): f["outcome"] for f in data["findings"]}
    assert got == EXPECTED[case]
    assert data["inputs"] == [str(CASES / case)]
    assert data["summary"]["partial"] is False


def test_cli_json_fail_on_unknown_turns_not_available_into_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    case = CASES / "shakthi-sfdc__External-Client-App-For-2G-Package"
    rc = main(["scan", "--format", "json", "--fail-on-unknown", "--no-progress", str(case)])
    data = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert data["summary"]["outcomes"]["not-available"] == 1


def test_whole_corpus_in_one_scan() -> None:
    # Scanning every case at once joins nothing across cases that should stay apart: the number
    # of verdicts equals the table's when apps of the same name live in different trees.
    assert CASES.is_dir(), f"the shared corpus is missing: {CASES}"
    report = scan(sorted(p for p in CASES.iterdir() if p.is_dir()))
    assert report.problems == ()
    assert len(report.findings) == sum(len(v) for v in EXPECTED.values())
