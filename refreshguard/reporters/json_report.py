"""JSON report, schema version 1 (``refreshguard/schemas/report-v1.schema.json``).

Built through an explicit mapping, never ``asdict()`` of internal types, so the internal model
can change without breaking consumers. Additive changes keep version 1; anything else bumps it.
"""

from __future__ import annotations

import json
from typing import Any

from refreshguard.findings import Finding, Problem, Report, Risk
from refreshguard.model import App, Origin, Setting

SCHEMA_VERSION = 1


def render(report: Report) -> str:
    """The report as pretty-printed JSON."""
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"


def to_dict(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data (schema 1)."""
    counts = report.counts()
    return {
        "schema": SCHEMA_VERSION,
        "tool": {"name": "refreshguard", "version": report.tool_version},
        "inputs": list(report.inputs),
        "summary": {
            "apps": len({(f.app.kind, f.app.name, f.location.path) for f in report.findings}),
            "files_scanned": report.files_scanned,
            "partial": report.partial,
            "outcomes": {
                k: counts.get(k, 0) for k in ("pass", "fail", "not-applicable", "not-available", "error")
            },
            "severities": {
                k: report.severity_counts().get(k, 0) for k in ("critical", "high", "medium", "low")
            },
            "suppressed": report.suppressed_count,
            "ignores_applied": report.ignores_applied,
            "baselined": report.baselined_count,
            "baseline": report.baseline,
        },
        "findings": [_finding(f) for f in report.findings],
        "problems": [_problem(p) for p in report.problems],
        "warnings": list(report.warnings),
        "run": dict(report.extra),
    }


def location(origin: Origin) -> dict[str, Any]:
    """An origin as a JSON location."""
    return {
        "path": origin.path,
        "line": origin.line,
        "member": origin.member,
        "component": origin.component,
    }


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "id": f.fingerprint,
        "control": f.control,
        "app": _app(f.app),
        "outcome": f.outcome.value,
        "severity": f.severity.value,
        "message": f.message,
        "reason": f.reason,
        "remediation": f.remediation,
        "notes": list(f.notes),
        "public_client": f.public_client,
        "risk": _risk(f.risk),
        "location": location(f.location),
        "baselined": f.baselined,
        "suppressed": None
        if f.suppression is None
        else {
            "reason": f.suppression.reason,
            "expires": f.suppression.expires,
            "source": f.suppression.source,
        },
    }


def _app(app: App) -> dict[str, Any]:
    return {
        "name": app.name,
        "kind": app.kind.value,
        "label": app.label,
        "parts": [{"type": p.metadata_type, **location(p.origin)} for p in app.parts],
        "missing_parts": list(app.missing_parts),
        "settings": {
            "secret_required_for_refresh": _setting(app.secret_required_for_refresh),
            "oauth_enabled": _setting(app.oauth_enabled),
            "scopes": _setting(app.scopes),
            "consumer_secret_optional": _setting(app.consumer_secret_optional),
            "pkce_required": _setting(app.pkce_required),
            "refresh_token_rotation": _setting(app.rotation_enabled),
            "code_credential_flow": _setting(app.code_credential_flow),
            "refresh_token_policy": _setting(app.refresh_policy),
            "ip_relaxation": _setting(app.ip_relaxation),
            "permitted_users": _setting(app.permitted_users),
            "callback_urls": _setting(app.callback_urls),
        },
        "usage": None
        if app.usage is None
        else {
            "grants": app.usage.grants,
            "users": app.usage.users,
            "last_used": app.usage.last_used,
        },
    }


def _setting(s: Setting[Any]) -> dict[str, Any]:
    value = s.value
    if isinstance(value, tuple):
        value = list(value)
    elif value is not None and hasattr(value, "describe"):
        value = value.describe()
    elif value is not None and not isinstance(value, bool | int | str):
        value = str(value)
    return {
        "value": value,
        "known": s.known.value,
        "element": s.element,
        "path": s.origin.path if s.origin else None,
        "line": s.origin.line if s.origin else None,
        "note": s.note,
    }


def _risk(risk: Risk | None) -> dict[str, Any] | None:
    if risk is None:
        return None
    return {
        "score": risk.score,
        "vector": risk.vector,
        "base_score": risk.base_score,
        "severity": risk.severity.value,
        "published_range": {
            "min": risk.published_range[0],
            "max": risk.published_range[1],
            "label": risk.published_label,
        },
        "factors": [
            {
                "id": x.id,
                "label": x.label,
                "value": x.value,
                "effect": x.effect.value,
                "explanation": x.explanation,
                "metrics": list(x.metrics),
                "path": x.origin.path if x.origin else None,
                "line": x.origin.line if x.origin else None,
            }
            for x in risk.factors
        ],
    }


def _problem(p: Problem) -> dict[str, Any]:
    return {"location": location(p.origin), "message": p.message, "type": p.metadata_type}
