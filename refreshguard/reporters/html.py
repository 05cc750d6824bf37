"""A self-contained HTML report: one file that opens offline in any browser.

Layout: a summary (counts by outcome and severity, a risk chart drawn as inline SVG), filters by
outcome and app kind, then one card per app with its settings, the verdict, the risk factors, the
CVSS vector next to the published range, remediation and notes.

Safety:
- Every value from the input goes through Jinja2 with autoescaping on; nothing from the input is
  ever marked safe. Only the stylesheet and script shipped in ``templates/`` are inserted raw.
- The page carries a Content-Security-Policy that allows no network access at all, and allows
  exactly the one inline stylesheet and the one inline script by their SHA-256 hashes (computed
  here at render time). So even if escaping failed somewhere, injected markup could not run script
  (no inline handlers, no other script blocks) or load anything.
- The report never holds secrets because the model never does: collectors do not keep consumer
  secrets or certificates, only whether a certificate is configured.

The view-model built here is plain data; the template only lays it out.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from importlib import resources
from typing import Any

from refreshguard.findings import Effect, Finding, Outcome, Report, Severity
from refreshguard.model import AppKind, Known, Origin, RefreshPolicy, Setting
from refreshguard.reporters._common import KIND_LABEL
from refreshguard.reporters.terminal import sort_key, summary_line

OUTCOME_LABELS = {
    Outcome.FAIL: "Fail",
    Outcome.ERROR: "Error",
    Outcome.NOT_AVAILABLE: "Cannot tell",
    Outcome.PASS: "Pass",
    Outcome.NOT_APPLICABLE: "Not applicable",
}
"""Outcome names as the page shows them, in the order the page lists them."""


KNOWN_HELP = {
    Known.EXPLICIT: "written in the metadata",
    Known.DEFAULT: "not written; the documented default applies",
    Known.UNKNOWN: "the file that would carry it is not in the input",
    Known.INVALID: "written, but the value cannot be understood",
}
"""What each way of knowing a setting means, for tooltips."""

EFFECT_SYMBOLS = {Effect.RAISES: "▲", Effect.LOWERS: "▼", Effect.NEUTRAL: "=", Effect.UNKNOWN: "?"}
"""The marker printed before a risk factor."""

SETTINGS: tuple[tuple[str, str], ...] = (
    ("secret_required_for_refresh", "Secret required to refresh"),
    ("oauth_enabled", "OAuth enabled"),
    ("scopes", "OAuth scopes"),
    ("refresh_policy", "Refresh token policy"),
    ("rotation_enabled", "Refresh token rotation"),
    ("ip_relaxation", "IP relaxation"),
    ("permitted_users", "Permitted users"),
    ("consumer_secret_optional", "Secret optional (web-server flow)"),
    ("pkce_required", "PKCE required"),
    ("code_credential_flow", "Code and credential flow"),
    ("callback_urls", "Callback URLs"),
    ("idle_ttl_enforced", "Idle refresh token limit"),
)
"""The App attributes shown in each card's settings table, with their labels."""

CHART_LIMIT = 20
"""Most failing apps drawn in the risk chart (the worst ones); the rest are counted."""

_TEMPLATES = resources.files("refreshguard.reporters") / "templates"


@dataclass(frozen=True, slots=True)
class _Assets:
    """The inline stylesheet and script, and their CSP source expressions."""

    css: str
    js: str
    csp: str


def code_spans(text: str) -> Any:
    """Escape ``text`` and show its `backticked` parts as <code>, as the terminal shows them."""
    from markupsafe import Markup, escape

    parts = str(text).split("`")
    if len(parts) % 2 == 0:  # an unmatched backtick: show the text as it is
        return escape(text)
    out = [escape(p) if i % 2 == 0 else Markup("<code>%s</code>") % p for i, p in enumerate(parts)]
    return Markup("").join(out)


def render(report: Report) -> str:
    """The report as one HTML document."""
    from jinja2 import Environment, StrictUndefined  # imported here: keeps start-up fast

    env = Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)
    env.filters["code_spans"] = code_spans
    template = env.from_string((_TEMPLATES / "report.html.j2").read_text(encoding="utf-8"))
    assets = _assets()
    return template.render(
        css=assets.css,
        js=assets.js,
        csp=assets.csp,
        **view(report),
    )


def _assets() -> _Assets:
    css = (_TEMPLATES / "report.css").read_text(encoding="utf-8")
    js = (_TEMPLATES / "report.js").read_text(encoding="utf-8")
    csp = "; ".join(
        (
            "default-src 'none'",
            f"style-src {csp_hash(css)}",
            f"script-src {csp_hash(js)}",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )
    return _Assets(css, js, csp)


def csp_hash(text: str) -> str:
    """The CSP source expression that allows an inline element whose content is exactly ``text``."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def view(report: Report) -> dict[str, Any]:
    """Everything the template shows, as plain values (no escaping here: the template does it)."""
    findings = sorted(report.findings, key=sort_key)
    # One card per app, placed where its worst finding sorts (dicts keep insertion order).
    by_app: dict[tuple[str, str, str, str | None], list[Finding]] = {}
    for f in findings:
        by_app.setdefault((f.app.kind, f.app.name, f.app.origin.path, f.app.origin.member), []).append(f)
    cards = [_card(group) for group in by_app.values()]
    counts = report.counts()
    severities = report.severity_counts()
    failing = [f for f in findings if f.outcome is Outcome.FAIL and f.risk is not None and not f.suppressed]
    return {
        "summary": summary_line(report),
        "version": report.tool_version,
        "inputs": list(report.inputs),
        "files_scanned": report.files_scanned,
        "app_count": len(cards),
        "outcomes": [
            {"id": o.value, "label": label, "count": counts[o.value]} for o, label in OUTCOME_LABELS.items()
        ],
        "severities": [
            {"id": s.value, "label": s.value.capitalize(), "count": severities[s.value]}
            for s in (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)
        ],
        "kinds": [
            {"id": k.value, "label": label, "count": sum(1 for c in cards if c["kind"] == k.value)}
            for k, label in KIND_LABEL.items()
        ],
        "suppressed": report.suppressed_count,
        "ignores_applied": report.ignores_applied,
        "chart": _chart(failing),
        "cards": cards,
        "problems": [{"where": p.origin.display(), "message": p.message} for p in report.problems],
        "warnings": list(report.warnings),
        "extra": sorted(report.extra.items()),
    }


def _card(findings: list[Finding]) -> dict[str, Any]:
    """One app and every finding about it; the card's outcome is its worst finding's."""
    app = findings[0].app
    worst = findings[0]
    return {
        "name": app.name,
        "label": app.label if app.label and app.label != app.name else None,
        "kind": app.kind.value,
        "kind_label": KIND_LABEL[app.kind],
        "outcome": worst.outcome.value,
        "outcome_label": OUTCOME_LABELS[worst.outcome],
        "severity": worst.severity.value if worst.outcome is Outcome.FAIL else None,
        "score": _fmt(worst.risk.score) if worst.risk else None,
        "suppressed": all(f.suppressed for f in findings),
        "where": app.origin.display(),
        "parts": [{"type": p.metadata_type, "where": p.origin.display()} for p in app.parts],
        "missing_parts": list(app.missing_parts),
        "certificate": app.has_certificate,
        "usage": None
        if app.usage is None
        else f"{app.usage.grants} refresh-token grants held by {app.usage.users} users"
        + (f", last used {app.usage.last_used}" if app.usage.last_used else ""),
        "settings": [_setting(label, getattr(app, attr), app.origin) for attr, label in SETTINGS],
        "findings": [_finding(f, app.origin) for f in findings],
    }


def _finding(f: Finding, home: Origin) -> dict[str, Any]:
    risk = None
    if f.risk is not None:
        r = f.risk
        low, high = r.published_range
        risk = {
            "score": _fmt(r.score),
            "severity": r.severity.value,
            "base_score": _fmt(r.base_score),
            "vector": r.vector,
            "published": f"{r.published_label} {_fmt(low)}–{_fmt(high)}",
            # Positions on a 0-10 gauge drawn 500 px wide after a 10 px margin.
            "gauge": {
                "score": round(10 + r.score * 50, 1),
                "low": round(10 + low * 50, 1),
                "width": round((high - low) * 50, 1),
                "ticks": [{"x": 10 + t * 50, "label": str(t)} for t in range(0, 11, 2)],
            },
            "factors": [
                {
                    "label": x.label,
                    "value": x.value,
                    "effect": x.effect.value,
                    "symbol": EFFECT_SYMBOLS[x.effect],
                    "explanation": x.explanation,
                    "metrics": " ".join(x.metrics),
                    "where": _short(x.origin, home),
                }
                for x in r.factors
            ],
        }
    return {
        "control": f.control,
        "outcome": f.outcome.value,
        "outcome_label": OUTCOME_LABELS[f.outcome],
        "message": f.message,
        "reason": f.reason,
        "remediation": f.remediation,
        "where": _short(f.location, home),
        "public_client": f.public_client,
        "notes": list(f.notes),
        "risk": risk,
        "suppression": None
        if f.suppression is None
        else {
            "reason": f.suppression.reason,
            "source": f.suppression.source,
            "expires": f.suppression.expires,
        },
    }


def _setting(label: str, s: Setting[Any], home: Origin) -> dict[str, Any]:
    return {
        "label": label,
        "element": s.element,
        "value": _value(s.value),
        "known": s.known.value,
        "known_help": s.note or KNOWN_HELP[s.known],
        "where": _short(s.origin, home),
    }


def _value(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value) if value else "(none)"
    if isinstance(value, RefreshPolicy):
        return value.describe()
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def _short(origin: Origin | None, home: Origin) -> dict[str, str] | None:
    """Where a value comes from, short enough for a table cell: ``line 14`` in the app's own
    file, else the file's name and line; the full location goes in a tooltip."""
    if origin is None:
        return None
    full = origin.display()
    if (origin.path, origin.member, origin.component) == (home.path, home.member, home.component):
        return {"text": f"line {origin.line}" if origin.line else "this file", "full": full}
    name = (origin.member or origin.path).replace("\\", "/").rsplit("/", 1)[-1]
    return {"text": f"{name}:{origin.line}" if origin.line else name, "full": full}


def _fmt(score: float) -> str:
    return f"{score:.1f}"


def _chart(failing: Iterable[Finding]) -> dict[str, Any]:
    """Horizontal bars of failing apps by contextual score, with each published range behind."""
    rows = [f for f in failing if f.risk is not None]
    shown = rows[:CHART_LIMIT]
    row_height = 28
    label_width = 230
    scale = 40.0  # pixels per CVSS point: the bar area is 400 px wide
    bars = []
    for i, f in enumerate(shown):
        r = f.risk
        assert r is not None
        name = f.app.name
        bars.append(
            {
                "y": 28 + i * row_height,
                "name": name if len(name) <= 28 else name[:27] + "…",
                "kind": "CA" if f.app.kind is AppKind.CONNECTED_APP else "ECA",
                "full_name": f"{name} ({KIND_LABEL[f.app.kind]}): {_fmt(r.score)} {r.severity.value}, "
                f"published {r.published_label} {_fmt(r.published_range[0])}–"
                f"{_fmt(r.published_range[1])}",
                "width": round(r.score * scale, 1),
                "score": _fmt(r.score),
                "severity": r.severity.value,
                "band_x": round(label_width + r.published_range[0] * scale, 1),
                "band_width": round((r.published_range[1] - r.published_range[0]) * scale, 1),
            }
        )
    return {
        "bars": bars,
        "more": len(rows) - len(shown),
        "label_width": label_width,
        "ticks": [{"x": round(label_width + t * scale, 1), "label": str(t)} for t in range(0, 11, 2)],
        "height": 28 + len(shown) * row_height + 8,
        "width": label_width + 10 * scale + 50,
    }
