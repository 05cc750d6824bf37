"""The pipeline: collect -> evaluate -> suppress, and the exit code. Library entry points."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import replace
from enum import IntEnum
from pathlib import Path

from refreshguard._version import __version__
from refreshguard.collectors import Collection, ProgressCallback, collect_paths
from refreshguard.collectors.inputs import display
from refreshguard.collectors.metadata_types import ECA_TYPES, split_file_name
from refreshguard.config import Config, FailOn
from refreshguard.controls import CONTROLS, Control
from refreshguard.errors import CollectionError
from refreshguard.findings import Finding, Outcome, Problem, Report, Severity, Suppression
from refreshguard.model import App, AppKind, Setting, unknown
from refreshguard.risk import assess


class ExitCode(IntEnum):
    """Process exit codes, computed in :func:`exit_code` only."""

    OK = 0
    """Nothing fails at or above the threshold, and every input was read."""
    FINDINGS = 1
    """Something fails at or above the threshold."""
    USAGE = 2
    """Bad command line or configuration; nothing was scanned."""
    PARTIAL = 3
    """Nothing fails, but some input could not be read: the verdicts cover only the rest."""


def scan(
    paths: Sequence[str | Path],
    config: Config | None = None,
    *,
    use_ignores: bool = True,
    progress: ProgressCallback | None = None,
    today: dt.date | None = None,
) -> Report:
    """Scan metadata under ``paths`` and return the report.

    Raises CollectionError when a path does not exist at all (nothing to scan is a usage error,
    not a partial scan).
    """
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise CollectionError(f"no such file or folder: {', '.join(missing)}")
    collection = collect_paths(paths, progress)
    inputs = [display(str(p)) for p in paths]  # valid text even for undecodable file names
    return evaluate(collection, inputs, config, use_ignores=use_ignores, today=today)


def evaluate(
    collection: Collection,
    inputs: Iterable[str],
    config: Config | None = None,
    *,
    controls: Sequence[Control] = CONTROLS,
    use_ignores: bool = True,
    today: dt.date | None = None,
    extra: dict[str, str] | None = None,
) -> Report:
    """Judge collected apps with ``controls`` and apply the configuration's ignores."""
    config = config or Config()
    today = today or dt.date.today()
    findings: list[Finding] = []
    for app in collection.apps:
        for control in controls:
            findings.extend(_with_risk(f, control) for f in control.evaluate(app))
    for problem in collection.problems:
        findings.extend(_problem_findings(problem, controls))
    warnings: list[str] = []
    if not collection.apps and not collection.problems:
        warnings.append(
            "no Connected App or External Client App files were found: check the path (files must "
            "end in .connectedApp, .eca, .ecaGlblOauth, .ecaOauth, .ecaOauthPlcy or .ecaPlcy, with "
            "or without -meta.xml)"
        )
    if use_ignores:
        findings = [_suppress(f, config, today) for f in findings]
        used = {f.suppression.source for f in findings if f.suppression}
        for ignore in config.ignores:
            if ignore.expired(today):
                warnings.append(
                    f"{ignore.source}: ignore of {ignore.app!r} expired on "
                    f"{ignore.expires}; its findings are reported again"
                )
            elif ignore.source not in used and findings:
                warnings.append(f"{ignore.source}: ignore of {ignore.app!r} matched no finding")
    return Report(
        findings=tuple(findings),
        problems=collection.problems,
        inputs=tuple(inputs),
        files_scanned=collection.files_scanned,
        tool_version=__version__,
        warnings=tuple(dict.fromkeys(warnings)),
        ignores_applied=use_ignores,
        extra=dict(extra or {}),
    )


def _with_risk(finding: Finding, control: Control) -> Finding:
    if finding.outcome is not Outcome.FAIL:
        return finding
    risk = assess(finding.app, control.ratings[finding.app.kind])
    return replace(finding, risk=risk, severity=risk.severity)


def _problem_findings(problem: Problem, controls: Sequence[Control]) -> list[Finding]:
    """An error finding for a file that names its app kind, so every format shows it."""
    if problem.metadata_type is None:
        return []
    kind = AppKind.EXTERNAL_CLIENT_APP if problem.metadata_type in ECA_TYPES else AppKind.CONNECTED_APP
    # Files that could not even be read (too large, not a regular file, unsafe zip member) carry
    # no guessed name; their file name still says which app they are.
    guessed = split_file_name(
        (problem.origin.member or problem.origin.path).replace("\\", "/").rsplit("/", 1)[-1]
    )
    name = problem.app_name or (guessed[0] if guessed else problem.origin.display())
    app = placeholder_app(kind, name, problem)
    return [
        Finding(
            control=c.id,
            app=app,
            outcome=Outcome.ERROR,
            severity=Severity.NONE,
            message=f"The {problem.metadata_type} file could not be read.",
            reason=problem.message,
            remediation="Fix or remove the file and scan again; until then this app is not judged.",
            location=problem.origin,
        )
        for c in controls
    ]


def placeholder_app(kind: AppKind, name: str, problem: Problem) -> App:
    """An app that stands for an unreadable file: every setting unknown."""
    no: Setting[bool] = unknown("")
    return App(
        kind=kind,
        name=name,
        label=None,
        origin=problem.origin,
        parts=(),
        oauth_enabled=no,
        secret_required_for_refresh=no,
        scopes=unknown(""),
        consumer_secret_optional=no,
        pkce_required=no,
        rotation_enabled=no,
        code_credential_flow=no,
        refresh_policy=unknown(""),
        ip_relaxation=unknown(""),
        permitted_users=unknown(""),
        callback_urls=unknown(""),
    )


def _suppress(finding: Finding, config: Config, today: dt.date) -> Finding:
    if finding.outcome is Outcome.PASS:
        return finding
    for ignore in config.ignores:
        if not ignore.matches(finding.control, finding.app.kind, finding.app.name, finding.location.path):
            continue
        if ignore.expired(today):
            continue
        expires = ignore.expires.isoformat() if ignore.expires else None
        return replace(finding, suppression=Suppression(ignore.reason, expires, ignore.source))
    return finding


_THRESHOLD = {
    FailOn.ANY: 0,
    FailOn.LOW: Severity.LOW.rank,
    FailOn.MEDIUM: Severity.MEDIUM.rank,
    FailOn.HIGH: Severity.HIGH.rank,
    FailOn.CRITICAL: Severity.CRITICAL.rank,
}


def exit_code(report: Report, fail_on: FailOn = FailOn.ANY, fail_on_unknown: bool = False) -> ExitCode:
    """The one place the exit code is decided."""
    live = [f for f in report.findings if not (f.suppressed or f.baselined)]
    if fail_on is not FailOn.NEVER:
        threshold = _THRESHOLD[fail_on]
        if any(f.outcome is Outcome.FAIL and f.severity.rank >= threshold for f in live):
            return ExitCode.FINDINGS
    if fail_on_unknown and any(f.outcome is Outcome.NOT_AVAILABLE for f in live):
        return ExitCode.FINDINGS
    if report.partial:
        return ExitCode.PARTIAL
    return ExitCode.OK
