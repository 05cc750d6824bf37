"""Secrets never reach any output: consumer secrets, private keys, tokens and passwords in
callback URLs, and secrets sitting right where a file fails to parse.

Every canary string in the ``canary`` fixture starts with ``CANARY``; nothing we print may
contain that word, in any format, on stdout or stderr, in problems or in messages.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import FIXTURES, NS, check_report, write
from hypothesis import given, settings
from hypothesis import strategies as st

from refreshguard import Report, scan
from refreshguard.cli import main
from refreshguard.collectors.xmlread import XmlRejected, parse
from refreshguard.reporters import json_report, terminal

CANARY_TREE = FIXTURES / "canary"
CANARY = re.compile(r"CANARY")  # case-sensitive: the fixture folder is named "canary"


def _assert_clean(text: str) -> None:
    found = CANARY.search(text)
    assert found is None, f"canary leaked: ...{text[max(0, found.start() - 60) : found.end() + 60]}..."


def test_fixture_really_holds_the_canaries() -> None:
    # Guard against a fixture edit that would make every test below pass vacuously.
    text = "".join(p.read_text("utf-8") for p in CANARY_TREE.rglob("*-meta.xml"))
    for canary in (
        "CANARY-SECRET-9f8e7d",
        "-----BEGIN PRIVATE KEY-----CANARYKEY",
        "?token=CANARYTOKEN",
        "https://user:CANARYPASS",
        "CANARY-SECRET-eca-1a2b3c",
        "<CANARY-SECRET-tag-7a8b>",
        "consumerSecret=CANARY-SECRET-attr",
    ):
        assert canary in text


@pytest.fixture(scope="module")
def report() -> Report:
    return scan([CANARY_TREE])


def test_the_scan_reads_the_canary_apps(report: Report) -> None:
    verdicts = {f.app.name: f.outcome.value for f in report.findings}
    assert verdicts == {
        "Leaky_Integration": "fail",
        "Leaky_Eca": "fail",
        "Broken_Secret": "error",
        "Broken_Attr": "error",
    }
    assert len(report.problems) == 2


def test_callback_urls_are_kept_without_credentials(report: Report) -> None:
    apps = {f.app.name: f.app for f in report.findings}
    assert apps["Leaky_Integration"].callback_urls.value == (
        "https://app.example.com/cb",
        "https://hooks.example.com/cb",
        "http://localhost:1717/OauthRedirect",
    )
    # NOTE: the two URLs share a line and the second has user info, so everything between the
    # first scheme and the last "@" goes: one URL is shown (the safe side).
    assert apps["Leaky_Eca"].callback_urls.value == ("https://eca.example.com/cb",)
    assert apps["Leaky_Integration"].has_certificate is True


@pytest.mark.parametrize("color", [False, True])
@pytest.mark.parametrize("verbose", [False, True])
def test_terminal_output_is_clean(report: Report, color: bool, verbose: bool) -> None:
    text = terminal.render(report, color=color, verbose=verbose)
    assert "Leaky_Integration" in text
    _assert_clean(text)


def test_json_output_is_clean(report: Report) -> None:
    text = json_report.render(report)
    check_report(report)
    assert "Leaky_Eca" in text
    _assert_clean(text)


def test_problem_and_finding_messages_are_clean(report: Report) -> None:
    for p in report.problems:
        _assert_clean(p.message)
    for f in report.findings:
        _assert_clean(" ".join((f.message, f.reason, f.remediation, *f.notes)))
        if f.risk:
            _assert_clean(" ".join(x.value + x.explanation for x in f.risk.factors))


def test_parse_errors_say_where_but_not_what() -> None:
    messages = {p.origin.path.rsplit("/", 1)[-1]: p.message for p in scan([CANARY_TREE]).problems}
    assert messages == {
        "Broken_Attr.connectedApp-meta.xml": "not well-formed XML: attribute not started (line 3, column 33)",
        "Broken_Secret.connectedApp-meta.xml": "not well-formed XML: tag name mismatch (line 5, column 91)",
    }


@pytest.mark.parametrize(
    "data",
    [
        b"<a><b>x<CANARYNAME></b></a>",
        b"<a>&CANARYENTITY;</a>",
        b"<a><CANARYOPEN>text",
        b'<a CANARYATTR="1" CANARYATTR="2"/>',
        b"<a>\xff\xfeCANARYBYTES</a>",
        b"<a><b>CANARYTEXT</a>",
        b"<CANARYROOT></CANARYROOTX>",
    ],
)
def test_no_parser_message_quotes_the_document(data: bytes) -> None:
    with pytest.raises(XmlRejected) as caught:
        parse(data)
    _assert_clean(str(caught.value))
    assert "line 1" in str(caught.value)


@pytest.mark.parametrize("fmt", ["terminal", "json"])
@pytest.mark.parametrize("color", ["always", "never"])
def test_cli_stdout_and_stderr_are_clean(fmt: str, color: str, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["scan", "--format", fmt, "--color", color, "--verbose", str(CANARY_TREE)])
    captured = capsys.readouterr()
    assert rc == 1
    assert "Leaky_Integration" in captured.out
    _assert_clean(captured.out)
    _assert_clean(captured.err)


def test_cli_output_file_and_summary_are_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.json"
    rc = main(["scan", "--format", "json", "--output", str(out), str(CANARY_TREE)])
    captured = capsys.readouterr()
    assert rc == 1
    _assert_clean(out.read_text("utf-8"))
    _assert_clean(captured.out + captured.err)
    assert "Partial scan: 2 inputs could not be read" in captured.err


def test_secret_inside_unknown_element_and_attribute_is_clean(tmp_path: Path) -> None:
    doc = (
        f'<ConnectedApp xmlns="{NS}"><oauthConfig secret="CANARYATTRVALUE">'
        "<isSecretRequiredForRefreshToken>CANARYFLAGVALUE</isSecretRequiredForRefreshToken>"
        "<scopes>RefreshToken</scopes><futureSecret>CANARYFUTURE</futureSecret>"
        "</oauthConfig></ConnectedApp>"
    )
    root = write(tmp_path, {"connectedApps/Odd.connectedApp-meta.xml": doc})
    report = scan([root])
    assert [f.outcome.value for f in report.findings] == ["error"]
    _assert_clean(terminal.render(report, verbose=True))
    _assert_clean(json_report.render(report))


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("https://user:CANARYPW@host.example.com/cb", "https://host.example.com/cb"),
        ("https://user:CANARY/PW@host.example.com/cb", "https://host.example.com/cb"),
        ("https://user:CANARY?PW@host.example.com/cb", "https://host.example.com/cb"),
        ("https://user:CANARY#PW@host.example.com/cb", "https://host.example.com/cb"),
        ("https://CANARY@PW@host.example.com/cb", "https://host.example.com/cb"),
        ("user:CANARYPW@host.example.com/cb", "host.example.com/cb"),
        ("//user:CANARYPW@host.example.com/cb", "host.example.com/cb"),
        ("myapp://user:CANARYPW@callback", "myapp://callback"),
        ("user:CANARY://PW@host.example.com/cb", "host.example.com/cb"),
        ("https://user:CANARY,PW@host.example.com/cb", "https://host.example.com/cb"),
        ("https://user:CANARY\nPW@host.example.com/cb", "https://host.example.com/cb"),
        ("https://host.example.com/cb?code=CANARYCODE#state=CANARYSTATE", "https://host.example.com/cb"),
        ("http://localhost:1717/OauthRedirect", "http://localhost:1717/OauthRedirect"),
    ],
)
def test_callback_url_credentials_are_dropped(written: str, kept: str) -> None:
    from refreshguard.collectors.values import to_urls

    assert to_urls(written) == (kept,)


@settings(max_examples=300, deadline=None)
@given(
    scheme=st.sampled_from(["https://", "http://", "myapp://", "//", ""]),
    user=st.text(alphabet=st.characters(blacklist_characters="", blacklist_categories=("Cs",)), max_size=12),
    password=st.text(
        alphabet=st.characters(blacklist_characters="", blacklist_categories=("Cs",)), max_size=12
    ),
    host=st.from_regex(r"[a-z][a-z0-9-]{0,10}\.example\.com", fullmatch=True),
    path=st.from_regex(r"(/[a-z0-9]{1,8}){0,3}", fullmatch=True),
)
def test_no_callback_url_keeps_its_user_info(
    scheme: str, user: str, password: str, host: str, path: str
) -> None:
    # Any character, commas and line breaks (which also separate callback URLs) included.
    from refreshguard.collectors.values import to_urls

    secret = f"CANARY{password}"
    urls = to_urls(f"{scheme}{user}:{secret}@{host}{path}")
    kept_scheme = scheme if scheme.endswith("://") else ""
    assert urls == (f"{kept_scheme}{host}{path}",)
