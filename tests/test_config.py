"""Configuration (refreshguard.toml and [tool.refreshguard]), ignores with reasons and expiry,
thresholds, and the exit codes the CLI returns."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, check_report

from refreshguard import ConfigError, FailOn, Outcome, exit_code, load_config, scan
from refreshguard.cli import main
from refreshguard.controls import BY_ID

CONTROL = "require-secret-for-refresh-token"
KNOWN = frozenset(BY_ID)
TODAY = dt.date(2026, 12, 3)


def _config(tmp_path: Path, text: str, name: str = "refreshguard.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _ignore(app: str = "Billing_Sync", **extra: str) -> str:
    lines = [f'control = "{CONTROL}"', f'app = "{app}"', *(f"{k} = {v}" for k, v in extra.items())]
    return "[[ignore]]\n" + "\n".join(lines) + "\n"


# --- loading ---------------------------------------------------------------------------------------


def test_full_config(tmp_path: Path) -> None:
    path = _config(
        tmp_path,
        'fail_on = "high"\nfail_on_unknown = true\n'
        + _ignore(
            reason='"vendor cannot send the secret (SEC-12)"', kind='"connected-app"', expires="2027-03-31"
        ),
    )
    config = load_config(path, KNOWN)
    assert config.fail_on is FailOn.HIGH
    assert config.fail_on_unknown is True
    (ignore,) = config.ignores
    assert (ignore.app, ignore.reason, ignore.expires, ignore.kind, ignore.source) == (
        "Billing_Sync",
        "vendor cannot send the secret (SEC-12)",
        dt.date(2027, 3, 31),
        "connected-app",
        f"{path}#ignore[1]",
    )


def test_no_config_gives_defaults() -> None:
    config = load_config(None, KNOWN)
    assert (config.fail_on, config.fail_on_unknown, config.ignores) == (FailOn.ANY, False, ())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_ignore(), "#ignore[1]: 'reason' is required: say why the finding is accepted"),
        (_ignore(reason='"   "'), "#ignore[1]: 'reason' is required"),
        (_ignore(app="", reason='"x"'), "#ignore[1]: 'app' (an API name or pattern) is required"),
        ('[[ignore]]\ncontrol = "nope"\napp = "x"\nreason = "y"\n', "#ignore[1]: control must be one of"),
        (_ignore(reason='"x"', kind='"connected_app"'), "kind must be connected-app or external-client-app"),
        (_ignore(reason='"x"', expires='"next week"'), "expires must be a date like 2027-03-31"),
        (_ignore(reason='"x"', expires="12"), "expires must be a date like 2027-03-31"),
        (_ignore(reason='"x"', owner='"me"'), "#ignore[1]: unknown key(s) owner"),
        ('fail_on = "sometimes"\n', "fail_on must be one of any, low, medium, high, critical, never"),
        ("fail_on_unknown = 1\n", "fail_on_unknown must be true or false"),
        ("colour = true\n", "unknown key(s) colour; allowed: fail_on, fail_on_unknown, ignore"),
        ('ignore = "all"\n', "'ignore' must be an array of tables"),
        ("fail_on = \n", "not valid TOML"),
    ],
)
def test_invalid_config(tmp_path: Path, text: str, message: str) -> None:
    path = _config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, KNOWN)
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(path))


def test_pyproject_tool_section(tmp_path: Path) -> None:
    path = _config(
        tmp_path,
        '[project]\nname = "x"\n\n[tool.refreshguard]\nfail_on = "critical"\n\n'
        f'[[tool.refreshguard.ignore]]\ncontrol = "{CONTROL}"\napp = "Dev_*"\nreason = "local only"\n',
        "pyproject.toml",
    )
    config = load_config(path, KNOWN)
    assert config.fail_on is FailOn.CRITICAL
    assert [i.app for i in config.ignores] == ["Dev_*"]


def test_pyproject_unknown_key_in_tool_section(tmp_path: Path) -> None:
    path = _config(tmp_path, "[tool.refreshguard]\nfailon = 1\n", "pyproject.toml")
    with pytest.raises(ConfigError, match="unknown key"):
        load_config(path, KNOWN)


# --- ignores ---------------------------------------------------------------------------------------


def _scan_with(tmp_path: Path, toml: str, today: dt.date = TODAY, use_ignores: bool = True):  # type: ignore[no-untyped-def]
    config = load_config(_config(tmp_path, toml), KNOWN)
    return scan([FIXTURES / "ca-outcomes"], config, use_ignores=use_ignores, today=today)


def test_ignore_hides_but_keeps_and_counts(tmp_path: Path) -> None:
    report = _scan_with(tmp_path, _ignore(reason='"accepted (SEC-1)"'))
    (hidden,) = [f for f in report.findings if f.suppressed]
    assert hidden.app.name == "Billing_Sync"
    assert hidden.outcome is Outcome.FAIL  # the verdict is kept, only hidden
    assert hidden.suppression is not None
    assert hidden.suppression.reason == "accepted (SEC-1)"
    assert report.suppressed_count == 1
    assert report.counts()["fail"] == 6  # 7 failing apps, one hidden
    assert report.severity_counts()["critical"] == 0
    data = check_report(report)
    assert data["summary"]["suppressed"] == 1
    assert len(data["findings"]) == 12


def test_ignore_patterns_are_case_insensitive_wildcards(tmp_path: Path) -> None:
    report = _scan_with(tmp_path, _ignore(app="*_cli", reason='"local tools"'))
    assert [f.app.name for f in report.findings if f.suppressed] == ["Dev_CLI"]


def test_ignore_kind_filter(tmp_path: Path) -> None:
    report = _scan_with(tmp_path, _ignore(reason='"x"', kind='"external-client-app"'))
    assert report.suppressed_count == 0


def test_ignore_path_filter(tmp_path: Path) -> None:
    hit = _scan_with(tmp_path, _ignore(app="*", reason='"x"', path='"*/connectedApps/Dev_*"'))
    assert [f.app.name for f in hit.findings if f.suppressed] == ["Dev_CLI"]
    miss = _scan_with(tmp_path, _ignore(app="*", reason='"x"', path='"elsewhere/**"'))
    assert miss.suppressed_count == 0


def test_ignore_never_hides_a_pass(tmp_path: Path) -> None:
    report = _scan_with(tmp_path, _ignore(app="*", reason='"everything"'))
    passes = [f for f in report.findings if f.outcome is Outcome.PASS]
    assert passes
    assert not any(f.suppressed for f in passes)


def test_ignore_applies_through_its_expiry_day(tmp_path: Path) -> None:
    toml = _ignore(reason='"until the vendor fix"', expires="2026-12-03")
    report = _scan_with(tmp_path, toml, today=dt.date(2026, 12, 3))
    assert report.suppressed_count == 1
    assert report.warnings == ()
    (hidden,) = [f for f in report.findings if f.suppressed]
    assert hidden.suppression is not None
    assert hidden.suppression.expires == "2026-12-03"


def test_expired_ignore_warns_and_stops_hiding(tmp_path: Path) -> None:
    toml = _ignore(reason='"until the vendor fix"', expires="2026-12-02")
    report = _scan_with(tmp_path, toml, today=dt.date(2026, 12, 3))
    assert report.suppressed_count == 0
    assert report.warnings == (
        f"{tmp_path / 'refreshguard.toml'}#ignore[1]: ignore of 'Billing_Sync' expired on 2026-12-02; "
        "its findings are reported again",
    )
    assert exit_code(report) == 1


def test_no_ignores_reports_everything(tmp_path: Path) -> None:
    report = _scan_with(tmp_path, _ignore(reason='"x"'), use_ignores=False)
    assert report.suppressed_count == 0
    assert report.ignores_applied is False
    assert check_report(report)["summary"]["ignores_applied"] is False


# --- thresholds and exit codes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fail_on", "code"),
    [
        (FailOn.ANY, 1),
        (FailOn.LOW, 1),
        (FailOn.MEDIUM, 1),
        (FailOn.HIGH, 1),
        (FailOn.CRITICAL, 1),
        (FailOn.NEVER, 3),  # the Templated app is an error, so the scan is incomplete
    ],
)
def test_fail_on_thresholds_with_a_critical_finding(fail_on: FailOn, code: int) -> None:
    assert exit_code(scan([FIXTURES / "ca-outcomes"]), fail_on) == code


@pytest.mark.parametrize(
    ("fail_on", "code"), [(FailOn.ANY, 1), (FailOn.MEDIUM, 1), (FailOn.HIGH, 0), (FailOn.CRITICAL, 0)]
)
def test_fail_on_thresholds_with_a_medium_finding(tmp_path: Path, fail_on: FailOn, code: int) -> None:
    source = (
        FIXTURES / "ca-outcomes/force-app/main/default/connectedApps/Warehouse_Feed.connectedApp-meta.xml"
    )
    text = source.read_text("utf-8").replace(
        ">true</isSecretRequiredForRefreshToken>", ">false</isSecretRequiredForRefreshToken>"
    )
    (tmp_path / "Warehouse_Feed.connectedApp-meta.xml").write_text(text, "utf-8")
    report = scan([tmp_path])
    assert report.severity_counts() == {"medium": 1}
    assert exit_code(report, fail_on) == code


def _tree(tmp_path: Path, *names: str) -> Path:
    apps = FIXTURES / "ca-outcomes/force-app/main/default/connectedApps"
    root = tmp_path / "proj"
    (root / "connectedApps").mkdir(parents=True)
    for name in names:
        shutil.copy(apps / f"{name}.connectedApp-meta.xml", root / "connectedApps")
    return root


def test_cli_exit_0_when_everything_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _tree(tmp_path, "Warehouse_Feed", "Okta_SSO")
    assert main(["scan", "--no-progress", str(root)]) == 0
    out = capsys.readouterr().out
    assert out.endswith("2 apps in 2 files: 0 fail, 1 pass, 1 not applicable, 0 cannot tell, 0 error.\n")


def test_cli_exit_1_on_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _tree(tmp_path, "Warehouse_Feed", "Billing_Sync")
    assert main(["scan", "--no-progress", str(root)]) == 1
    assert "FAIL     connected-app  Billing_Sync  [critical 9.1]" in capsys.readouterr().out


def test_cli_exit_2_on_usage_and_config_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _tree(tmp_path, "Billing_Sync")
    assert main(["scan", str(tmp_path / "missing")]) == 2
    assert "refreshguard: error: no such file or folder" in capsys.readouterr().err
    (root / "refreshguard.toml").write_text(_ignore(), "utf-8")
    assert main(["scan", str(root)]) == 2
    err = capsys.readouterr().err
    assert "'reason' is required" in err
    with pytest.raises(SystemExit) as caught:
        main(["scan", "--fail-on", "sometimes", str(root)])
    assert caught.value.code == 2
    assert main([]) == 2


def test_cli_exit_3_on_partial_scan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _tree(tmp_path, "Warehouse_Feed")
    (root / "connectedApps" / "Broken.connectedApp-meta.xml").write_text("<ConnectedApp>", "utf-8")
    assert main(["scan", "--no-progress", str(root)]) == 3
    assert "Partial scan: 1 input could not be read." in capsys.readouterr().out


def test_cli_finds_config_in_scanned_folder_and_no_ignores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _tree(tmp_path, "Warehouse_Feed", "Billing_Sync")
    (root / "refreshguard.toml").write_text(_ignore(reason='"accepted (SEC-9)"'), "utf-8")
    assert main(["scan", "--format", "json", str(root)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["suppressed"] == 1
    assert main(["scan", "--format", "json", "--no-ignores", str(root)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert (data["summary"]["suppressed"], data["summary"]["ignores_applied"]) == (0, False)


def test_cli_config_flag_and_fail_on_from_config(tmp_path: Path) -> None:
    root = _tree(tmp_path, "Billing_Sync")
    cfg = _config(tmp_path, 'fail_on = "never"\n')
    assert main(["scan", "--config", str(cfg), str(root)]) == 0
    assert main(["scan", "--config", str(cfg), "--fail-on", "critical", str(root)]) == 1


def test_cli_fail_on_unknown(tmp_path: Path) -> None:
    eca = FIXTURES / "eca-outcomes/force-app/main/default"
    root = tmp_path / "eca"
    for sub in ("externalClientApps", "extlClntAppOauthSettings"):
        (root / sub).mkdir(parents=True)
        for f in (eca / sub).glob("Analytics_Export*"):
            shutil.copy(f, root / sub)
    assert main(["scan", str(root)]) == 0
    assert main(["scan", "--fail-on-unknown", str(root)]) == 1
    cfg = _config(tmp_path, "fail_on_unknown = true\n")
    assert main(["scan", "--config", str(cfg), str(root)]) == 1


def test_cli_expired_ignore_warns_in_terminal_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _tree(tmp_path, "Billing_Sync")
    (root / "refreshguard.toml").write_text(_ignore(reason='"temporary"', expires="2020-01-31"), "utf-8")
    assert main(["scan", "--color", "never", str(root)]) == 1
    out = capsys.readouterr().out
    flat = " ".join(out.split())  # the terminal may wrap long lines
    assert (
        f"warning: {root / 'refreshguard.toml'}#ignore[1]: ignore of 'Billing_Sync' expired on 2020-01-31; "
        "its findings are reported again" in flat
    )
    assert "(suppressed)" not in out
    assert main(["scan", "--format", "json", str(root)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert len(data["warnings"]) == 1
    assert data["summary"]["suppressed"] == 0


def test_terminal_shows_every_risk_factor(capsys: pytest.CaptureFixture[str]) -> None:
    root = FIXTURES / "ca-outcomes/force-app/main/default/connectedApps/Billing_Sync.connectedApp-meta.xml"
    assert main(["scan", "--color", "never", str(root)]) == 1
    out = capsys.readouterr().out
    assert (
        "Risk: 9.1 critical (published: Critical 9.0-10.0) CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"
        in out
    )
    for line in (
        "? Refresh token rotation: not set (no documented default)",
        "+ Refresh token policy: valid until revoked",
        "+ IP relaxation: relaxed",
        "+ Permitted users: all users may self-authorize",
        "+ Scopes: Api, RefreshToken",
        "= Public client: no",
        "? Token usage: unknown (offline scan)",
    ):
        assert line in out
