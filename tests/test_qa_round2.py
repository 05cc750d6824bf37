"""Second QA round: token leaks through callback URL lists, and other reported cases."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from refreshguard import Outcome, scan
from refreshguard.cli import main
from refreshguard.collectors.values import to_urls
from refreshguard.reporters import Format, renderer

NS = 'xmlns="http://soap.sforce.com/2006/04/metadata"'
CANARIES = ("TOKCANARY1", "RTCANARY2", "RTCANARY3", "pa,ss", "se,cret", "u:pa")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "https://app.example.com/cb?state=1,access_token=TOKCANARY1&x=2\n"
            "https://u:pa,ss://q@h.example.com/cb2",
            ("https://app.example.com/cb", "https://h.example.com/cb2"),
        ),
        ("https://x.example.com/cb#code=1,refresh_token=RTCANARY2", ("https://x.example.com/cb",)),
        ("https://user:se,cret://x@host/cb", ("https://host/cb",)),
        (
            "https://a.example.com/x, https://b.example.com/y",
            ("https://a.example.com/x", "https://b.example.com/y"),
        ),
        ("http://localhost:1717/OauthRedirect", ("http://localhost:1717/OauthRedirect",)),
        ("https://x.example.com/cb#state=1\n   refresh_token=RTCANARY3", ("https://x.example.com/cb",)),
    ],
)
def test_callback_urls_keep_only_scheme_host_and_path(text: str, expected: tuple[str, ...]) -> None:
    assert to_urls(text) == expected


def test_no_callback_canary_in_any_format_or_fix_diff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "connectedApps"
    folder.mkdir()
    (folder / "Leaky.connectedApp-meta.xml").write_text(
        f"<ConnectedApp {NS}><label>Leaky</label><oauthConfig>\n"
        "<callbackUrl>https://app.example.com/cb?state=1,access_token=TOKCANARY1&amp;x=2\n"
        "https://u:pa,ss://q@h.example.com/cb2\n"
        "https://x.example.com/cb#state=1\n   refresh_token=RTCANARY3</callbackUrl>\n"
        "<isSecretRequiredForRefreshToken>false</isSecretRequiredForRefreshToken>\n"
        "<scopes>Api</scopes><scopes>RefreshToken</scopes>\n</oauthConfig></ConnectedApp>\n",
        encoding="utf-8",
    )
    report = scan([tmp_path])
    assert [f.outcome for f in report.findings] == [Outcome.FAIL]
    for fmt in Format:
        text = renderer(fmt)(report)
        for canary in CANARIES:
            assert canary not in text, (fmt, canary)
    json.loads(renderer(Format.JSON)(report))
    main(["fix", "--dry-run", os.fspath(tmp_path)])
    out = capsys.readouterr()
    assert "isSecretRequiredForRefreshToken>true" in out.out
    for canary in CANARIES:
        assert canary not in out.out + out.err, canary


def _corrupt_zip(path: Path, name: str, body: str) -> None:
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, body)
    data = bytearray(path.read_bytes())
    data[30 + len(name)] = 0xFF  # first byte of the deflate stream: an invalid block type
    path.write_bytes(bytes(data))


def test_corrupt_zip_member_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    archive = tmp_path / "corrupt.zip"
    _corrupt_zip(
        archive,
        "unpackaged/connectedApps/Z.connectedApp",
        f"<ConnectedApp {NS}><oauthConfig/></ConnectedApp>" * 20,
    )
    report = scan([archive])
    assert [p.origin.member for p in report.problems] == ["unpackaged/connectedApps/Z.connectedApp"]
    assert report.problems[0].message.startswith("cannot read the member")
    assert report.partial


def test_fix_refuses_zip_with_duplicate_member_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import warnings
    import zipfile

    body = (
        f"<ConnectedApp {NS}><label>D</label><oauthConfig><callbackUrl>https://{{}}.example.com/cb</callbackUrl>"
        "<isSecretRequiredForRefreshToken>false</isSecretRequiredForRefreshToken>"
        "<scopes>RefreshToken</scopes></oauthConfig></ConnectedApp>"
    )
    archive = tmp_path / "dup.zip"
    with warnings.catch_warnings(), zipfile.ZipFile(archive, "w") as z:
        warnings.simplefilter("ignore")
        z.writestr("unpackaged/connectedApps/Dup.connectedApp", body.format("one"))
        z.writestr("unpackaged/connectedApps/Dup.connectedApp", body.format("two"))
    out_zip = tmp_path / "out.zip"
    code = main(["fix", os.fspath(archive), "--zip-output", os.fspath(out_zip)])
    assert code in (2, 3)
    assert not out_zip.exists()


def test_fix_handles_relative_namespace(tmp_path: Path) -> None:
    (tmp_path / "Rel.connectedApp-meta.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<ConnectedApp xmlns="soap.sforce.com/2006/04/metadata">\n'
        "    <label>Rel</label>\n    <oauthConfig>\n"
        "        <isSecretRequiredForRefreshToken>false</isSecretRequiredForRefreshToken>\n"
        "        <scopes>RefreshToken</scopes>\n    </oauthConfig>\n</ConnectedApp>\n",
        encoding="utf-8",
    )
    assert main(["fix", os.fspath(tmp_path)]) == 0
    assert "<isSecretRequiredForRefreshToken>true<" in (tmp_path / "Rel.connectedApp-meta.xml").read_text()


@pytest.mark.parametrize("scopes", ["", " , "])
def test_eca_empty_scope_list_is_judged_by_its_flag(tmp_path: Path, scopes: str) -> None:
    (tmp_path / "A.ecaOauth-meta.xml").write_text(
        f"<ExtlClntAppOauthSettings {NS}><commaSeparatedOauthScopes>{scopes}</commaSeparatedOauthScopes>"
        "<externalClientApplication>A</externalClientApplication></ExtlClntAppOauthSettings>",
        encoding="utf-8",
    )
    (tmp_path / "A.ecaGlblOauth-meta.xml").write_text(
        f"<ExtlClntAppGlobalOauthSettings {NS}><externalClientApplication>A</externalClientApplication>"
        "<isSecretRequiredForRefreshToken>false</isSecretRequiredForRefreshToken>"
        "</ExtlClntAppGlobalOauthSettings>",
        encoding="utf-8",
    )
    assert [f.outcome for f in scan([tmp_path]).findings] == [Outcome.FAIL]


@pytest.mark.parametrize("option", ["--config", "--baseline"])
def test_fifo_as_config_or_baseline_is_refused_without_hanging(
    tmp_path: Path, option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "ff"
    os.mkfifo(fifo)
    example = Path(__file__).resolve().parents[1] / "examples" / "sfdx-project"
    assert main(["scan", "--no-progress", option, os.fspath(fifo), os.fspath(example)]) == 2
    assert "must be a regular file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("element", "outcome"),
    [
        ("isSecretRequiredForRefreshTok\u0435n", Outcome.ERROR),  # Cyrillic e
        ("isSecretRequiredForRefreshTokens", Outcome.ERROR),
        ("isSecretRequiredForTokenExchange", Outcome.PASS),  # a real neighbour, not a typo
    ],
)
def test_look_alike_flag_is_an_error_not_a_default_pass(
    tmp_path: Path, element: str, outcome: Outcome
) -> None:
    (tmp_path / "A.connectedApp-meta.xml").write_text(
        f"<ConnectedApp {NS}><oauthConfig><{element}>false</{element}>"
        "<scopes>RefreshToken</scopes></oauthConfig></ConnectedApp>",
        encoding="utf-8",
    )
    assert [f.outcome for f in scan([tmp_path]).findings] == [outcome]
