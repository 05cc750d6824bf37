"""`fix` over every case and every file of the shared corpus (read in place, fixed in a copy)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from test_fix import changed_lines, copy_tree, snapshot

from refreshguard import Outcome, scan
from refreshguard.fix import Status, exit_code, fix
from refreshguard.fixes import Disposition
from refreshguard.reporters.fix_text import render
from refreshguard.scan import ExitCode

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
CASES = CORPUS / "cases"
FLAG = b"isSecretRequiredForRefreshToken"


def _cases() -> list[str]:
    # NOTE: listing at import time fails loudly (not a skip) when the corpus is missing.
    return sorted(p.name for p in CASES.iterdir())


def _files() -> list[str]:
    return sorted(str(p.relative_to(CASES)) for p in CASES.rglob("*") if p.is_file())


def _expected_fails() -> set[tuple[str, str]]:
    with (CORPUS / "expected.tsv").open(encoding="utf-8") as fh:
        return {(r["case"], r["app"]) for r in csv.DictReader(fh, delimiter="\t") if r["outcome"] == "fail"}


UNSAFE = {
    ("GetonCRM-Solutions-LLP__DevOps_Emc", "CircleCI"),
    ("carestone-sf__salesforce", "sfdx_travis_ci"),
    ("jaumejuanos__sfdx-project", "Postman"),
}


def test_corpus_is_there() -> None:
    assert len(_cases()) == 31
    assert len(_files()) == 91


def test_every_corpus_failure_is_fixed_with_unsafe(tmp_path: Path) -> None:
    fixed: set[tuple[str, str]] = set()
    unsafe: set[tuple[str, str]] = set()
    for case in _cases():
        work = copy_tree(CASES / case, tmp_path / case)
        for r in fix(scan([work]), unsafe=True).results:
            assert r.status is Status.APPLIED, r.message
            fixed.add((case, r.edit.app.name))
            if r.edit.disposition is Disposition.UNSAFE:
                unsafe.add((case, r.edit.app.name))
    assert fixed == _expected_fails()
    assert unsafe == UNSAFE


@pytest.mark.parametrize("case", _cases())
def test_case(case: str, tmp_path: Path) -> None:
    work = copy_tree(CASES / case, tmp_path / case)
    before = snapshot(work)
    fails = {f.app.name for f in scan([work]).findings if f.outcome is Outcome.FAIL}
    # Default run: safe fixes only; unsafe ones are skipped and stay failing.
    safe = fix(scan([work]))
    skipped = {r.edit.app.name for r in safe.results if r.status is Status.SKIPPED_UNSAFE}
    assert skipped == {app for c, app in UNSAFE if c == case}
    assert exit_code(safe) is (ExitCode.FINDINGS if skipped else ExitCode.OK)
    after_safe = {f.app.name for f in scan([work]).findings if f.outcome is Outcome.FAIL}
    assert after_safe == skipped
    # With --unsafe: nothing fails any more.
    full = fix(scan([work]), unsafe=True)
    assert exit_code(full) is ExitCode.OK
    report = scan([work])
    assert [f for f in report.findings if f.outcome is Outcome.FAIL] == []
    # Only the flag's line changed, from false to true, once per failing app.
    after = snapshot(work)
    changed = {
        name: changed_lines(before[name], after[name]) for name in before if before[name] != after[name]
    }
    assert len(changed) == len(fails)
    for lines in changed.values():
        [(_, old, new)] = lines
        assert FLAG in old
        assert old.replace(b">false<", b">true<") == new
    # Fixing twice equals fixing once.
    assert fix(scan([work]), unsafe=True).results == ()
    assert snapshot(work) == after
    assert "CANARY" not in render(full, show_diffs=True)


@pytest.mark.parametrize("name", _files())
def test_each_file_alone(name: str, tmp_path: Path) -> None:
    src = CASES / name
    dest = tmp_path / src.name
    dest.write_bytes(src.read_bytes())
    original = dest.read_bytes()
    dry = fix(scan([dest]), unsafe=True, dry_run=True)
    assert dest.read_bytes() == original
    result = fix(scan([dest]), unsafe=True)
    assert all(r.status is Status.APPLIED for r in result.results)
    new = dest.read_bytes()
    if result.results:
        [(_, old_line, new_line)] = changed_lines(original, new)
        assert old_line.replace(b">false<", b">true<") == new_line
        assert len(dry.diffs) == 1
    else:
        assert new == original
        assert dry.diffs == ()
    assert [f for f in scan([dest]).findings if f.outcome is Outcome.FAIL] == []
    assert fix(scan([dest]), unsafe=True).results == ()
