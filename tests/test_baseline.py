"""Baselines: writing, reading, applying, and what they do to the exit code."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from reportkit import PROJECT, TODAY, project_report

from refreshguard import ConfigError, ExitCode, exit_code
from refreshguard.baseline import (
    Baseline,
    BaselineEntry,
    apply_baseline,
    build_baseline,
    dumps_baseline,
    load_baseline,
    parse_baseline,
)
from refreshguard.cli import main

FP = "require-secret-for-refresh-token/connected-app/"


def test_build_records_only_unsuppressed_failures() -> None:
    report = project_report(baseline=False)
    baseline = build_baseline(report, today=TODAY)
    assert [e.fingerprint for e in baseline.entries] == [
        FP + "Partner_Sync",
        FP + "Reporting_Job",
        "require-secret-for-refresh-token/external-client-app/Field_Service",
    ]
    assert baseline.entries[0] == BaselineEntry(
        FP + "Partner_Sync",
        "require-secret-for-refresh-token",
        "connected-app",
        "Partner_Sync",
        "critical",
        "2026-12-03",
    )


def test_rewrite_keeps_first_seen_and_drops_fixed() -> None:
    report = project_report(baseline=False)
    old = load_baseline(PROJECT / "baseline.json")
    new = build_baseline(report, today=TODAY, previous=old)
    dates = {e.app_name: e.first_seen for e in new.entries}
    assert dates == {
        "Partner_Sync": "2026-12-03",
        "Reporting_Job": "2026-11-02",
        "Field_Service": "2026-12-03",
    }
    assert FP + "Retired_App" not in new.fingerprints


def test_round_trip() -> None:
    baseline = build_baseline(project_report(baseline=False), today=TODAY)
    text = dumps_baseline(baseline)
    assert json.loads(text)["schema"] == 1
    assert parse_baseline(text, "x") == baseline


def test_apply_marks_but_keeps_and_exit_code_ignores() -> None:
    plain = project_report(baseline=False)
    assert exit_code(plain) is ExitCode.FINDINGS
    everything = build_baseline(plain, today=TODAY)
    applied = apply_baseline(plain, everything, "b.json")
    assert len(applied.findings) == len(plain.findings)
    assert applied.baselined_count == 3
    assert applied.baseline == "b.json"
    assert applied.counts()["fail"] == 0
    # Nothing new fails; the fixture's unreadable inputs still make it partial.
    assert exit_code(applied) is ExitCode.PARTIAL
    only_one = Baseline(tuple(e for e in everything.entries if e.app_name == "Reporting_Job"))
    assert exit_code(apply_baseline(plain, only_one, "b.json")) is ExitCode.FINDINGS


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "x: the baseline is not valid JSON"),
        ("[]", "x: the baseline must be a JSON object"),
        ('{"schema": 2, "entries": []}', "x: baseline schema 2 is not supported"),
        ('{"schema": 1}', "x: 'entries' must be a list"),
        ('{"schema": 1, "entries": [3]}', "x: entries[0]: must be an object"),
        (
            '{"schema": 1, "entries": [{"fingerprint": "a"}]}',
            "x: entries[0]: 'control' must be a non-empty string",
        ),
    ],
)
def test_malformed_baselines(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_baseline(text, "x")
    assert str(info.value).startswith(message)


def test_bad_first_seen() -> None:
    entry = dict.fromkeys(("fingerprint", "control", "app_kind", "app_name", "severity"), "v")
    entry["first_seen"] = "yesterday"
    with pytest.raises(ConfigError, match=r"entries\[0\]: 'first_seen' must be a date"):
        parse_baseline(json.dumps({"schema": 1, "entries": [entry]}), "x")


def _project(tmp_path: Path) -> Path:
    dest = tmp_path / "project"
    shutil.copytree(PROJECT, dest)
    (dest / "baseline.json").unlink()
    return dest


def test_cli_baseline_then_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(tmp_path)
    monkeypatch.chdir(project)
    # The fixture has unreadable inputs, so the baseline is written and the exit code says partial.
    assert main(["baseline", "."]) == ExitCode.PARTIAL
    err = capsys.readouterr().err
    assert (
        "wrote refreshguard-baseline.json: 3 failing finding(s) (3 new, 0 kept, 0 fixed and dropped)" in err
    )
    data = json.loads((project / "refreshguard-baseline.json").read_text(encoding="utf-8"))
    assert [e["app_name"] for e in data["entries"]] == ["Partner_Sync", "Reporting_Job", "Field_Service"]
    assert data["entries"][0]["first_seen"] == dt.date.today().isoformat()
    # Nothing new: only the partial scan is left.
    assert main(["scan", "--baseline", "refreshguard-baseline.json", "-f", "json"]) == ExitCode.PARTIAL
    out = json.loads(capsys.readouterr().out)
    assert out["summary"]["baselined"] == 3
    assert out["summary"]["outcomes"]["fail"] == 0
    assert sum(f["baselined"] for f in out["findings"]) == 3


def test_cli_fixed_finding_is_dropped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(tmp_path)
    monkeypatch.chdir(project)
    main(["baseline", "."])
    app = project / "force-app/main/default/connectedApps/Partner_Sync.connectedApp-meta.xml"
    app.write_text(
        app.read_text(encoding="utf-8").replace(
            "<isSecretRequiredForRefreshToken>false", "<isSecretRequiredForRefreshToken>true"
        ),
        encoding="utf-8",
    )
    main(["baseline", "."])
    data = json.loads((project / "refreshguard-baseline.json").read_text(encoding="utf-8"))
    assert [e["app_name"] for e in data["entries"]] == ["Reporting_Job", "Field_Service"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            None,
            "missing.json: baseline file not found; create it with "
            "`refreshguard baseline --output missing.json`",
        ),
        ("not json", "missing.json: the baseline is not valid JSON"),
    ],
)
def test_cli_bad_baseline_exits_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    content: str | None,
    expected: str,
) -> None:
    project = _project(tmp_path)
    monkeypatch.chdir(project)
    if content is not None:
        (project / "missing.json").write_text(content, encoding="utf-8")
    assert main(["scan", "--baseline", "missing.json"]) == ExitCode.USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"refreshguard: error: {expected}")


def test_cli_baseline_refuses_to_overwrite_malformed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(tmp_path)
    monkeypatch.chdir(project)
    (project / "refreshguard-baseline.json").write_text("{", encoding="utf-8")
    assert main(["baseline", "."]) == ExitCode.USAGE
    assert (project / "refreshguard-baseline.json").read_text(encoding="utf-8") == "{"
    assert "the baseline is not valid JSON" in capsys.readouterr().err
