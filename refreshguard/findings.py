"""What a scan produces: findings (one per app and control), problems (inputs that could not be
read) and the report that holds both. All values are frozen."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from refreshguard.model import App, Origin


class Outcome(StrEnum):
    """The verdict for one app and one control."""

    PASS = "pass"
    """The app is configured as the control asks."""
    FAIL = "fail"
    """The app is not configured as the control asks."""
    NOT_APPLICABLE = "not-applicable"
    """The control cannot matter for this app (it never gets refresh tokens)."""
    NOT_AVAILABLE = "not-available"
    """Cannot tell: the input does not show the setting."""
    ERROR = "error"
    """The input could not be read or understood."""


class Severity(StrEnum):
    """How urgent a finding is. Failing findings take it from their risk score."""

    CRITICAL = "critical"
    """CVSS 9.0-10.0."""
    HIGH = "high"
    """CVSS 7.0-8.9."""
    MEDIUM = "medium"
    """CVSS 4.0-6.9."""
    LOW = "low"
    """CVSS 0.1-3.9."""
    NONE = "none"
    """Not a failing finding."""

    @property
    def rank(self) -> int:
        """Ordering: NONE 0 … CRITICAL 4."""
        return _RANK[self]

    @classmethod
    def from_score(cls, score: float) -> Severity:
        """The CVSS v3.1 qualitative rating of a score."""
        if score >= 9.0:
            return cls.CRITICAL
        if score >= 7.0:
            return cls.HIGH
        if score >= 4.0:
            return cls.MEDIUM
        if score > 0.0:
            return cls.LOW
        return cls.NONE


_RANK = {
    Severity.NONE: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


class Effect(StrEnum):
    """Which way a risk factor moves the score."""

    RAISES = "raises"
    """Makes abuse of a stolen token easier or worse."""
    LOWERS = "lowers"
    """Makes abuse harder or less harmful."""
    NEUTRAL = "neutral"
    """Known, and neither raises nor lowers the score."""
    UNKNOWN = "unknown"
    """The input does not show it; treated as the unfavourable calibration value."""


@dataclass(frozen=True, slots=True)
class RiskFactor:
    """One piece of context that affects how dangerous a failing app is."""

    id: str
    """Stable identifier (``rotation``, ``refresh-policy``, ...)."""
    label: str
    """What the factor is, in plain words."""
    value: str
    """What the input says, in plain words (``valid until revoked``, ``unknown``)."""
    effect: Effect
    """Which way it moves the score."""
    explanation: str
    """Why it moves the score that way."""
    metrics: tuple[str, ...] = ()
    """The CVSS environmental metrics it sets (``MAC:H``)."""
    origin: Origin | None = None
    """Where the value came from."""


@dataclass(frozen=True, slots=True)
class Risk:
    """Contextual risk of a failing app, as CVSS v3.1 and the reasons for it."""

    score: float
    """Environmental score computed from ``vector``."""
    vector: str
    """The full CVSS v3.1 vector: base (the published calibration) plus environmental metrics."""
    base_score: float
    """Score of the base vector alone: what the control is worth with no context."""
    severity: Severity
    """The qualitative rating of ``score``."""
    published_range: tuple[float, float]
    """The CVSS range Salesforce publishes for the control and app kind."""
    published_label: str
    """That range's name (``High``, ``Critical``)."""
    factors: tuple[RiskFactor, ...]
    """Every factor considered, known or not."""


@dataclass(frozen=True, slots=True)
class Suppression:
    """An ignore from the configuration that matched a finding."""

    reason: str
    """Why it is ignored (required in the configuration)."""
    expires: str | None
    """ISO date after which the ignore stops applying, if any."""
    source: str
    """Where the ignore is written (config file and entry index)."""


@dataclass(frozen=True, slots=True)
class Finding:
    """The verdict of one control on one app."""

    control: str
    """The control's id."""
    app: App
    """The app judged."""
    outcome: Outcome
    """The verdict."""
    severity: Severity
    """NONE unless the outcome is FAIL."""
    message: str
    """One sentence: what was found."""
    reason: str
    """Why: the evidence behind the outcome, or what is missing."""
    remediation: str
    """What to do (for FAIL and NOT_AVAILABLE; may be empty otherwise)."""
    location: Origin
    """The most precise place to point at (the flag's element when present)."""
    risk: Risk | None = None
    """Contextual risk, for FAIL."""
    public_client: bool = False
    """The app looks like a public client (mobile, SPA, CLI) that cannot hold a secret."""
    notes: tuple[str, ...] = ()
    """Further remarks (conflicting guidance, latent risks)."""
    suppression: Suppression | None = None
    """The ignore that hides this finding, if any."""
    baselined: bool = False
    """A failing finding already recorded in the baseline file given to the scan: it is still
    reported (and counted apart) but does not change the exit code."""

    @property
    def suppressed(self) -> bool:
        """True when an unexpired ignore matches."""
        return self.suppression is not None

    @property
    def fingerprint(self) -> str:
        """Stable identity across line moves: control, app kind and app name."""
        return f"{self.control}/{self.app.kind}/{self.app.name}"


@dataclass(frozen=True, slots=True)
class Problem:
    """An input that could not be read or understood. It makes the scan partial."""

    origin: Origin
    """The file (or zip member) concerned."""
    message: str
    """What went wrong, precisely, and what to do."""
    metadata_type: str | None = None
    """The metadata type the file was expected to be, when known from its name."""
    app_name: str | None = None
    """The app it probably belongs to (from the file name), when it can be guessed."""


@dataclass(frozen=True, slots=True)
class Report:
    """Everything a scan found. Reporters are pure functions of this value."""

    findings: tuple[Finding, ...]
    """One per (control, app), in a stable order."""
    problems: tuple[Problem, ...]
    """Inputs that could not be read."""
    inputs: tuple[str, ...]
    """What was scanned, as given."""
    files_scanned: int
    """How many metadata files were read."""
    tool_version: str
    """refreshguard's version."""
    warnings: tuple[str, ...] = ()
    """Messages for the user that are not about one file (expired ignores, ...)."""
    ignores_applied: bool = True
    """False when ``--no-ignores`` was given."""
    extra: dict[str, str] = field(default_factory=dict)
    """Free-form facts about the run (org, API calls made) for reporters to show."""
    baseline: str | None = None
    """The baseline file applied to the findings, if any (see :mod:`refreshguard.baseline`)."""

    @property
    def unjudged_count(self) -> int:
        """How many findings are errors: apps whose file or value could not be understood."""
        return sum(1 for f in self.findings if f.outcome is Outcome.ERROR)

    @property
    def partial(self) -> bool:
        """True when some input could not be read or some app could not be judged: the verdicts
        cover only the rest."""
        return bool(self.problems) or self.unjudged_count > 0

    def partial_summary(self) -> str:
        """Why the scan is partial, in words (empty when it is not)."""
        parts = []
        if self.problems:
            n = len(self.problems)
            parts.append(f"{n} input{'s' if n != 1 else ''} could not be read")
        unreadable = {p.origin for p in self.problems}
        n = sum(1 for f in self.findings if f.outcome is Outcome.ERROR and f.location not in unreadable)
        if n:
            parts.append(f"{n} app{'s' if n != 1 else ''} could not be judged (a value is not valid)")
        return "; ".join(parts)

    def counts(self) -> Counter[str]:
        """Findings by outcome, leaving out suppressed and baselined ones (counted apart)."""
        return Counter(f.outcome.value for f in self.findings if not (f.suppressed or f.baselined))

    def severity_counts(self) -> Counter[str]:
        """Failing findings by severity, leaving out suppressed and baselined ones."""
        return Counter(
            f.severity.value
            for f in self.findings
            if f.outcome is Outcome.FAIL and not (f.suppressed or f.baselined)
        )

    @property
    def suppressed_count(self) -> int:
        """How many findings an ignore hides."""
        return sum(1 for f in self.findings if f.suppressed)

    @property
    def baselined_count(self) -> int:
        """How many failing findings the baseline already knows (and so do not fail the run)."""
        return sum(1 for f in self.findings if f.baselined)
