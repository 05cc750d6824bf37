"""The declarative description every control carries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from refreshguard.findings import Finding
from refreshguard.model import App, AppKind

DOCS_URL = "https://github.com/refreshguard/refreshguard/blob/main/docs/controls.md"


@dataclass(frozen=True, slots=True)
class PublishedRating:
    """How Salesforce's Security Health Review rates the control for one app kind."""

    control_name: str
    """The Health Review control's published name."""
    low: float
    """Lower end of the published CVSS range."""
    high: float
    """Upper end of the published CVSS range."""
    label: str
    """The range's name."""
    base_vector: str
    """The CVSS v3.1 base vector refreshguard calibrates to that range (see docs/risk-model.md)."""


@dataclass(frozen=True, slots=True)
class Control:
    """A check, described as data next to the function that evaluates it."""

    id: str
    """Permanent kebab-case slug: docs anchor, SARIF rule id, config key."""
    title: str
    """One line."""
    rationale: str
    """Why it matters."""
    remediation: str
    """What to do, in general; findings carry app-specific remediation."""
    ratings: dict[AppKind, PublishedRating]
    """Published rating per app kind."""
    evaluate: Callable[[App], Iterator[Finding]]
    """The pure function that judges one app."""

    @property
    def docs(self) -> str:
        """URL of the control's section in the docs."""
        return f"{DOCS_URL}#{self.id}"
