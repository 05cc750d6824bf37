"""Several formats in one run: --format/--output plus repeatable --report FORMAT=FILE."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from reportkit import PROJECT, parse_csv, parse_junit, validate_sarif

from refreshguard.cli import main


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    dest = tmp_path / "project"
    shutil.copytree(PROJECT, dest)
    monkeypatch.chdir(dest)
    return dest


def test_reports_and_stdout(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "scan",
            "--no-progress",
            "--report",
            "sarif=out/r.sarif",
            "--report",
            "junit=r.xml",
            "--report",
            "csv=r.csv",
            "--report",
            "markdown=r.md",
        ]
    )
    assert code == 1
    out = capsys.readouterr().out
    assert out.startswith("FAIL     connected-app  Partner_Sync  [critical 9.1]")
    validate_sarif((project / "out" / "r.sarif").read_text(encoding="utf-8"))
    assert parse_junit((project / "r.xml").read_text(encoding="utf-8")).get("tests") == "9"
    assert len(parse_csv((project / "r.csv").read_bytes().decode("utf-8"))) == 9
    assert (project / "r.md").read_text(encoding="utf-8").startswith("## refreshguard: 3 failing")
    assert sorted(p.name for p in (project / "out").iterdir()) == ["r.sarif"]  # no temp files left


def test_output_replaces_stdout(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--no-progress", "-f", "json", "-o", "r.json", "--report", "sarif=r.sarif"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("8 apps in 12 files: 3 fail")
    assert json.loads((project / "r.json").read_text(encoding="utf-8"))["schema"] == 1
    assert (project / "r.sarif").exists()


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("sarif", "expected FORMAT=FILE, got 'sarif'"),
        ("sarif=", "expected FORMAT=FILE, got 'sarif='"),
        ("pdf=x.pdf", "unknown format 'pdf'"),
    ],
)
def test_bad_report_spec(project: Path, capsys: pytest.CaptureFixture[str], arg: str, message: str) -> None:
    with pytest.raises(SystemExit) as info:
        main(["scan", "--report", arg])
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_same_file_twice_is_refused(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "-o", "x.out", "--report", "csv=./x.out"]) == 2
    assert "x.out is named as the output of two reports" in capsys.readouterr().err
    assert not (project / "x.out").exists()


def test_unwritable_report_exits_2_but_writes_the_rest(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["scan", "--no-progress", "--report", "csv=sfdx-project.json/r.csv", "--report", "junit=r.xml"]
    )
    assert code == 2
    assert "cannot write sfdx-project.json/r.csv" in capsys.readouterr().err
    assert (project / "r.xml").exists()
