"""Configuration: ``refreshguard.toml`` (or ``[tool.refreshguard]`` in ``pyproject.toml``).

Example::

    fail_on = "high"          # any | low | medium | high | critical | never
    fail_on_unknown = false   # also fail when a verdict is "not-available"

    [[ignore]]
    control = "require-secret-for-refresh-token"
    app = "Mobile_*"          # API name, shell-style wildcards, case-insensitive
    kind = "connected-app"    # optional: connected-app | external-client-app
    path = "force-app/**"     # optional: only findings whose file matches
    reason = "Public mobile client; rotation and 1-day lifetime compensate (SEC-123)"
    expires = 2027-03-31      # optional: after this date the ignore stops hiding the finding
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import os
import stat
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from refreshguard.errors import ConfigError
from refreshguard.model import AppKind

CONFIG_NAMES = ("refreshguard.toml", ".refreshguard.toml")

MAX_CONFIG_BYTES = 1024 * 1024
"""A configuration file larger than this (1 MiB) is refused rather than read."""


class FailOn(StrEnum):
    """The lowest severity of a failing finding that makes the exit code 1."""

    ANY = "any"
    """Every failing finding."""
    LOW = "low"
    """Low and above."""
    MEDIUM = "medium"
    """Medium and above."""
    HIGH = "high"
    """High and above."""
    CRITICAL = "critical"
    """Critical only."""
    NEVER = "never"
    """Failing findings never change the exit code (report only)."""


@dataclass(frozen=True, slots=True)
class Ignore:
    """One ignore entry."""

    control: str
    """The control id it applies to."""
    app: str
    """API name pattern (fnmatch, case-insensitive)."""
    reason: str
    """Why; required."""
    source: str
    """``file#ignore[N]`` for messages."""
    kind: AppKind | None = None
    """Only this app kind, when given."""
    path: str | None = None
    """Only findings whose file matches this pattern, when given."""
    expires: dt.date | None = None
    """Last day the ignore applies."""

    def matches(self, control: str, kind: AppKind, name: str, path: str) -> bool:
        """True when the ignore covers this finding (expiry is checked separately)."""
        if control != self.control or (self.kind is not None and kind is not self.kind):
            return False
        if not fnmatch.fnmatchcase(name.lower(), self.app.lower()):
            return False
        if self.path is None:
            return True
        return any(fnmatch.fnmatch(p, self.path) for p in self._candidate_paths(path))

    def _candidate_paths(self, path: str) -> tuple[str, ...]:
        """The finding's path as shown, and relative to the config file's folder, so a pattern
        such as ``force-app/**`` matches wherever the scan is started from."""
        shown = path.replace("\\", "/")
        config_file = self.source.rsplit("#", 1)[0]
        if not config_file:
            return (shown,)
        base = os.path.dirname(os.path.abspath(config_file))
        relative = os.path.relpath(os.path.abspath(path), base).replace("\\", "/")
        return (shown, relative)

    def expired(self, today: dt.date) -> bool:
        """True when the expiry date has passed."""
        return self.expires is not None and today > self.expires


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the configuration can set."""

    fail_on: FailOn = FailOn.ANY
    """Exit-code threshold."""
    fail_on_unknown: bool = False
    """Treat not-available verdicts as failing for the exit code."""
    ignores: tuple[Ignore, ...] = ()
    """Ignores, in file order."""
    source: str | None = None
    """The file it was read from, if any."""


def find_config(start: list[Path]) -> Path | None:
    """The first config file in the given folders (a scanned project first, then the current
    folder)."""
    for folder in start:
        for name in CONFIG_NAMES:
            if (folder / name).is_file():
                return folder / name
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_tool_section(pyproject):
            return pyproject
    return None


def _has_tool_section(path: Path) -> bool:
    """True when ``path`` (a pyproject.toml) has a ``refreshguard`` key under ``tool``, whatever
    its type: a wrong type is then reported by :func:`load_config`, not silently ignored. A
    pyproject.toml that cannot be read as TOML belongs to other tools and is passed over."""
    try:
        data = _toml(path)
    except ConfigError:
        return False
    tool = data.get("tool")
    return isinstance(tool, dict) and "refreshguard" in tool


def read_text_file(path: Path, limit: int, what: str) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes. Raises ConfigError for
    anything else (a device such as /dev/zero, a FIFO, a folder, a file too large, not UTF-8),
    naming ``what`` the file was meant to be."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer before the check below refuses it.
        with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise ConfigError(f"{path}: the {what} must be a regular file")
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise ConfigError(f"{path}: the {what} must be a regular file, not a folder") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise ConfigError(f"{path}: the {what} is larger than {limit:,} bytes; refused")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the {what} is not UTF-8 text") from None


def _toml(path: Path) -> dict[str, Any]:
    try:
        text = read_text_file(path, MAX_CONFIG_BYTES, "configuration")
    except FileNotFoundError:
        raise ConfigError(f"{path}: cannot read the configuration: file not found") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: nested too deeply") from None


def load_config(path: Path | None, known_controls: frozenset[str]) -> Config:
    """Read and validate the configuration at ``path`` (None gives the defaults)."""
    if path is None:
        return Config()
    data = _toml(path)
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        if not isinstance(tool, dict):
            raise ConfigError(f"{path}: 'tool' must be a table, not {_type(tool)}")
        data = tool.get("refreshguard", {})
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: [tool.refreshguard] must be a table, not {_type(data)}")
    return _parse(data, str(path), known_controls)


def _type(value: object) -> str:
    """The TOML name of a value's type, for messages."""
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "a string", list: "an array"}
    return next((n for t, n in names.items() if isinstance(value, t)), "a date or time")


def _parse(data: dict[str, Any], source: str, known: frozenset[str]) -> Config:
    allowed = {"fail_on", "fail_on_unknown", "ignore"}
    extra = sorted(set(data) - allowed)
    if extra:
        raise ConfigError(
            f"{source}: unknown key(s) {', '.join(extra)}; allowed: {', '.join(sorted(allowed))}"
        )
    fail_on = data.get("fail_on", FailOn.ANY.value)
    try:
        if not isinstance(fail_on, str):
            raise ValueError(fail_on)
        fail_on_value = FailOn(fail_on)
    except ValueError:
        raise ConfigError(
            f"{source}: fail_on must be one of {', '.join(f.value for f in FailOn)}, not {fail_on!r}"
        ) from None
    unknown_flag = data.get("fail_on_unknown", False)
    if not isinstance(unknown_flag, bool):
        raise ConfigError(f"{source}: fail_on_unknown must be true or false")
    entries = data.get("ignore", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{source}: 'ignore' must be an array of tables ([[ignore]])")
    ignores = tuple(_ignore(e, f"{source}#ignore[{i + 1}]", known) for i, e in enumerate(entries))
    return Config(fail_on_value, unknown_flag, ignores, source)


def _ignore(entry: object, where: str, known: frozenset[str]) -> Ignore:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: must be a table")
    allowed = {"control", "app", "kind", "path", "reason", "expires"}
    extra = sorted(set(entry) - allowed)
    if extra:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(extra)}")
    control = entry.get("control")
    if not isinstance(control, str) or control not in known:
        raise ConfigError(f"{where}: control must be one of {', '.join(sorted(known))}, not {control!r}")
    app = entry.get("app")
    if not isinstance(app, str) or not app.strip():
        raise ConfigError(f"{where}: 'app' (an API name or pattern) is required")
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ConfigError(f"{where}: 'reason' is required: say why the finding is accepted")
    kind_text = entry.get("kind")
    try:
        if kind_text is not None and not isinstance(kind_text, str):
            raise ValueError(kind_text)
        kind = AppKind(kind_text) if kind_text is not None else None
    except ValueError:
        raise ConfigError(f"{where}: kind must be connected-app or external-client-app") from None
    path = entry.get("path")
    if path is not None and not isinstance(path, str):
        raise ConfigError(f"{where}: 'path' must be a string pattern")
    expires = entry.get("expires")
    if isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires)
        except ValueError:
            raise ConfigError(f"{where}: expires must be a date like 2027-03-31") from None
    if isinstance(expires, dt.datetime):
        expires = expires.date()
    if expires is not None and not isinstance(expires, dt.date):
        raise ConfigError(f"{where}: expires must be a date like 2027-03-31")
    return Ignore(str(control), app.strip(), reason.strip(), where, kind, path, expires)
