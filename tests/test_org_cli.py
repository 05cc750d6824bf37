"""The CLI's org options, end to end against the loopback stand-in."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from org_standin import CANARY_SECRET, SESSION, Org, connected_app, serve

from refreshguard.cli import main

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "cases"


def small_org() -> Org:
    return Org(
        files={
            "connectedApps/Legacy_Export.connectedApp": connected_app("Legacy Export", secret_required=False),
            "connectedApps/Billing_Sync.connectedApp": connected_app("Billing Sync", secret_required=True),
        },
        installed=["Legacy Export", "Billing Sync"],
        polls_before_done=0,
    )


def test_scan_org_from_env_json(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    org = small_org()
    with serve(org) as base:
        monkeypatch.setenv("SF_ACCESS_TOKEN", SESSION)
        monkeypatch.setenv("SF_INSTANCE_URL", base)
        code = main(["scan", "--org-from-env", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 1
    data = json.loads(out)
    assert {f["app"]["name"]: f["outcome"] for f in data["findings"]} == {
        "Billing_Sync": "pass",
        "Legacy_Export": "fail",
    }
    assert data["inputs"] == [base]
    assert data["run"] == {
        "org": base,
        "auth": "environment",
        "api_version": "66.0",
        "api_calls": "6",
        "api_usage": "1206/15000",
    }
    assert SESSION not in out + err
    assert CANARY_SECRET not in out + err


def test_scan_org_terminal_partial_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    org = small_org()
    org.files = {
        "connectedApps/Billing_Sync.connectedApp": connected_app("Billing Sync", secret_required=True)
    }
    org.insufficient_objects = frozenset({"OauthToken"})
    with serve(org) as base:
        monkeypatch.setenv("SF_ACCESS_TOKEN", SESSION)
        monkeypatch.setenv("SF_INSTANCE_URL", base)
        code = main(["scan", "--org-from-env"])
    out = capsys.readouterr().out
    assert code == 3
    assert f"{base} (OauthToken query): OauthToken query failed: INSUFFICIENT_ACCESS" in out
    assert "Partial scan: 1 input could not be read." in out
    assert "Legacy Export" in out  # listed by ConnectedApplication, not retrieved: cannot tell
    assert f"Run: org {base}; auth environment; api version 66.0; api calls 5;" in out


def test_paths_and_an_org_together_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "some/folder", "--target-org", "prod"]) == 2
    assert capsys.readouterr().err == "refreshguard: error: give either PATHs or an org, not both\n"


def test_org_options_are_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["scan", "--target-org", "prod", "--org-from-env"])
    assert done.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_jwt_needs_its_other_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--jwt-username", "u@example.com"]) == 2
    assert capsys.readouterr().err == (
        "refreshguard: error: --jwt-username needs --jwt-consumer-key and --jwt-key-file\n"
    )


def test_env_auth_without_variables(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SF_ACCESS_TOKEN", raising=False)
    monkeypatch.delenv("SF_INSTANCE_URL", raising=False)
    assert main(["scan", "--org-from-env"]) == 2
    assert capsys.readouterr().err == (
        "refreshguard: error: set SF_ACCESS_TOKEN and SF_INSTANCE_URL in the environment to scan an "
        "org this way\n"
    )


def test_offline_scan_does_not_import_org_dependencies() -> None:
    code = (
        "import sys; from refreshguard.cli import main; "
        f"rc = main(['scan', '--format', 'json', {str(CORPUS / 'carestone-sf__salesforce')!r}]); "
        "sys.stdout.flush(); "
        "print('LOADED', sorted(m for m in ('httpx', 'jwt', 'refreshguard.org') if m in sys.modules), "
        "file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert "LOADED []" in done.stderr
    assert '"sfdx_travis_ci"' in done.stdout


def test_permission_set_matches_the_docs() -> None:
    from lxml import etree

    root = Path(__file__).resolve().parents[1]
    tree = etree.parse(str(root / "examples/permissionsets/refreshguard_Scanner.permissionset-meta.xml"))
    ns = {"m": "http://soap.sforce.com/2006/04/metadata"}
    names = [e.text for e in tree.iterfind("m:userPermissions/m:name", ns)]
    assert names == [
        "ApiEnabled",
        "CustomizeApplication",
        "ExternalClientAppAdmin",
        "ExternalClientAppViewer",
        "ManageCustomPermissions",
        "ModifyMetadata",
        "ViewSetup",
    ]
    assert all(e.text == "true" for e in tree.iterfind("m:userPermissions/m:enabled", ns))
    docs = (root / "docs/live-org.md").read_text()
    for name in names:
        assert f"`{name}`" in docs
    # The consumer-secret permission is documented but deliberately left out.
    assert "ViewClientSecret" not in names
    assert "`ViewClientSecret`" in docs
