"""Authentication for live-org scans: sf CLI output, environment, JWT bearer, redaction."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from org_standin import SESSION, Org, serve

from refreshguard.errors import ConfigError
from refreshguard.org import from_env, from_sf_cli, jwt_bearer, redact
from refreshguard.org.auth import parse_org_display
from refreshguard.org.redact import MASK, Redactor

TOKEN = "00D000000000001!AQ8AQCANARYTOKENfromCLI.xyz"

# Recorded by hand in the shape `sf org display --json` prints (success and error objects).
DISPLAY_OK = {
    "status": 0,
    "result": {
        "id": "00D000000000001AAA",
        "apiVersion": "66.0",
        "accessToken": TOKEN,
        "instanceUrl": "https://example.my.salesforce.com",
        "username": "scanner@example.com",
        "clientId": "PlatformCLI",
        "connectedStatus": "Connected",
        "alias": "prod",
    },
    "warnings": [],
}
DISPLAY_UNKNOWN = {
    "name": "NamedOrgNotFoundError",
    "message": "No authorization information found for nosuch.",
    "exitCode": 1,
    "context": "OrgDisplay",
    "status": 1,
    "commandName": "OrgDisplay",
    "warnings": [],
}
DISPLAY_EXPIRED = {
    "name": "RefreshTokenAuthError",
    "message": f"Error authenticating with the refresh token due to: expired access/refresh token {TOKEN}",
    "exitCode": 1,
    "status": 1,
    "warnings": [],
}
DISPLAY_EXPIRED_STATUS = {
    "status": 0,
    "result": {
        "accessToken": TOKEN,
        "instanceUrl": "https://example.my.salesforce.com",
        "connectedStatus": "RefreshTokenAuthError",
    },
}


def test_sf_display_success() -> None:
    creds = parse_org_display("prod", 0, json.dumps(DISPLAY_OK), "")
    assert creds.instance_url == "https://example.my.salesforce.com"
    assert creds.access_token == TOKEN
    assert creds.source == "sf CLI org 'prod'"
    assert TOKEN not in repr(creds)


def test_sf_display_tolerates_notices_before_the_json() -> None:
    out = "Warning: a newer version of sf is available\n" + json.dumps(DISPLAY_OK, indent=2)
    assert parse_org_display("prod", 0, out, "").access_token == TOKEN


def test_sf_display_unknown_alias() -> None:
    with pytest.raises(ConfigError) as err:
        parse_org_display("nosuch", 1, json.dumps(DISPLAY_UNKNOWN), "")
    assert str(err.value) == (
        "the Salesforce CLI knows no org 'nosuch'; list them with `sf org list`, or authorise it "
        "with `sf org login web --alias nosuch`"
    )


@pytest.mark.parametrize("record", [DISPLAY_EXPIRED, DISPLAY_EXPIRED_STATUS])
def test_sf_display_expired_session(record: dict[str, object]) -> None:
    with pytest.raises(ConfigError) as err:
        parse_org_display("prod", 1, "", json.dumps(record))
    text = str(err.value)
    assert text.startswith("the Salesforce CLI session for 'prod' has expired or was revoked")
    assert text.endswith("log in again with `sf org login web --alias prod`")
    assert TOKEN not in text
    assert "CANARYTOKEN" not in text


def test_sf_display_without_json() -> None:
    with pytest.raises(ConfigError) as err:
        parse_org_display("prod", 127, "", "sf: command crashed")
    assert str(err.value) == (
        "`sf org display --target-org prod` exited 127 without JSON output; run it yourself to see why"
    )


def test_sf_display_other_error_is_quoted() -> None:
    body = {"name": "GenericError", "message": "socket hang up", "status": 1}
    with pytest.raises(ConfigError) as err:
        parse_org_display("prod", 1, json.dumps(body), "")
    assert str(err.value) == "`sf org display --target-org prod` failed (GenericError: socket hang up)"


def test_sf_display_refuses_plain_http_instance() -> None:
    record = json.loads(json.dumps(DISPLAY_OK))
    record["result"]["instanceUrl"] = "http://example.my.salesforce.com"
    with pytest.raises(ConfigError, match="must start with https://"):
        parse_org_display("prod", 0, json.dumps(record), "")


def test_from_sf_cli_runs_sf_without_a_shell() -> None:
    seen: list[list[str]] = []

    def runner(command: list[str]) -> tuple[int, str, str]:
        seen.append(command)
        return 0, json.dumps(DISPLAY_OK), ""

    assert from_sf_cli("prod; rm -rf /", runner).access_token == TOKEN
    assert seen == [["sf", "org", "display", "--target-org", "prod; rm -rf /", "--json"]]


def test_from_sf_cli_without_sf_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigError, match=r"the Salesforce CLI \(sf\) is not on PATH"):
        from_sf_cli("prod")


def test_from_sf_cli_real_subprocess(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "sf"
    (tmp_path / "out.json").write_text(json.dumps(DISPLAY_UNKNOWN))
    fake.write_text(f"#!/bin/sh\n/bin/cat {tmp_path / 'out.json'}\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="the Salesforce CLI knows no org 'x'"):
        from_sf_cli("x")


def test_from_env() -> None:
    creds = from_env({"SF_ACCESS_TOKEN": TOKEN, "SF_INSTANCE_URL": "https://example.my.salesforce.com/"})
    assert (creds.instance_url, creds.access_token, creds.source) == (
        "https://example.my.salesforce.com",
        TOKEN,
        "environment",
    )
    with pytest.raises(ConfigError) as err:
        from_env({"SF_INSTANCE_URL": "https://example.my.salesforce.com"})
    assert str(err.value) == "set SF_ACCESS_TOKEN in the environment to scan an org this way"


def _key_pair(tmp_path: Path) -> tuple[Path, object, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path = tmp_path / "server.key"
    path.write_text(pem)
    return path, key.public_key(), pem


def test_jwt_bearer_flow(tmp_path: Path) -> None:
    key_file, public, _pem = _key_pair(tmp_path)
    org = Org(jwt_public_key=public)
    with serve(org) as base, httpx.Client() as http:
        creds = jwt_bearer(
            http,
            consumer_key=org.jwt_consumer_key,
            key_file=key_file,
            username="scanner@example.com",
            login_url=base,
        )
    assert (creds.instance_url, creds.access_token) == (base, SESSION)
    assert creds.source == "JWT bearer flow as scanner@example.com"


def test_jwt_bearer_refused_gives_the_reason_and_a_hint(tmp_path: Path) -> None:
    key_file, public, _pem = _key_pair(tmp_path)
    org = Org(jwt_public_key=public)
    with serve(org) as base, httpx.Client() as http, pytest.raises(ConfigError) as err:
        jwt_bearer(
            http,
            consumer_key=org.jwt_consumer_key,
            key_file=key_file,
            username="other@example.com",
            login_url=base,
        )
    assert str(err.value) == (
        "the JWT bearer flow was refused: invalid_grant (user hasn't approved this consumer); "
        "pre-authorise the user for the app (admin-approved users) through a profile or permission set"
    )


def test_jwt_with_a_bad_key_never_shows_it(tmp_path: Path) -> None:
    bad = tmp_path / "bad.key"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nCANARYKEYMATERIAL\n-----END PRIVATE KEY-----\n")
    with httpx.Client() as http, pytest.raises(ConfigError) as err:
        jwt_bearer(
            http, consumer_key="k", key_file=bad, username="u", login_url="https://login.salesforce.com"
        )
    assert "CANARYKEYMATERIAL" not in str(err.value)
    assert str(err.value).startswith("the private key cannot sign a JWT (")


def test_jwt_with_a_missing_key_file(tmp_path: Path) -> None:
    with httpx.Client() as http, pytest.raises(ConfigError) as err:
        jwt_bearer(http, consumer_key="k", key_file=tmp_path / "none.key", username="u")
    assert str(err.value) == f"cannot read the private key file {tmp_path / 'none.key'}: FileNotFoundError"


def test_redact_masks_registered_secrets_and_token_shapes() -> None:
    text = (
        f"session {TOKEN} and secret CANARYSECRET123, header Bearer abc.def-ghi, "
        "jwt eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln and "
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY----- done"
    )
    assert redact(text, "CANARYSECRET123") == (
        f"session {MASK} and secret {MASK}, header {MASK}, jwt {MASK} and {MASK} done"
    )


def test_redactor_ignores_short_values_and_keeps_other_text() -> None:
    scrub = Redactor(("abc", ""))
    assert scrub("abc is fine; 00D is not a token") == "abc is fine; 00D is not a token"
    scrub.add("a-long-secret-value")
    assert scrub("x a-long-secret-value y") == f"x {MASK} y"
