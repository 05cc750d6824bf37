"""Fixes as data: the :class:`Edit` each failing finding proposes, and whether it is safe.

This module is pure: it turns findings into edits and never reads or writes a file. Applying
edits is the job of :mod:`refreshguard.fix`, the one place that touches files.

An edit is *safe* when setting the flag cannot break an integration that works today, and
*unsafe* when it can: a public client (mobile, desktop, CLI, single-page app) cannot send a
secret, and the Authorization Code and Credentials flow's headless front end cannot either.
Unsafe edits are applied only when the user asks (``--unsafe``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from refreshguard.controls import require_secret_for_refresh_token as control
from refreshguard.controls.public_client import public_client_reasons
from refreshguard.findings import Finding, Outcome, Report
from refreshguard.model import App, Known, Origin, RefreshPolicyKind

FLAG = "isSecretRequiredForRefreshToken"
"""The one element ``fix`` changes."""


class Disposition(StrEnum):
    """Whether an edit can break something that works today."""

    SAFE = "safe"
    """Cannot break a working integration that follows the app's own design; applied by default."""
    UNSAFE = "unsafe"
    """Can break a working integration; applied only with ``--unsafe``."""


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the text of one element in one file. Nothing else in the file changes."""

    origin: Origin
    """The file (or zip member) and the line lxml reports for the element."""
    element: str
    """Local name of the element whose text changes."""
    old: str
    """The text expected now (compared case-insensitively, white space ignored)."""
    new: str
    """The text written instead."""
    title: str
    """One line for people: what the edit does."""
    disposition: Disposition
    """Safe or unsafe."""
    reason: str
    """For unsafe edits: what would break and what to do instead; for safe edits: why it is safe."""
    control: str
    """The control whose finding proposed the edit."""
    app: App
    """The app the edit is for."""
    hardening: tuple[str, ...] = ()
    """Related settings worth changing by hand; ``fix`` never inserts elements."""

    @property
    def in_zip(self) -> bool:
        """True when the file is a member of a zip archive."""
        return self.origin.member is not None


def edits_for(finding: Finding) -> tuple[Edit, ...]:
    """The edits that would turn ``finding`` into a pass; empty when there is nothing to edit.

    Only a failing finding of the refresh-secret control whose flag is written explicitly as
    false gets an edit. When the flag is absent its default is already true, so nothing changes.
    """
    if finding.control != control.ID or finding.outcome is not Outcome.FAIL:
        return ()
    flag = finding.app.secret_required_for_refresh
    if flag.known is not Known.EXPLICIT or flag.value is not False or flag.origin is None:
        return ()
    disposition, reason = _judge(finding)
    return (
        Edit(
            origin=flag.origin,
            element=FLAG,
            old="false",
            new="true",
            title=f"set {FLAG} to true",
            disposition=disposition,
            reason=reason,
            control=finding.control,
            app=finding.app,
            hardening=_hardening(finding.app),
        ),
    )


def plan(report: Report) -> Iterator[tuple[Finding, tuple[Edit, ...]]]:
    """Every failing finding of ``report`` with the edits it proposes (possibly none)."""
    for finding in report.findings:
        if finding.outcome is Outcome.FAIL:
            yield finding, edits_for(finding)


def _judge(finding: Finding) -> tuple[Disposition, str]:
    app = finding.app
    if finding.public_client:
        why = "; ".join(public_client_reasons(app)) or "it looks like a public client"
        return Disposition.UNSAFE, (
            f"Token refresh would stop working for this app: {why}, and a public client cannot keep "
            "a secret, so it cannot send one. Instead: move the token refresh to a server-side "
            "component that holds the secret and then apply this fix (--unsafe); or leave the flag "
            "off and compensate with refresh token rotation, a short refresh token lifetime and "
            "enforced IP restrictions (record an ignore with that reason)."
        )
    if app.code_credential_flow.value is True:
        return Disposition.UNSAFE, (
            "The Authorization Code and Credentials flow is on: its headless front end usually "
            "cannot hold the secret, and Salesforce's Health Review advises not requiring the "
            "secret for refresh with that flow, so refreshing from that front end would fail. "
            "Instead: if a server component can hold the secret, let it do the refresh and then "
            "apply this fix (--unsafe); otherwise keep the flag off, record an ignore with the "
            "reason, and rely on rotation, a short lifetime and IP enforcement."
        )
    return Disposition.SAFE, (
        "Nothing suggests a public client or the Authorization Code and Credentials flow; every "
        "client must then send client_secret with grant_type=refresh_token, so check the "
        "integrations that use this app before you deploy."
    )


def _hardening(app: App) -> tuple[str, ...]:
    tips: list[str] = []
    if app.rotation_enabled.value is not True:
        tips.append("enable refresh token rotation (isRefreshTokenRotationEnabled)")
    policy = app.refresh_policy.value
    if policy is not None and policy.kind is RefreshPolicyKind.INFINITE:
        tips.append("give refresh tokens a lifetime instead of 'valid until revoked'")
    return tuple(tips)
