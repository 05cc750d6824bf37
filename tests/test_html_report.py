"""The HTML report without a browser: exact content, escaping, CSP hashes, no secrets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

from refreshguard import App, scan
from refreshguard.cli import main
from refreshguard.reporters import Format, renderer
from refreshguard.reporters.html import csp_hash, render

FIXTURE = Path(__file__).parent / "fixtures" / "html"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "cases"
SECRET_CANARY = "CANARY-SECRET-9f8e7d"
KEY_CANARIES = ("CANARYPRIVATEKEY5b4a3c2d1e", "BEGIN PRIVATE KEY")


def _html() -> str:
    return render(scan([FIXTURE]))


def test_registered_as_a_format() -> None:
    assert Format("html") is Format.HTML
    assert renderer(Format.HTML) is render


def test_cards_carry_outcome_and_kind_for_the_filters() -> None:
    cards = re.findall(r'<article class="card [^"]*" data-outcome="([^"]+)" data-kind="([^"]+)"', _html())
    # Worst first: fails by descending score, then cannot tell, pass, not applicable.
    assert cards == [
        ("fail", "connected-app"),
        ("fail", "connected-app"),
        ("fail", "external-client-app"),
        ("not-available", "external-client-app"),
        ("pass", "connected-app"),
        ("not-applicable", "connected-app"),
    ]


def test_summary_counts() -> None:
    html = _html()
    tiles = re.findall(r'data-tile="([^"]+)"><span class="n">(\d+)</span>', html)
    assert tiles == [
        ("fail", "3"),
        ("error", "0"),
        ("not-available", "1"),
        ("pass", "1"),
        ("not-applicable", "1"),
    ]
    sev = re.findall(r'data-severity="([^"]+)"><b>(\d+)</b>', html)
    assert sev == [("critical", "1"), ("high", "1"), ("medium", "1"), ("low", "0")]
    assert "6 apps in 10 files: 3 fail (1 critical, 1 high, 1 medium), 1 pass" in html


def test_risk_chart_has_one_bar_per_failing_app() -> None:
    html = _html()
    chart = html[
        html.index('<svg id="risk-chart"') : html.index("</svg>", html.index('<svg id="risk-chart"'))
    ]
    names = re.findall(r'<text class="name"[^>]*>([^<]*) <tspan class="k">', chart)
    scores = re.findall(r'<text class="score"[^>]*>([^<]*)</text>', chart)
    assert names == ["Billing_Sync", "&lt;script&gt;alert(1)&lt;/script&gt;", "Field_Service"]
    assert scores == ["9.1", "8.1", "5.4"]


def test_card_shows_settings_with_how_known_and_line() -> None:
    html = _html()
    start = html.index('data-name="billing_sync"')
    card = html[start : html.index("</article>", start)]
    assert "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N" in card
    assert "Critical 9.0–10.0" in card
    row = re.search(r"Secret required to refresh.*?</tr>", card, re.S)
    assert row is not None
    assert '<td class="val">false</td>' in row.group(0)
    assert 'class="known k-explicit"' in row.group(0)
    source = r'<code title="[^"]*/Billing_Sync.connectedApp-meta.xml:14">line 14</code>'
    assert re.search(source, row.group(0))
    rotation = re.search(r"Refresh token rotation<div.*?</tr>", card, re.S)
    assert rotation is not None
    assert 'class="known k-unknown"' in rotation.group(0)
    assert '<td class="effect"><span class="sym" aria-hidden="true">▲</span> raises</td>' in card
    assert "Remediation" in card


def test_hostile_names_are_escaped() -> None:
    html = _html()
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    assert "<svg onload" not in html
    assert '<h3 class="app-name">&lt;script&gt;alert(1)&lt;/script&gt;</h3>' in html
    assert '<span class="app-label">&#34;&gt;&lt;img src=x onerror=alert(1)&gt;</span>' in html
    # Exactly one script element and one style element: ours.
    assert html.count("<script") == 1
    assert html.count("<style") == 1


def test_csp_allows_exactly_the_inline_style_and_script() -> None:
    html = _html()
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    assert csp is not None
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    script = re.search(r"<script>(.*?)</script>", html, re.S)
    assert style is not None
    assert script is not None
    assert unescape(csp.group(1)) == (
        f"default-src 'none'; style-src {csp_hash(style.group(1))}; "
        f"script-src {csp_hash(script.group(1))}; img-src data:; base-uri 'none'; form-action 'none'"
    )
    assert "unsafe-inline" not in html
    assert not re.search(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", html)  # no inline event handlers
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing loaded from the network


def test_no_secret_or_private_key_in_the_report(tmp_path: Path) -> None:
    fixture_text = "".join(p.read_text() for p in FIXTURE.rglob("*.xml"))
    assert SECRET_CANARY in fixture_text  # the canaries are really in the input
    assert KEY_CANARIES[0] in fixture_text
    out = tmp_path / "report.html"
    assert main(["scan", "--format", "html", "--output", str(out), "--no-progress", str(FIXTURE)]) == 1
    html = out.read_text(encoding="utf-8")
    assert "Billing_Sync" in html
    for canary in (SECRET_CANARY, *KEY_CANARIES):
        assert canary not in html
    assert 'Certificate configured</th><td class="val">yes</td>' in html


def test_no_apps(tmp_path: Path) -> None:
    html = render(scan([tmp_path]))
    assert "No Connected Apps or External Client Apps found." in html
    assert "No app fails: nothing to chart." in html
    assert 'id="risk-chart"' not in html


def test_corpus_renders_every_app() -> None:
    report = scan([CORPUS])
    html = render(report)
    assert len(report.findings) == 48
    assert html.count('<article class="card') == 48
    assert html.count('<g class="bar') == report.counts()["fail"]


def test_one_card_per_app_when_several_controls_judge_it() -> None:
    from dataclasses import replace

    from refreshguard import CONTROLS, Finding, Outcome, Severity, collect_paths, evaluate

    def second(app: App) -> Iterator[Finding]:
        yield Finding(
            "second-look", app, Outcome.PASS, Severity.NONE, "Second control passes.", "Test.", "", app.origin
        )

    controls = (*CONTROLS, replace(CONTROLS[0], id="second-look", evaluate=second))
    html = render(evaluate(collect_paths([FIXTURE]), [str(FIXTURE)], controls=controls))
    assert html.count('<article class="card') == 6
    start = html.index('data-name="billing_sync"')
    card = html[start : html.index("</article>", start)]
    assert 'data-outcome="fail"' in html[start - 80 : start]
    assert card.count('<section class="finding">') == 2
    assert "Second control passes." in card


def test_unreadable_file_gives_error_card_and_partial_banner(tmp_path: Path) -> None:
    folder = tmp_path / "connectedApps"
    folder.mkdir()
    (folder / "Broken.connectedApp-meta.xml").write_text("<ConnectedApp><label>x</label>", encoding="utf-8")
    html = render(scan([tmp_path]))
    assert "<strong>Partial scan.</strong> 1 input could not be read" in html
    assert 'data-outcome="error" data-kind="connected-app" data-name="broken"' in html
    assert '<h2 id="problems-h">Inputs that could not be read</h2>' in html


def test_backticked_commands_become_code_and_stay_escaped() -> None:
    from refreshguard.reporters.html import code_spans

    assert str(code_spans("run `sf <x>` now <b>")) == "run <code>sf &lt;x&gt;</code> now &lt;b&gt;"
    assert str(code_spans("odd ` <i>")) == "odd ` &lt;i&gt;"
