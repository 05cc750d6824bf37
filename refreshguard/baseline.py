"""Baselines: accept today's failing findings, fail only on new ones.

A baseline file records the failing findings of one scan, keyed by
:attr:`~refreshguard.findings.Finding.fingerprint` (control, app kind and app name, so moving an
element to another line does not change it). Scanning with a baseline marks the failing findings
it lists as *baselined*: they stay in every report and are counted apart, but they no longer
change the exit code. Anything not in the baseline fails as usual.

File format (``schema`` 1; JSON, entries sorted by fingerprint so rewrites diff cleanly)::

    {
      "schema": 1,
      "tool": {"name": "refreshguard", "version": "0.1.0"},
      "entries": [
        {"fingerprint": "require-secret-for-refresh-token/connected-app/Mobile",
         "control": "require-secret-for-refresh-token",
         "app_kind": "connected-app", "app_name": "Mobile",
         "severity": "critical", "first_seen": "2026-12-03"}
      ]
    }
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from refreshguard.config import read_text_file
from refreshguard.errors import ConfigError
from refreshguard.findings import Finding, Outcome, Report

SCHEMA_VERSION = 1
"""The baseline file format version this module reads and writes."""

DEFAULT_BASELINE_FILE = "refreshguard-baseline.json"
"""The file ``refreshguard baseline`` writes when no ``--output`` is given."""

MAX_BASELINE_BYTES = 64 * 1024 * 1024
"""A baseline file larger than this is refused rather than read (about 300,000 entries fit)."""

_ENTRY_KEYS = ("fingerprint", "control", "app_kind", "app_name", "severity", "first_seen")


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    """One accepted failing finding."""

    fingerprint: str
    """:attr:`Finding.fingerprint` of the finding."""
    control: str
    """The control id."""
    app_kind: str
    """``connected-app`` or ``external-client-app``."""
    app_name: str
    """The app's API name."""
    severity: str
    """Severity when it was last recorded (information only; matching ignores it)."""
    first_seen: str
    """ISO date the finding first entered the baseline; kept when the baseline is rewritten."""


@dataclass(frozen=True, slots=True)
class Baseline:
    """A set of accepted failing findings."""

    entries: tuple[BaselineEntry, ...]
    """Sorted by fingerprint."""
    tool_version: str = ""
    """The refreshguard version that wrote it."""

    @property
    def fingerprints(self) -> frozenset[str]:
        """Every fingerprint in the baseline."""
        return frozenset(e.fingerprint for e in self.entries)


def baselinable(finding: Finding) -> bool:
    """Only failing, unsuppressed findings go into a baseline: a suppressed one is already
    accepted (with a reason), and "cannot tell" or errors are not known failures."""
    return finding.outcome is Outcome.FAIL and not finding.suppressed


def build_baseline(
    report: Report, today: dt.date | None = None, previous: Baseline | None = None
) -> Baseline:
    """The baseline for ``report``'s failing findings. Entries already in ``previous`` keep their
    first-seen date; entries of ``previous`` that no longer fail are dropped."""
    seen = {e.fingerprint: e.first_seen for e in previous.entries} if previous else {}
    date = (today or dt.date.today()).isoformat()
    entries: dict[str, BaselineEntry] = {}
    for f in report.findings:
        if not baselinable(f) or f.fingerprint in entries:
            continue
        entries[f.fingerprint] = BaselineEntry(
            fingerprint=f.fingerprint,
            control=f.control,
            app_kind=f.app.kind.value,
            app_name=f.app.name,
            severity=f.severity.value,
            first_seen=seen.get(f.fingerprint, date),
        )
    return Baseline(tuple(entries[k] for k in sorted(entries)), report.tool_version)


def dumps_baseline(baseline: Baseline) -> str:
    """The baseline as the JSON text of the file."""
    data = {
        "schema": SCHEMA_VERSION,
        "tool": {"name": "refreshguard", "version": baseline.tool_version},
        "entries": [{k: getattr(e, k) for k in _ENTRY_KEYS} for e in baseline.entries],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def load_baseline(path: Path) -> Baseline:
    """Read a baseline file. Raises ConfigError, naming the file and the exact fault."""
    try:
        text = read_text_file(path, MAX_BASELINE_BYTES, "baseline")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: baseline file not found; create it with `refreshguard baseline --output {path}`"
        ) from None
    return parse_baseline(text, str(path))


def parse_baseline(text: str, source: str) -> Baseline:
    """Parse the JSON text of a baseline file (``source`` names it in errors)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{source}: the baseline is not valid JSON: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{source}: the baseline is not valid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the baseline must be a JSON object")
    schema = data.get("schema")
    if schema != SCHEMA_VERSION:
        raise ConfigError(
            f"{source}: baseline schema {schema!r} is not supported (this refreshguard reads "
            f"schema {SCHEMA_VERSION}); rewrite it with `refreshguard baseline`"
        )
    raw = data.get("entries")
    if not isinstance(raw, list):
        raise ConfigError(f"{source}: 'entries' must be a list")
    tool = data.get("tool")
    version = tool.get("version", "") if isinstance(tool, dict) else ""
    entries = [_entry(item, f"{source}: entries[{i}]") for i, item in enumerate(raw)]
    entries.sort(key=lambda e: e.fingerprint)
    return Baseline(tuple(entries), str(version))


def _entry(item: Any, where: str) -> BaselineEntry:
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: must be an object")
    values: dict[str, str] = {}
    for key in _ENTRY_KEYS:
        value = item.get(key)
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where}: {key!r} must be a non-empty string")
        values[key] = value
    try:
        dt.date.fromisoformat(values["first_seen"])
    except ValueError:
        raise ConfigError(f"{where}: 'first_seen' must be a date like 2026-12-03") from None
    return BaselineEntry(**values)


def apply_baseline(report: Report, baseline: Baseline, source: str) -> Report:
    """``report`` with every failing, unsuppressed finding listed in ``baseline`` marked as
    baselined. Nothing is removed. ``source`` (the file name) is recorded on the report."""
    known = baseline.fingerprints
    findings = tuple(
        replace(f, baselined=True) if baselinable(f) and f.fingerprint in known else f
        for f in report.findings
    )
    return replace(report, findings=findings, baseline=source)
