"""No secret from the input may reach any report: consumer secrets and private keys are canaries
in the fixture project (a Connected App and an ECA global OAuth settings file)."""

from __future__ import annotations

from pathlib import Path

import pytest
from reportkit import PROJECT, project_report

from refreshguard.cli import main
from refreshguard.reporters import Format, renderer

CANARIES = ("CANARY-SECRET-9f8e7d", "CANARYKEY", "BEGIN PRIVATE KEY")


def test_fixture_really_holds_the_canaries() -> None:
    texts = [p.read_text(encoding="utf-8") for p in PROJECT.rglob("*-meta.xml")]
    for canary in CANARIES:
        assert any(canary in t for t in texts), canary
    assert any(
        "<consumerSecret>CANARY-SECRET-9f8e7d-ECA<" in t and "ExtlClntAppGlobalOauthSettings" in t
        for t in texts
    )


@pytest.mark.parametrize("fmt", list(Format))
def test_no_canary_in_any_format(fmt: Format) -> None:
    text = renderer(fmt, verbose=True)(project_report())
    assert "Partner_Sync" in text.replace("\\_", "_")  # the app holding the secret is reported
    for canary in CANARIES:
        assert canary not in text


def test_no_canary_in_cli_files_or_streams(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(PROJECT)
    reports = [f"{f.value}={tmp_path / f.value}" for f in Format]
    args = ["scan", "--no-progress", "-v", "--baseline", "baseline.json"]
    for spec in reports:
        args += ["--report", spec]
    main(args)
    main(["baseline", "--output", str(tmp_path / "baseline.json")])
    captured = capsys.readouterr()
    outputs = [captured.out, captured.err] + [p.read_text(encoding="utf-8") for p in tmp_path.iterdir()]
    assert len(outputs) == len(Format) + 3
    for text in outputs:
        for canary in CANARIES:
            assert canary not in text
