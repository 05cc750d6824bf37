"""Shared helpers: fixture paths, the JSON schema validator, and small metadata builders for tests
that need to generate inputs (encodings, zips, special files) at run time."""

from __future__ import annotations

import json
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from refreshguard import Finding, Report
from refreshguard.reporters import json_report

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

NS = "http://soap.sforce.com/2006/04/metadata"


def load_schema() -> dict[str, Any]:
    """The published report schema, read from the installed package."""
    text = resources.files("refreshguard").joinpath("schemas/report-v1.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


_VALIDATOR = jsonschema.Draft202012Validator(
    load_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)


def assert_valid_json_report(text: str) -> dict[str, Any]:
    """Parse a JSON report and fail with every schema error when it does not match."""
    data: dict[str, Any] = json.loads(text)
    errors = sorted(_VALIDATOR.iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:20])
    return data


def check_report(report: Report) -> dict[str, Any]:
    """Render ``report`` as JSON and validate it against the schema."""
    return assert_valid_json_report(json_report.render(report))


def by_app(report: Report) -> dict[str, Finding]:
    """Findings keyed by app name (fails if a name appears twice)."""
    out: dict[str, Finding] = {}
    for f in report.findings:
        assert f.app.name not in out, f"{f.app.name} reported twice"
        out[f.app.name] = f
    return out


def connected_app(
    oauth: str | None = (
        "<isSecretRequiredForRefreshToken>false</isSecretRequiredForRefreshToken>"
        "<scopes>Api</scopes><scopes>RefreshToken</scopes>"
    ),
    policy: str = "",
    label: str = "Generated",
) -> str:
    """A Connected App document; ``oauth`` is the inner XML of oauthConfig (None: no oauthConfig)."""
    body = f"<label>{label}</label>"
    if oauth is not None:
        body += f"<oauthConfig>{oauth}</oauthConfig>"
    if policy:
        body += f"<oauthPolicy>{policy}</oauthPolicy>"
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<ConnectedApp xmlns="{NS}">\n{body}\n</ConnectedApp>\n'


def eca_part(root: str, app: str, inner: str = "") -> str:
    """An ECA part document of type ``root`` joined to ``app``."""
    link = f"<externalClientApplication>{app}</externalClientApplication>"
    if root == "ExternalClientApplication":
        link = ""
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{NS}">\n{link}{inner}\n</{root}>\n'


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (relative path -> text or bytes) under ``root``; returns ``root``."""
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return root


def outcomes(findings: Iterable[Finding]) -> dict[str, str]:
    """App name -> outcome value."""
    return {f.app.name: f.outcome.value for f in findings}


@pytest.fixture
def schema_check() -> Any:
    """The JSON report validator, for tests that render reports."""
    return check_report
