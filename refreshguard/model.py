"""The one model every collector produces, whatever the source.

An :class:`App` is a Connected App or an External Client App. Each setting the controls read is a
:class:`Setting` that knows its value, *how* it is known (:class:`Known`) and where it came from
(:class:`Origin`). Collectors build apps; controls only read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")


class AppKind(StrEnum):
    """Which family of Salesforce OAuth app."""

    CONNECTED_APP = "connected-app"
    """A legacy Connected App (metadata type ``ConnectedApp``)."""
    EXTERNAL_CLIENT_APP = "external-client-app"
    """An External Client App, built from several metadata files."""


class Known(StrEnum):
    """How the value of a setting is known."""

    EXPLICIT = "explicit"
    """The element is present in the input with a valid value."""
    DEFAULT = "default"
    """The file that carries the element is present but the element is not: the documented
    default applies."""
    UNKNOWN = "unknown"
    """The file that would carry the element is not in the input: nothing can be said."""
    INVALID = "invalid"
    """The element is present but its value cannot be understood (for example a placeholder)."""


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a value came from: a file (and line), a member of a zip, or a record of an org."""

    path: str
    """File path as given on the command line (or the zip's path for zip members); for an org,
    the org's instance URL."""
    line: int | None = None
    """1-based line number of the element, when known."""
    member: str | None = None
    """Member name inside a zip archive, when the file came from one."""
    component: str | None = None
    """For org origins: the metadata component or record the value was read from."""

    def display(self) -> str:
        """A short human-readable form: ``path:line`` or ``zip!member:line``."""
        where = f"{self.path}!{self.member}" if self.member else self.path
        if self.component:
            where = f"{where} ({self.component})"
        return f"{where}:{self.line}" if self.line else where


@dataclass(frozen=True, slots=True)
class Setting(Generic[T]):
    """One setting of an app, with its provenance."""

    value: T | None
    """The effective value (the default when ``known`` is DEFAULT); None when UNKNOWN/INVALID."""
    known: Known
    """How the value is known."""
    origin: Origin | None = None
    """The element (EXPLICIT, INVALID) or the file (DEFAULT) it comes from; None when UNKNOWN."""
    element: str = ""
    """The metadata element name, for messages (``oauthConfig/isSecretRequiredForRefreshToken``)."""
    note: str = ""
    """Why an INVALID value is invalid, when it is something other than an unreadable value (a
    repeated or misplaced element); empty otherwise."""

    @property
    def is_known(self) -> bool:
        """True when the value is explicit or a documented default."""
        return self.known in (Known.EXPLICIT, Known.DEFAULT)


def unknown(element: str) -> Setting[T]:
    """A setting whose carrying file is not in the input."""
    return Setting(None, Known.UNKNOWN, None, element)


class RefreshPolicyKind(StrEnum):
    """How long a refresh token stays valid."""

    INFINITE = "infinite"
    """Valid until revoked."""
    ZERO = "zero"
    """Expires immediately: it cannot be used to get new access tokens."""
    LIFETIME = "lifetime"
    """Expires a fixed time after it was issued."""
    INACTIVITY = "inactivity"
    """Expires after a period without use (sliding window)."""


@dataclass(frozen=True, slots=True)
class RefreshPolicy:
    """A refresh token policy, normalised across both app kinds."""

    kind: RefreshPolicyKind
    """The policy type."""
    amount: int | None = None
    """For LIFETIME and INACTIVITY: how many units."""
    unit: str | None = None
    """For LIFETIME and INACTIVITY: ``hours``, ``days`` or ``months``."""

    @property
    def hours(self) -> float | None:
        """The period in hours, or None for INFINITE/ZERO or an unknown unit."""
        if self.amount is None or self.unit is None:
            return None
        per_unit = {"hours": 1.0, "days": 24.0, "months": 24.0 * 30}.get(self.unit)
        return None if per_unit is None else self.amount * per_unit

    def describe(self) -> str:
        """Plain words for reports."""
        if self.kind is RefreshPolicyKind.INFINITE:
            return "valid until revoked"
        if self.kind is RefreshPolicyKind.ZERO:
            return "expires immediately"
        verb = "expires after" if self.kind is RefreshPolicyKind.LIFETIME else "expires if unused for"
        unit = self.unit[:-1] if self.amount == 1 and self.unit and self.unit.endswith("s") else self.unit
        return f"{verb} {self.amount} {unit}"


class IpRelaxation(StrEnum):
    """IP relaxation policy, normalised (Salesforce spells it differently per kind)."""

    ENFORCE = "enforce"
    """IP restrictions are enforced, refresh included."""
    ENFORCE_RELAX_REFRESH = "enforce-relax-refresh"
    """Enforced, but relaxed when a refresh token is used."""
    BYPASS_2FACTOR = "bypass-2factor"
    """Relaxed for activated devices / second factor."""
    BYPASS = "bypass"
    """IP restrictions are relaxed."""


class PermittedUsers(StrEnum):
    """Who may use the app."""

    SELF_AUTHORIZED = "self-authorized"
    """All users may self-authorize."""
    ADMIN_APPROVED = "admin-approved"
    """Only users an admin pre-authorised (profiles, permission sets)."""


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """Evidence of use from a live org (OauthToken records); absent for offline scans."""

    grants: int
    """How many refresh-token grants exist for the app."""
    users: int
    """How many distinct users hold them."""
    last_used: str | None
    """ISO 8601 time of the most recent use, if any."""
    origin: Origin
    """Where the evidence was read."""


@dataclass(frozen=True, slots=True)
class Part:
    """One metadata file that contributed to an app."""

    metadata_type: str
    """The Salesforce metadata type (``ExtlClntAppGlobalOauthSettings``)."""
    origin: Origin
    """The file (line of its root element)."""


@dataclass(frozen=True, slots=True)
class App:
    """A Connected App or External Client App with every setting the controls need."""

    kind: AppKind
    """Which family."""
    name: str
    """API name (fullName)."""
    label: str | None
    """Display label, when present."""
    origin: Origin
    """The app's primary file: the Connected App file, or the ECA file that carries the refresh
    flag (global OAuth settings) when present, else the first part found."""
    parts: tuple[Part, ...]
    """Every file that contributed."""
    oauth_enabled: Setting[bool]
    """Can the app do OAuth at all (CA: has oauthConfig; ECA: enabled and OAuth plugin on)."""
    secret_required_for_refresh: Setting[bool]
    """isSecretRequiredForRefreshToken: the flag this tool is about."""
    scopes: Setting[tuple[str, ...]]
    """OAuth scopes, as written (case kept)."""
    consumer_secret_optional: Setting[bool]
    """isConsumerSecretOptional (the secret is not needed in the web-server flow)."""
    pkce_required: Setting[bool]
    """isPkceRequired."""
    rotation_enabled: Setting[bool]
    """isRefreshTokenRotationEnabled."""
    code_credential_flow: Setting[bool]
    """Authorization Code and Credentials flow enabled."""
    refresh_policy: Setting[RefreshPolicy]
    """Refresh token policy."""
    ip_relaxation: Setting[IpRelaxation]
    """IP relaxation policy."""
    permitted_users: Setting[PermittedUsers]
    """Permitted users policy."""
    callback_urls: Setting[tuple[str, ...]]
    """Callback URLs."""
    idle_ttl_enforced: Setting[bool] = field(default_factory=lambda: unknown("isEnforceRefreshTokenTTL"))
    """The 30-day idle refresh token limit (seen in retrieved ECA files; unconfirmed meaning)."""
    has_certificate: bool = False
    """A certificate is configured (JWT bearer flow possible)."""
    usage: TokenUsage | None = None
    """Evidence of real token use, from a live org."""
    missing_parts: tuple[str, ...] = ()
    """For ECAs: metadata types that would carry settings but are not in the input."""
    unavailable_reason: str | None = None
    """Why settings the input should carry could not be read (set by the live-org collector,
    e.g. a managed-package app or the org's consumer-secret gate); controls use it as the reason
    of a not-available verdict."""

    @property
    def key(self) -> str:
        """A stable identity: kind and API name."""
        return f"{self.kind}:{self.name}"
