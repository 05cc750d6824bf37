"""Live-org scan against the loopback stand-in: verdicts, evidence of use, failures, limits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from org_standin import CANARY_SECRET, SESSION, Org, connected_app, eca_files, serve, token_row

from refreshguard import ExitCode, Outcome, Report, exit_code
from refreshguard.model import AppKind, TokenUsage
from refreshguard.org import Credentials, OrgClient, scan_org
from refreshguard.reporters import Format, renderer

FAIL, PASS, NA = Outcome.FAIL, Outcome.PASS, Outcome.NOT_AVAILABLE
CA, ECA = AppKind.CONNECTED_APP, AppKind.EXTERNAL_CLIENT_APP


def mixed_org() -> Org:
    """Connected Apps and ECAs: pass, fail, a public client, a managed-package app."""
    files = {
        "connectedApps/Billing_Sync.connectedApp": connected_app("Billing Sync", secret_required=True),
        "connectedApps/Legacy_Export.connectedApp": connected_app("Legacy Export", secret_required=False),
        "connectedApps/Field_Mobile.connectedApp": connected_app(
            "Field Mobile", secret_required=False, callback="fieldmobile://oauth/done"
        ),
    }
    files |= eca_files("Partner_Portal", "Partner Portal", secret_required=False)
    files |= eca_files("Docs_Bot", "Docs Bot", secret_required=True)
    return Org(
        files=files,
        installed=["Billing Sync", "Legacy Export", "Field Mobile", "Vendor Sync"],
        tokens=[
            token_row("Legacy Export", "005000000000001AAA", "2026-10-01T08:00:00.000+0000"),
            token_row("Legacy Export", "005000000000001AAA", "2026-11-20T09:30:00.000+0000"),
            token_row("Legacy Export", "005000000000002AAA", None),
            token_row("Vendor Sync", "005000000000003AAA"),
            token_row("Retired Tool", "005000000000003AAA"),
        ],
    )


@contextmanager
def org_client(org: Org, **options: object) -> Iterator[OrgClient]:
    timeout = float(options.pop("timeout", 5.0))  # type: ignore[arg-type]
    with serve(org) as base, httpx.Client(timeout=timeout) as http:
        yield OrgClient(
            Credentials(base, SESSION, "test session"),
            http,
            sleep=lambda _s: None,
            backoff_seconds=0.0,
            **options,  # type: ignore[arg-type]
        )


def run(org: Org, **options: object) -> tuple[Report, OrgClient]:
    with org_client(org, **options) as client:
        return scan_org(client), client


def verdicts(report: Report) -> dict[tuple[str, str], Outcome]:
    return {(f.app.kind.value, f.app.name): f.outcome for f in report.findings}


def by_name(report: Report, name: str):  # type: ignore[no-untyped-def]
    return next(f for f in report.findings if f.app.name == name)


def test_mixed_org_verdicts_usage_and_calls() -> None:
    org = mixed_org()
    report, client = run(org)
    assert verdicts(report) == {
        ("connected-app", "Billing_Sync"): PASS,
        ("connected-app", "Field_Mobile"): FAIL,
        ("connected-app", "Legacy_Export"): FAIL,
        ("external-client-app", "Docs_Bot"): PASS,
        ("external-client-app", "Partner_Portal"): FAIL,
        ("connected-app", "Vendor Sync"): NA,
    }
    assert report.problems == ()
    base = client.base
    legacy = by_name(report, "Legacy_Export")
    assert legacy.location.path == base
    assert legacy.location.component == "ConnectedApp:Legacy_Export"
    assert legacy.location.member == "connectedApps/Legacy_Export.connectedApp"
    assert legacy.app.usage is not None
    assert (legacy.app.usage.grants, legacy.app.usage.users, legacy.app.usage.last_used) == (
        3,
        2,
        "2026-11-20T09:30:00.000+0000",
    )
    assert legacy.app.usage.origin.component == "OauthToken"
    assert by_name(report, "Billing_Sync").app.usage == TokenUsage(0, 0, None, legacy.app.usage.origin)
    # ECA grants may not show in OauthToken at all, so "no rows" is not evidence for an ECA.
    assert by_name(report, "Partner_Portal").app.usage is None
    assert by_name(report, "Field_Mobile").public_client is True
    vendor = by_name(report, "Vendor Sync")
    assert vendor.location.component == "ConnectedApplication:0H4000000000004"
    assert "managed package cannot be retrieved" in vendor.reason
    assert vendor.app.usage is not None
    assert vendor.app.usage.grants == 1
    assert report.warnings == ("OauthToken grants for apps not found by label: 'retired tool'",)
    # retrieve, 2 status polls, ConnectedApplication, UserPermissionAccess, COUNT(), tokens
    assert org.requests == [
        "POST retrieve",
        "POST status",
        "POST status",
        "GET query",
        "GET query",
        "GET query",
        "GET query",
    ]
    assert report.extra == {
        "org": base,
        "auth": "test session",
        "api_version": "66.0",
        "api_calls": "7",
        "api_usage": "1207/15000",
    }
    assert exit_code(report) is ExitCode.FINDINGS
    risk_factors = {x.id: x for x in legacy.risk.factors} if legacy.risk else {}
    assert risk_factors["token-usage"].value == "3 grants for 2 users, last used 2026-11-20T09:30:00.000+0000"


def test_every_format_renders_an_org_scan_without_secrets() -> None:
    report, client = run(mixed_org())
    terminal = renderer(Format.TERMINAL)(report)
    as_json = renderer(Format.JSON)(report)
    for fmt in Format:
        text = renderer(fmt)(report)
        assert CANARY_SECRET not in text
        assert SESSION not in text
        assert "CANARYTOKEN" not in text
    assert "Tokens: 3 grants, 2 users, last used 2026-11-20T09:30:00.000+0000" in terminal
    assert f"Run: org {client.base}; auth test session; api version 66.0; api calls 7" in terminal
    data = json.loads(as_json)
    assert data["run"]["api_calls"] == "7"
    legacy = next(f for f in data["findings"] if f["app"]["name"] == "Legacy_Export")
    assert legacy["app"]["usage"] == {"grants": 3, "users": 2, "last_used": "2026-11-20T09:30:00.000+0000"}
    assert legacy["location"]["component"] == "ConnectedApp:Legacy_Export"


def test_secret_gate_off_gives_cannot_tell_with_the_setting_and_permission() -> None:
    org = mixed_org()
    org.gate_off = True
    report, _ = run(org)
    assert verdicts(report)[("external-client-app", "Partner_Portal")] is NA
    assert verdicts(report)[("external-client-app", "Docs_Bot")] is NA
    assert verdicts(report)[("connected-app", "Legacy_Export")] is FAIL
    portal = by_name(report, "Partner_Portal")
    assert "'Allow access to External Client App consumer secrets via Metadata API'" in portal.reason
    assert "'View External Client Apps Consumer Secrets in Metadata'" in portal.reason
    assert "Health Review recommends keeping that setting off" in portal.reason
    # Everything else about the ECA is still read.
    assert portal.app.scopes.value == ("Api", "RefreshToken")
    assert portal.app.refresh_policy.value is not None
    assert report.warnings[0].startswith(
        "2 External Client App(s) came back without ExtlClntAppGlobalOauthSettings"
    )
    assert report.problems == ()


def test_expired_session_gives_a_partial_report_not_a_crash() -> None:
    org = mixed_org()
    org.session = "something-else"
    report, client = run(org)
    assert report.findings == ()
    assert [p.origin.component for p in report.problems] == [
        "Metadata API retrieve",
        "ConnectedApplication query",
        "OauthToken query",
    ]
    first = report.problems[0].message
    assert first.startswith("Metadata API retrieve failed: INVALID_SESSION_ID: ")
    assert "log in again" in first
    assert "not done: an earlier call ended the scan (INVALID_SESSION_ID)" in report.problems[1].message
    assert client.calls == 1
    assert exit_code(report) is ExitCode.PARTIAL


def test_session_expiring_mid_scan_keeps_what_was_read() -> None:
    org = mixed_org()
    org.inject = {"query": ["expire"]}
    report, _ = run(org)
    assert verdicts(report)[("connected-app", "Legacy_Export")] is FAIL
    assert ("connected-app", "Vendor Sync") not in verdicts(report)
    assert [p.origin.component for p in report.problems] == ["ConnectedApplication query", "OauthToken query"]
    assert "installed Connected Apps (managed packages) could not be listed" in report.warnings[0]
    assert by_name(report, "Legacy_Export").app.usage is None
    assert report.partial


def test_stops_before_the_daily_allowance_runs_out() -> None:
    org = mixed_org()
    org.api_used, org.api_max = 13_498, 15_000
    report, client = run(org, reserve_percent=10.0)
    # The first answer says 13,499 of 15,000 used; 1,500 are kept back, so the second call is
    # still allowed (1,501 left) and the third is not (1,500 left).
    assert client.calls == 2
    assert report.problems[0].message == (
        "Metadata API retrieve failed: stopped before exhausting the org's daily API allowance: "
        "13,500 of 15,000 calls used, and 1,500 (10%) are kept in reserve for the org's own "
        "integrations; scan later or lower --api-reserve"
    )
    assert exit_code(report) is ExitCode.PARTIAL


def test_request_limit_exceeded_stops_the_rest() -> None:
    org = mixed_org()
    org.inject = {"query": ["limit"]}
    report, client = run(org)
    assert [p.origin.component for p in report.problems] == ["ConnectedApplication query", "OauthToken query"]
    assert report.problems[0].message.startswith(
        "ConnectedApplication query failed: REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded."
    )
    assert client.calls == 4
    assert verdicts(report)[("connected-app", "Legacy_Export")] is FAIL


def test_5xx_and_timeouts_are_retried() -> None:
    org = mixed_org()
    org.timeout_sleep = 1.0
    org.inject = {"retrieve": ["503"], "status": ["500"], "query": ["timeout", "503"]}
    report, client = run(org, timeout=0.3)
    assert report.problems == ()
    assert verdicts(report) == verdicts(run(mixed_org())[0])
    assert client.calls == 7 + 4


def test_retries_are_bounded() -> None:
    org = mixed_org()
    org.inject = {"retrieve": ["503"] * 5}
    report, client = run(org, max_retries=2)
    assert report.problems[0].message == (
        "Metadata API retrieve failed: the org answered HTTP 503, 3 attempts made"
    )
    # Not fatal: the installed apps are still listed (as "cannot tell") and token usage still ran.
    assert verdicts(report) == {
        ("connected-app", "Billing Sync"): NA,
        ("connected-app", "Field Mobile"): NA,
        ("connected-app", "Legacy Export"): NA,
        ("connected-app", "Vendor Sync"): NA,
    }
    assert by_name(report, "Billing Sync").reason == (
        "The org lists this Connected App, but the Metadata API retrieve failed (see the problems "
        "listed), so its OAuth settings could not be read."
    )
    assert by_name(report, "Legacy Export").app.usage.grants == 3
    assert client.calls == 3 + 4


def test_insufficient_access_on_tokens_leaves_usage_unknown() -> None:
    org = mixed_org()
    org.insufficient_objects = frozenset({"OauthToken"})
    report, _ = run(org)
    assert [p.message for p in report.problems] == [
        "OauthToken query failed: INSUFFICIENT_ACCESS: sObject type 'OauthToken' is not supported. "
        "(the scanning user lacks a permission this step needs; see docs/live-org.md for the "
        "permission set)"
    ]
    assert all(f.app.usage is None for f in report.findings)
    assert exit_code(report) is ExitCode.FINDINGS


def test_without_customize_application_no_grants_is_not_unused() -> None:
    org = mixed_org()
    org.customize_application = False
    report, _ = run(org)
    assert by_name(report, "Billing_Sync").app.usage is None
    usage = by_name(report, "Legacy_Export").app.usage
    assert usage is not None
    assert usage.grants == 3
    assert any("lacks 'Customize Application'" in w for w in report.warnings)


def test_type_unknown_to_the_org_in_retrieve_messages() -> None:
    org = mixed_org()
    org.unknown_types = frozenset({"ExtlClntAppConfigurablePolicies"})
    report, _ = run(org)
    assert [(p.origin.component, p.message) for p in report.problems] == [
        (
            "Metadata API retrieve:ExtlClntAppConfigurablePolicies",
            "the retrieve reported: Entity type: 'ExtlClntAppConfigurablePolicies' is unknown",
        )
    ]
    assert exit_code(report) is ExitCode.FINDINGS
    assert report.partial


def test_type_fault_retries_without_that_type() -> None:
    org = mixed_org()
    org.fault_types = frozenset({"ExtlClntAppConfigurablePolicies"})
    report, client = run(org)
    assert [p.origin.component for p in report.problems] == [
        "Metadata API retrieve:ExtlClntAppConfigurablePolicies"
    ]
    assert "INVALID_TYPE: Unknown type: 'ExtlClntAppConfigurablePolicies'" in report.problems[0].message
    # Without the policies file, whether the ECA's OAuth plugin is on is unknown; the flag is read.
    assert verdicts(report)[("external-client-app", "Partner_Portal")] is FAIL
    assert client.calls == 8


def _many_tokens(users: int, per_user: int) -> list[dict[str, object]]:
    apps = ["Legacy Export", "Billing Sync", "Field Mobile"]
    return [
        token_row(apps[(u + t) % 3], f"005{u:012d}AAA", f"2026-11-{1 + t % 28:02d}T00:00:00.000+0000")
        for u in range(users)
        for t in range(per_user)
    ]


def test_token_paging_past_2500_rows() -> None:
    org = mixed_org()
    org.tokens = _many_tokens(users=300, per_user=20)  # 6,000 rows
    report, client = run(org)
    usage = {f.app.name: f.app.usage for f in report.findings if f.app.usage}
    assert sum(u.grants for u in usage.values()) == 6000
    assert {n: (u.grants, u.users) for n, u in usage.items()} == {
        "Billing_Sync": (2000, 300),
        "Field_Mobile": (2000, 300),
        "Legacy_Export": (2000, 300),
        "Vendor Sync": (0, 0),
    }
    assert report.warnings == ()
    # COUNT(), then three chunks of at most 2,500 rows (5 pages each) ordered by UserId.
    token_calls = client.calls - 5
    assert token_calls == 1 + 5 + 5 + 3


def test_token_paging_within_2500_follows_next_records_url() -> None:
    org = mixed_org()
    org.tokens = _many_tokens(users=60, per_user=20)  # 1,200 rows: 3 pages of 500
    report, client = run(org)
    assert by_name(report, "Legacy_Export").app.usage == TokenUsage(
        400, 60, "2026-11-20T00:00:00.000+0000", by_name(report, "Legacy_Export").app.usage.origin
    )
    assert client.calls == 5 + 1 + 3


def test_one_user_with_too_many_grants_is_a_problem_not_a_wrong_count() -> None:
    org = mixed_org()
    org.tokens = _many_tokens(users=1, per_user=2600)
    report, _ = run(org)
    assert report.problems[0].message.startswith(
        "OauthToken query failed: one user holds more than 2,500 OauthToken grants"
    )
    assert all(f.app.usage is None for f in report.findings)


def test_canary_token_in_a_soap_fault_is_redacted() -> None:
    org = mixed_org()
    org.session = "nope"
    with serve(org) as base, httpx.Client() as http:
        client = OrgClient(Credentials(base, SESSION, "t"), http, sleep=lambda _s: None)
        report = scan_org(client)
    for fmt in Format:
        assert SESSION not in renderer(fmt)(report)
    assert "Credentials(instance_url=" in repr(client.credentials)
    assert SESSION not in repr(client.credentials)


@pytest.mark.parametrize("reserve", [-1.0, 100.0])
def test_cli_rejects_a_bad_reserve(reserve: float, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from refreshguard.cli import main

    monkeypatch.setenv("SF_ACCESS_TOKEN", SESSION)
    monkeypatch.setenv("SF_INSTANCE_URL", "https://example.my.salesforce.com")
    assert main(["scan", "--org-from-env", "--api-reserve", str(reserve)]) == 2
    assert "--api-reserve must be a percentage from 0 to 99" in capsys.readouterr().err


def test_unreadable_permissions_count_as_not_seeing_every_grant() -> None:
    org = mixed_org()
    org.insufficient_objects = frozenset({"UserPermissionAccess"})
    report, _ = run(org)
    assert report.problems == ()
    assert by_name(report, "Billing_Sync").app.usage is None
    usage = by_name(report, "Legacy_Export").app.usage
    assert usage is not None
    assert usage.grants == 3
    assert any("lacks 'Customize Application'" in w for w in report.warnings)
