"""Three ways to get a session for a live org, none of which stores or prints the token.

- :func:`from_sf_cli`: reuse an org the user authorised with the Salesforce CLI
  (``sf org display --target-org X --json``);
- :func:`from_env`: an access token and instance URL from the environment (CI);
- :func:`jwt_bearer`: the OAuth 2.0 JWT bearer flow (consumer key, private key, username), for
  unattended runs.

Every error message goes through :mod:`refreshguard.org.redact`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from refreshguard.errors import ConfigError, OrgAPIError
from refreshguard.org.redact import Redactor, redact

ENV_TOKEN = "SF_ACCESS_TOKEN"
"""Environment variable holding an access token (or session id)."""
ENV_INSTANCE = "SF_INSTANCE_URL"
"""Environment variable holding the org's instance URL (``https://acme.my.salesforce.com``)."""

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
JWT_LIFETIME_SECONDS = 180
"""Salesforce accepts assertions that expire within a few minutes."""

Runner = Callable[[list[str]], tuple[int, str, str]]
"""Runs a command (no shell) and returns (exit code, stdout, stderr)."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """A session for one org. The token never appears in ``repr`` or ``str``."""

    instance_url: str
    """Base URL of the org, without a trailing slash."""
    access_token: str = field(repr=False)
    """The session id sent as ``Authorization: Bearer`` and in the SOAP SessionHeader."""
    source: str = ""
    """How it was obtained, for messages (``sf CLI alias 'prod'``, ``environment``, ``JWT``)."""

    def redactor(self) -> Redactor:
        """A redactor that masks this session's token."""
        return Redactor((self.access_token,))


def check_instance_url(url: str, where: str) -> str:
    """The URL without a trailing slash; refuses anything that would send a token in clear text."""
    parts = urlsplit(url.strip())
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ConfigError(
            f"{where}: the instance URL must start with https:// (got {redact(url)!r}); "
            "a session token is never sent over plain HTTP"
        )
    if not parts.hostname:
        raise ConfigError(f"{where}: {redact(url)!r} is not a URL")
    return url.strip().rstrip("/")


def from_env(environ: Mapping[str, str]) -> Credentials:
    """Credentials from ``SF_ACCESS_TOKEN`` and ``SF_INSTANCE_URL``."""
    token = environ.get(ENV_TOKEN, "").strip()
    url = environ.get(ENV_INSTANCE, "").strip()
    missing = [name for name, value in ((ENV_TOKEN, token), (ENV_INSTANCE, url)) if not value]
    if missing:
        raise ConfigError(f"set {' and '.join(missing)} in the environment to scan an org this way")
    return Credentials(check_instance_url(url, ENV_INSTANCE), token, "environment")


def _run(command: list[str]) -> tuple[int, str, str]:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    return done.returncode, done.stdout, done.stderr


def from_sf_cli(target_org: str, runner: Runner | None = None) -> Credentials:
    """Credentials of an org the Salesforce CLI knows by alias or username."""
    if runner is None:
        sf = shutil.which("sf")
        if sf is None:
            raise ConfigError(
                "the Salesforce CLI (sf) is not on PATH; install it "
                "(https://developer.salesforce.com/tools/salesforcecli) and run "
                f"`sf org login web --alias {target_org}`, or give the session through "
                f"{ENV_TOKEN}/{ENV_INSTANCE} or the JWT options"
            )
        command = [sf, "org", "display", "--target-org", target_org, "--json"]
        runner = _run
    else:
        command = ["sf", "org", "display", "--target-org", target_org, "--json"]
    try:
        code, out, err = runner(command)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"could not run the Salesforce CLI: {type(exc).__name__}") from None
    return parse_org_display(target_org, code, out, err)


def _json_object(text: str) -> dict[str, Any] | None:
    """The JSON object in ``text``, tolerating notices printed before it."""
    start = text.find("{")
    if start < 0:
        return None
    try:
        value = json.loads(text[start:])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def parse_org_display(target_org: str, code: int, out: str, err: str) -> Credentials:
    """Read ``sf org display --json`` output (success or error) into credentials or an error."""
    data = _json_object(out) or _json_object(err)
    scrub = Redactor()
    result = data.get("result") if data else None
    if isinstance(result, dict):
        scrub.add(str(result.get("accessToken") or ""))
    if data is None:
        raise ConfigError(
            f"`sf org display --target-org {target_org}` exited {code} without JSON output; "
            "run it yourself to see why"
        )
    if isinstance(result, dict) and result.get("accessToken") and result.get("instanceUrl"):
        status = str(result.get("connectedStatus") or "Connected")
        if status != "Connected" and _looks_expired(status):
            raise ConfigError(_expired(target_org, status))
        url = check_instance_url(str(result["instanceUrl"]), f"sf org display for {target_org!r}")
        return Credentials(url, str(result["accessToken"]), f"sf CLI org {target_org!r}")
    name = str(data.get("name") or "")
    message = scrub(str(data.get("message") or ""))
    if isinstance(result, dict) and _looks_expired(str(result.get("connectedStatus") or "")):
        raise ConfigError(_expired(target_org, str(result.get("connectedStatus"))))
    if "NamedOrgNotFound" in name or "NoAuthInfoFound" in name or "no authorization" in message.lower():
        raise ConfigError(
            f"the Salesforce CLI knows no org {target_org!r}; list them with `sf org list`, or "
            f"authorise it with `sf org login web --alias {target_org}`"
        )
    if _looks_expired(name) or _looks_expired(message):
        raise ConfigError(_expired(target_org, message or name))
    detail = f"{name}: {message}" if name and message else name or message or f"exit code {code}"
    raise ConfigError(f"`sf org display --target-org {target_org}` failed ({detail})")


def _looks_expired(text: str) -> bool:
    lowered = text.lower()
    return any(
        word in lowered for word in ("expired", "refreshtokenautherror", "invalid_grant", "invalid_session")
    )


def _expired(target_org: str, detail: str) -> str:
    return (
        f"the Salesforce CLI session for {target_org!r} has expired or was revoked ({detail}); "
        f"log in again with `sf org login web --alias {target_org}`"
    )


def build_assertion(consumer_key: str, username: str, audience: str, private_key: str) -> str:
    """A signed (RS256) JWT for the bearer flow."""
    import jwt  # PyJWT, from the [org] extra

    now = int(time.time())
    claims = {"iss": consumer_key, "sub": username, "aud": audience, "exp": now + JWT_LIFETIME_SECONDS}
    try:
        return jwt.encode(claims, private_key, algorithm="RS256")
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        # NOTE: the exception text could quote the key; only its type is shown.
        raise ConfigError(
            f"the private key cannot sign a JWT ({type(exc).__name__}); give an RSA private key in "
            "PEM format, unencrypted"
        ) from None


def jwt_bearer(
    http: httpx.Client,
    *,
    consumer_key: str,
    key_file: Path,
    username: str,
    login_url: str = "https://login.salesforce.com",
) -> Credentials:
    """Exchange a signed JWT for an access token at ``login_url``."""
    login = check_instance_url(login_url, "--login-url")
    try:
        private_key = key_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the private key file {key_file}: {type(exc).__name__}") from None
    scrub = Redactor((private_key,))
    assertion = build_assertion(consumer_key, username, login, private_key)
    scrub.add(assertion)
    try:
        response = http.post(
            f"{login}/services/oauth2/token",
            data={"grant_type": JWT_GRANT, "assertion": assertion},
            headers={"Accept": "application/json"},
        )
    except httpx.HTTPError as exc:
        raise OrgAPIError(f"cannot reach {login} for the JWT bearer flow: {type(exc).__name__}") from None
    body = _json_object(response.text) or {}
    token = str(body.get("access_token") or "")
    scrub.add(token)
    if response.status_code == 200 and token and body.get("instance_url"):
        url = check_instance_url(str(body["instance_url"]), "the token response")
        return Credentials(url, token, f"JWT bearer flow as {username}")
    error = scrub(str(body.get("error") or f"HTTP {response.status_code}"))
    description = scrub(str(body.get("error_description") or ""))
    hint = _JWT_HINTS.get(description.lower(), "")
    raise ConfigError(
        f"the JWT bearer flow was refused: {error}"
        + (f" ({description})" if description else "")
        + (f"; {hint}" if hint else "")
    )


_JWT_HINTS = {
    "user hasn't approved this consumer": "pre-authorise the user for the app (admin-approved users) "
    "through a profile or permission set",
    "invalid client credentials": "check the consumer key",
    "invalid assertion": "check that the certificate uploaded to the app matches the private key",
    "audience is invalid": "use https://login.salesforce.com, https://test.salesforce.com or the "
    "org's My Domain URL as --login-url",
}
