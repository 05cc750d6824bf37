"""Exact behaviour of the SARIF, JUnit, markdown and CSV reporters."""

from __future__ import annotations

import zipfile
from dataclasses import replace
from pathlib import Path

from reportkit import PROJECT, chdir, parse_csv, parse_junit, project_report, validate_sarif

from refreshguard import Origin, Outcome, scan
from refreshguard.reporters import Format, csv_report, junit, markdown, renderer, sarif

RULE = "refreshguard/require-secret-for-refresh-token"


def _by_app(results: list[dict]) -> dict[str, dict]:  # type: ignore[type-arg]
    return {r["properties"]["appName"]: r for r in results}


def test_every_format_is_registered() -> None:
    assert {f.value for f in Format} >= {"sarif", "junit", "markdown", "csv"}
    for fmt in Format:
        assert callable(renderer(fmt))


# --- SARIF ---------------------------------------------------------------------------------


def test_sarif_rules_results_and_levels() -> None:
    data = validate_sarif(sarif.render(project_report()))
    run = data["runs"][0]
    (rule,) = run["tool"]["driver"]["rules"]
    assert rule["id"] == RULE
    assert rule["name"] == "RequireSecretForRefreshToken"
    assert rule["helpUri"].endswith("docs/controls.md#require-secret-for-refresh-token")
    assert rule["properties"]["security-severity"] == "9.1"
    assert "security" in rule["properties"]["tags"]
    assert "**Remediation:**" in rule["help"]["markdown"]
    results = _by_app(run["results"])
    # pass, not-applicable and error are not results; error is a notification.
    assert sorted(results) == [
        "Field_Service",
        "Legacy_Mobile",
        "Partner_Sync",
        "Reporting_Job",
        "Support_Bot",
    ]
    assert {k: v["level"] for k, v in results.items()} == {
        "Field_Service": "error",
        "Legacy_Mobile": "error",
        "Partner_Sync": "error",
        "Reporting_Job": "warning",
        "Support_Bot": "note",
    }
    assert results["Partner_Sync"]["properties"]["security-severity"] == "9.1"
    assert results["Reporting_Job"]["properties"]["security-severity"] == "6.4"
    assert "security-severity" not in results["Support_Bot"]["properties"]
    assert results["Support_Bot"]["message"]["text"].startswith(
        "Cannot tell. External Client App Support_Bot:"
    )
    assert all(r["ruleId"] == RULE and r["ruleIndex"] == 0 for r in results.values())


def test_sarif_fingerprints_ignore_line_numbers() -> None:
    report = project_report()
    moved = replace(
        report,
        findings=tuple(
            replace(f, location=replace(f.location, line=(f.location.line or 0) + 40))
            for f in report.findings
        ),
    )
    before = {
        r["partialFingerprints"]["refreshguard/v1"] for r in sarif.to_sarif(report)["runs"][0]["results"]
    }
    after = {r["partialFingerprints"]["refreshguard/v1"] for r in sarif.to_sarif(moved)["runs"][0]["results"]}
    assert before == after
    assert "require-secret-for-refresh-token/connected-app/Partner_Sync" in before


def test_sarif_suppression_and_baseline_state() -> None:
    results = _by_app(sarif.to_sarif(project_report())["runs"][0]["results"])
    assert results["Legacy_Mobile"]["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "Public mobile client | rotation on, 1-day lifetime (SEC-42)",
        }
    ]
    assert "[Suppressed: Public mobile client" in results["Legacy_Mobile"]["message"]["text"]
    assert results["Reporting_Job"]["baselineState"] == "unchanged"
    assert results["Reporting_Job"]["properties"]["baselined"] is True
    assert results["Partner_Sync"]["baselineState"] == "new"
    assert "suppressions" not in results["Partner_Sync"]
    # Without a baseline there is no baselineState at all.
    plain = _by_app(sarif.to_sarif(project_report(baseline=False))["runs"][0]["results"])
    assert all("baselineState" not in r for r in plain.values())


def test_sarif_errors_are_notifications_and_run_is_unsuccessful() -> None:
    invocation = sarif.to_sarif(project_report())["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    uris = [
        n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for n in invocation["toolExecutionNotifications"]
    ]
    assert uris == [
        "force-app/main/default/connectedApps/Half_Written.connectedApp-meta.xml",
        "sfdx-project.json",
    ]


def test_sarif_zip_member_location(tmp_path: Path) -> None:
    src = PROJECT / "force-app" / "main" / "default" / "connectedApps" / "Partner_Sync.connectedApp-meta.xml"
    with zipfile.ZipFile(tmp_path / "retrieve.zip", "w") as zf:
        zf.writestr("unpackaged/connectedApps/Partner_Sync.connectedApp", src.read_bytes())
    with chdir(tmp_path):
        report = scan(["retrieve.zip"])
    data = validate_sarif(sarif.render(report))
    (result,) = data["runs"][0]["results"]
    loc = result["locations"][0]
    assert loc["physicalLocation"] == {
        "artifactLocation": {"uri": "retrieve.zip", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 1},
    }
    assert loc["logicalLocations"][1] == {
        "name": "unpackaged/connectedApps/Partner_Sync.connectedApp",
        "fullyQualifiedName": "unpackaged/connectedApps/Partner_Sync.connectedApp:12",
        "kind": "resource",
    }
    assert (
        "(In zip member unpackaged/connectedApps/Partner_Sync.connectedApp, line 12.)"
        in result["message"]["text"]
    )


def test_sarif_org_location_is_synthetic_and_stable() -> None:
    report = project_report()
    org = Origin("https://acme.my.salesforce.com", component="ConnectedApplication/0H4000000000001")
    moved = replace(report, findings=tuple(replace(f, location=org) for f in report.findings))
    data = validate_sarif(sarif.render(moved))
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in data["runs"][0]["results"]
    }
    assert uris == {
        "salesforce-org/acme.my.salesforce.com/connected-app/Legacy_Mobile",
        "salesforce-org/acme.my.salesforce.com/connected-app/Partner_Sync",
        "salesforce-org/acme.my.salesforce.com/connected-app/Reporting_Job",
        "salesforce-org/acme.my.salesforce.com/external-client-app/Field_Service",
        "salesforce-org/acme.my.salesforce.com/external-client-app/Support_Bot",
    }


def test_sarif_uris_are_escaped() -> None:
    assert sarif.artifact_uri("./a dir/x#1.connectedApp-meta.xml") == (
        "a%20dir/x%231.connectedApp-meta.xml",
        "%SRCROOT%",
    )
    assert sarif.artifact_uri("/abs/p q.xml") == ("file:///abs/p%20q.xml", None)
    assert sarif.artifact_uri("C:\\work\\x.xml") == ("file:///C:/work/x.xml", None)


# --- JUnit ---------------------------------------------------------------------------------


def test_junit_counts_and_elements() -> None:
    root = parse_junit(junit.render(project_report()))
    assert root.attrib == {
        "name": "refreshguard",
        "tests": "9",
        "failures": "2",
        "errors": "2",
        "skipped": "4",
    }
    suite, inputs = list(root)
    assert suite.attrib == {
        "name": RULE,
        "tests": "8",
        "failures": "2",
        "errors": "1",
        "skipped": "4",
    }
    cases = {c.get("name"): c for c in suite}
    assert [child.tag for child in cases["Partner_Sync"]] == ["failure"]
    assert cases["Partner_Sync"][0].get("type") == "critical"
    assert cases["Partner_Sync"].get("line") == "12"
    assert cases["Half_Written"][0].tag == "error"
    assert list(cases["Data_Loader"]) == []
    skipped = {n: c[0].get("message", "") for n, c in cases.items() if len(c) and c[0].tag == "skipped"}
    assert sorted(skipped) == ["Legacy_Mobile", "Reporting_Job", "Saml_Portal", "Support_Bot"]
    assert (
        skipped["Legacy_Mobile"]
        == "suppressed (fail): Public mobile client | rotation on, 1-day lifetime (SEC-42)"
    )
    assert skipped["Reporting_Job"].startswith("baselined (fail):")
    assert skipped["Support_Bot"].startswith("cannot tell: The flag lives in")
    assert skipped["Saml_Portal"].startswith("not applicable: The Connected App has no oauthConfig")
    assert inputs.get("name") == "refreshguard/inputs"
    (case,) = list(inputs)
    assert case.get("name") == "sfdx-project.json"
    assert case[0].get("message") == "package directory 'not-checked-in' does not exist"


def test_junit_survives_control_characters() -> None:
    report = project_report()
    first = report.findings[0]
    weird = replace(first, app=replace(first.app, name="Bad\x01Name<&>"))
    root = parse_junit(junit.render(replace(report, findings=(weird,), problems=())))
    assert root[0][0].get("name") == "Bad\ufffdName<&>"


# --- Markdown ------------------------------------------------------------------------------


def test_markdown_order_and_sections() -> None:
    text = markdown.render(project_report())
    assert text.startswith("## refreshguard: 2 failing, 1 cannot tell, 1 error\n")
    assert "| Fail | 2 (1 critical, 1 high) |" in text
    assert "| Baselined | 1 |" in text
    assert text.index("<code>Partner\\_Sync</code>") < text.index("<code>Field\\_Service</code>")
    for heading in (
        "### Cannot tell",
        "### Could not be read or judged (partial scan)",
        "### Suppressed",
        "### Baselined",
    ):
        assert heading in text
    assert "**Fix:** Set isSecretRequiredForRefreshToken to true" in text


def test_markdown_escapes_hostile_names() -> None:
    report = project_report()
    hostile = "a|b*c`d<img src=x>@team [x](http://e.vil) $x$"
    findings = tuple(
        replace(f, app=replace(f.app, name=hostile)) if f.outcome is Outcome.FAIL else f
        for f in report.findings
    )
    text = markdown.render(replace(report, findings=findings))
    assert hostile not in text
    assert "<img" not in text
    escaped = "a\\|b\\*c\\`d&lt;img src=x&gt;\\@team \\[x\\](http\\://e\\.vil) \\$x\\$"
    assert f"<code>{escaped}</code>" in text


def test_markdown_truncates_under_limit() -> None:
    report = project_report()
    fail = next(
        f for f in report.findings if f.outcome is Outcome.FAIL and not f.suppressed and not f.baselined
    )
    many = tuple(replace(fail, app=replace(fail.app, name=f"App_{i:04d}")) for i in range(400))
    text = markdown.render(replace(report, findings=many, problems=()))
    assert len(text) <= markdown.MAX_CHARS
    assert "more line(s) not shown to stay under GitHub's comment size limit" in text
    small = markdown.render(replace(report, findings=many, problems=()), max_chars=3000)
    assert len(small) <= 3000


# --- CSV -----------------------------------------------------------------------------------


def test_csv_rows_and_columns() -> None:
    text = csv_report.render(project_report())
    assert text.startswith(",".join(csv_report.COLUMNS) + "\r\n")
    rows = parse_csv(text)
    assert len(rows) == 9  # 8 findings + 1 input that named no app
    by_app = {r["app_name"]: r for r in rows}
    assert by_app["Partner_Sync"]["risk_score"] == "9.1"
    assert by_app["Partner_Sync"]["severity"] == "critical"
    assert by_app["Partner_Sync"]["line"] == "12"
    assert by_app["Reporting_Job"]["baselined"] == "true"
    assert by_app["Legacy_Mobile"]["suppressed"] == "true"
    assert (
        by_app["Legacy_Mobile"]["suppression_reason"]
        == "Public mobile client | rotation on, 1-day lifetime (SEC-42)"
    )
    orphan = by_app[""]
    assert (orphan["outcome"], orphan["path"]) == ("error", "sfdx-project.json")
    assert orphan["reason"] == "package directory 'not-checked-in' does not exist"


def test_csv_formula_injection_is_neutralised() -> None:
    report = project_report()
    first = report.findings[0]
    evil = replace(first, app=replace(first.app, name='=HYPERLINK("http://x")', label="@SUM(1)"))
    rows = parse_csv(csv_report.render(replace(report, findings=(evil,), problems=())))
    assert rows[0]["app_name"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["app_label"] == "'@SUM(1)"
    assert [csv_report.safe_cell(v) for v in ("+1", "-1", "\tx", "ok")] == ["'+1", "'-1", "'\tx", "ok"]
