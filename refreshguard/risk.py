"""Contextual risk of an app that fails the control, as a CVSS v3.1 vector with its reasons.

The model (docs/risk-model.md has worked examples):
- The base vector is calibrated to the range Salesforce publishes for the control and app kind,
  and describes the *worst* context: nothing known, nothing mitigating.
- Each factor that is known to mitigate sets a CVSS *environmental* metric that lowers the score.
  Factors known to be unfavourable, and factors the input does not show, leave the metric at the
  worst value: an unknown is never taken as benign.
- The score is computed by the ``cvss`` library from the full vector.
"""

from __future__ import annotations

import functools

from refreshguard.controls._control import PublishedRating
from refreshguard.controls.public_client import public_client_reasons
from refreshguard.findings import Effect, Risk, RiskFactor, Severity
from refreshguard.model import App, IpRelaxation, Known, Origin, PermittedUsers, RefreshPolicyKind

SHORT_LIFETIME_HOURS = 24 * 30
"""A fixed refresh token lifetime at or under this many hours counts as short."""

IDENTITY_SCOPES = frozenset(
    {
        "openid",
        "profile",
        "email",
        "address",
        "phone",
        "basic",
        "id",
        "refreshtoken",
        "offlineaccess",
        "refresh_token",
        "offline_access",
        "forgotpassword",
        "userregistration",
        "pwdlesslogin",
    }
)
"""Scopes that reveal who the user is but give no access to org data."""


def assess(app: App, rating: PublishedRating) -> Risk:
    """The contextual risk of ``app`` failing a control rated ``rating``."""
    factors = (
        _rotation(app),
        _refresh_policy(app),
        _ip_relaxation(app),
        _permitted_users(app),
        _scopes(app),
        _public_client(app),
        _usage(app),
    )
    metrics: dict[str, str] = {}
    for item in factors:
        for metric in item.metrics:
            key, _, value = metric.partition(":")
            metrics[key] = value
    vector = rating.base_vector + "".join(f"/{k}:{metrics[k]}" for k in _ORDER if k in metrics)
    score, base = _scores(vector)
    return Risk(
        score=score,
        vector=vector,
        base_score=base,
        severity=Severity.from_score(score),
        published_range=(rating.low, rating.high),
        published_label=rating.label,
        factors=factors,
    )


_ORDER = ("E", "MAV", "MAC", "MPR", "MC", "MI", "MA")


@functools.lru_cache(maxsize=512)
def _scores(vector: str) -> tuple[float, float]:
    # PERF: a scan sees few distinct vectors; the cvss library parses and scores each once.
    from cvss import CVSS3  # imported here: keeps `refreshguard --version` fast

    calc = CVSS3(vector)
    base, _temporal, environmental = calc.scores()
    return float(environmental), float(base)


def _make(
    fid: str,
    label: str,
    value: str,
    effect: Effect,
    why: str,
    metrics: tuple[str, ...] = (),
    origin: Origin | None = None,
) -> RiskFactor:
    return RiskFactor(fid, label, value, effect, why, metrics, origin)


def _rotation(app: App) -> RiskFactor:
    s = app.rotation_enabled
    label = "Refresh token rotation"
    if s.value is True:
        return _make(
            "rotation",
            label,
            "enabled",
            Effect.LOWERS,
            "Each use returns a new refresh token and retires the old one; reuse of a "
            "retired token revokes the whole chain, so a stolen token stops working soon.",
            ("MAC:H",),
            s.origin,
        )
    if s.value is False:
        return _make(
            "rotation",
            label,
            "disabled",
            Effect.RAISES,
            "A stolen refresh token stays valid however often either party uses it.",
            (),
            s.origin,
        )
    return _make(
        "rotation",
        label,
        "unknown",
        Effect.UNKNOWN,
        "Not shown in the input (no documented default); treated as disabled.",
        (),
        s.origin,
    )


def _refresh_policy(app: App) -> RiskFactor:
    s = app.refresh_policy
    label = "Refresh token policy"
    policy = s.value
    suffix = " (default)" if s.known is Known.DEFAULT else ""
    if policy is None:
        return _make(
            "refresh-policy",
            label,
            "unknown",
            Effect.UNKNOWN,
            "Not shown in the input; treated as valid until revoked.",
            (),
            s.origin,
        )
    value = policy.describe() + suffix
    if policy.kind is RefreshPolicyKind.ZERO:
        return _make(
            "refresh-policy",
            label,
            value,
            Effect.LOWERS,
            "Refresh tokens expire at once, so a stolen one can hardly be redeemed.",
            ("MAC:H", "MC:L", "MI:L"),
            s.origin,
        )
    if policy.kind is RefreshPolicyKind.INFINITE:
        idle = app.idle_ttl_enforced.value is True
        why = "A stolen token works until someone revokes it." + (
            " The 30-day idle limit is on, but an attacker who uses the token keeps it alive." if idle else ""
        )
        return _make("refresh-policy", label, value, Effect.RAISES, why, (), s.origin)
    hours = policy.hours
    if policy.kind is RefreshPolicyKind.LIFETIME and hours is not None and hours <= SHORT_LIFETIME_HOURS:
        return _make(
            "refresh-policy",
            label,
            value,
            Effect.LOWERS,
            "A short fixed lifetime bounds how long a stolen token is useful.",
            ("MAC:H",),
            s.origin,
        )
    if policy.kind is RefreshPolicyKind.INACTIVITY:
        return _make(
            "refresh-policy",
            label,
            value,
            Effect.NEUTRAL,
            "An inactivity limit only retires tokens nobody uses; an attacker who uses a "
            "stolen token keeps it alive.",
            (),
            s.origin,
        )
    return _make(
        "refresh-policy",
        label,
        value,
        Effect.RAISES,
        "A long lifetime leaves a stolen token useful for months.",
        (),
        s.origin,
    )


def _ip_relaxation(app: App) -> RiskFactor:
    s = app.ip_relaxation
    label = "IP relaxation"
    suffix = " (default)" if s.known is Known.DEFAULT else ""
    if s.value is None:
        return _make(
            "ip-relaxation",
            label,
            "unknown",
            Effect.UNKNOWN,
            "Not shown in the input; treated as relaxed.",
            (),
            s.origin,
        )
    if s.value is IpRelaxation.ENFORCE:
        return _make(
            "ip-relaxation",
            label,
            "enforced" + suffix,
            Effect.LOWERS,
            "Refresh requests must come from the user's allowed IP ranges, so a thief "
            "needs a foothold on those networks (only where profiles set login IP ranges).",
            ("MAV:A",),
            s.origin,
        )
    words = {
        IpRelaxation.ENFORCE_RELAX_REFRESH: "enforced, but relaxed for refresh tokens",
        IpRelaxation.BYPASS_2FACTOR: "relaxed for activated devices",
        IpRelaxation.BYPASS: "relaxed",
    }[s.value]
    return _make(
        "ip-relaxation",
        label,
        words + suffix,
        Effect.RAISES,
        "A stolen refresh token can be redeemed from any network.",
        (),
        s.origin,
    )


def _permitted_users(app: App) -> RiskFactor:
    s = app.permitted_users
    label = "Permitted users"
    suffix = " (default)" if s.known is Known.DEFAULT else ""
    if s.value is None:
        return _make(
            "permitted-users",
            label,
            "unknown",
            Effect.UNKNOWN,
            "Not shown in the input; treated as open to every user.",
            (),
            s.origin,
        )
    if s.value is PermittedUsers.ADMIN_APPROVED:
        return _make(
            "permitted-users",
            label,
            "admin-approved" + suffix,
            Effect.LOWERS,
            "Only users an admin pre-authorised hold tokens for this app, so fewer tokens exist to steal.",
            ("MPR:L",),
            s.origin,
        )
    return _make(
        "permitted-users",
        label,
        "all users may self-authorize" + suffix,
        Effect.RAISES,
        "Any user can authorise the app, so tokens may exist for every user, admins included.",
        (),
        s.origin,
    )


def _scopes(app: App) -> RiskFactor:
    s = app.scopes
    label = "Scopes"
    if s.value is None:
        return _make(
            "scopes",
            label,
            "unknown",
            Effect.UNKNOWN,
            "Not shown in the input; treated as full data access.",
            (),
            s.origin,
        )
    listed = ", ".join(s.value) or "none"
    lowered = {x.lower() for x in s.value}
    if "full" in lowered:
        return _make(
            "scopes",
            label,
            listed,
            Effect.RAISES,
            "full reaches everything the user can reach.",
            (),
            s.origin,
        )
    if lowered <= IDENTITY_SCOPES:
        return _make(
            "scopes",
            label,
            listed,
            Effect.LOWERS,
            "Identity scopes only: a stolen token reveals who the user is, not org data.",
            ("MC:L", "MI:N"),
            s.origin,
        )
    return _make(
        "scopes",
        label,
        listed,
        Effect.RAISES,
        "Data scopes (api, web, …) let a stolen token read and change org data.",
        (),
        s.origin,
    )


def _public_client(app: App) -> RiskFactor:
    reasons = public_client_reasons(app)
    label = "Public client"
    if reasons:
        return _make(
            "public-client",
            label,
            "yes: " + "; ".join(reasons),
            Effect.RAISES,
            "Tokens live on end-user devices or in browsers, where they are easier to steal.",
            (),
            app.callback_urls.origin,
        )
    if app.callback_urls.value is None:
        return _make(
            "public-client",
            label,
            "unknown",
            Effect.UNKNOWN,
            "Callback URLs are not in the input; treated as a public client.",
            (),
        )
    return _make(
        "public-client",
        label,
        "no",
        Effect.NEUTRAL,
        "Nothing suggests a mobile, browser or CLI client.",
        (),
        app.callback_urls.origin,
    )


def _usage(app: App) -> RiskFactor:
    label = "Token usage"
    if app.usage is None:
        return _make(
            "token-usage",
            label,
            "unknown (offline scan)",
            Effect.UNKNOWN,
            "Only a live-org scan can count refresh-token grants; treated as in use.",
        )
    u = app.usage
    if u.grants == 0:
        return _make(
            "token-usage",
            label,
            "no refresh-token grants",
            Effect.LOWERS,
            "No refresh token exists for this app today, so none can be stolen yet.",
            ("E:U",),
            u.origin,
        )
    last = f", last used {u.last_used}" if u.last_used else ""
    return _make(
        "token-usage",
        label,
        f"{u.grants} grants for {u.users} users{last}",
        Effect.RAISES,
        "Live refresh tokens exist and could be stolen now.",
        (),
        u.origin,
    )
