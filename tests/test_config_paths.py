"""Ignore paths are relative to the config file; unused ignores and empty scans warn."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from refreshguard.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sfdx-project"


def _project(tmp_path: Path, extra_ignore: str = "") -> Path:
    project = tmp_path / "proj"
    shutil.copytree(EXAMPLE, project)
    (project / "refreshguard.toml").write_text(
        '[[ignore]]\ncontrol = "require-secret-for-refresh-token"\napp = "Legacy_Data_Loader"\n'
        'path = "force-app/**"\nreason = "tracked in SEC-1"\n' + extra_ignore,
        encoding="utf-8",
    )
    return project


@pytest.mark.parametrize("start", ["inside", "parent", "absolute"])
def test_ignore_path_is_relative_to_the_config_file(
    tmp_path: Path, start: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path)
    if start == "inside":
        monkeypatch.chdir(project)
        target = "."
    elif start == "parent":
        monkeypatch.chdir(tmp_path)
        target = "proj"
    else:
        monkeypatch.chdir("/")
        target = os.fspath(project)
    main(
        [
            "scan",
            "--no-progress",
            "--color",
            "never",
            "--config",
            os.fspath(project / "refreshguard.toml"),
            target,
        ]
    )
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "Legacy_Data_Loader" in x and x.startswith("FAIL"))
    assert line.endswith("(suppressed)")


def test_unused_ignore_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = _project(
        tmp_path,
        '\n[[ignore]]\ncontrol = "require-secret-for-refresh-token"\napp = "No_Such_App"\nreason = "old"\n',
    )
    main(["scan", "--no-progress", "--color", "never", os.fspath(project)])
    out = " ".join(capsys.readouterr().out.split())  # warnings are wrapped to the width
    assert "refreshguard.toml#ignore[2]: ignore of 'No_Such_App' matched no finding" in out
    assert "ignore[1]: ignore of 'Legacy_Data_Loader' matched no finding" not in out


def test_empty_scan_warns_in_terminal_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "README.md").write_text("nothing here", encoding="utf-8")
    assert main(["scan", "--no-progress", "--color", "never", os.fspath(tmp_path)]) == 0
    assert "warning: no Connected App or External Client App files were found" in capsys.readouterr().out
    main(["scan", "--no-progress", "-f", "json", os.fspath(tmp_path)])
    assert "no Connected App or External Client App files were found" in capsys.readouterr().out


def test_eca_settings_without_scopes_element_is_judged_by_its_flag(tmp_path: Path) -> None:
    """An absent scope list is unknown, never 'no refresh scope': the flag decides."""
    from refreshguard import Outcome, scan

    ns = 'xmlns="http://soap.sforce.com/2006/04/metadata"'
    (tmp_path / "A.ecaOauth-meta.xml").write_text(
        f"<ExtlClntAppOauthSettings {ns}><externalClientApplication>A</externalClientApplication>"
        "<label>A_oauth</label></ExtlClntAppOauthSettings>",
        encoding="utf-8",
    )
    (tmp_path / "A.ecaGlblOauth-meta.xml").write_text(
        f"<ExtlClntAppGlobalOauthSettings {ns}><externalClientApplication>A</externalClientApplication>"
        "<isSecretRequiredForRefreshToken>false</isSecretRequiredForRefreshToken>"
        "</ExtlClntAppGlobalOauthSettings>",
        encoding="utf-8",
    )
    (finding,) = scan([tmp_path]).findings
    assert finding.outcome is Outcome.FAIL
