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
from dataclasses import dataclass
from typing import Any

from refreshguard.controls._control import PublishedRating
from refreshguard.controls.public_client import public_client_reasons
from refreshguard.findings import Effect, Risk, RiskFactor, Severity
from refreshguard.model import App, IpRelaxation, Known, Origin, PermittedUsers, RefreshPolicyKind, Setting

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


@dataclass(frozen=True, slots=True)
class _State:
    """What one state of a factor does to the score, and why."""

    effect: Effect
    why: str
    metrics: tuple[str, ...] = ()


FACTORS: dict[str, tuple[str, dict[str, _State]]] = {
    "rotation": (
        "Refresh token rotation",
        {
            "enabled": _State(
                Effect.LOWERS,
                "Each use returns a new refresh token and retires the old one; "
                "reuse of a retired token revokes the whole chain, so a stolen token stops "
                "working soon.",
                ("MAC:H",),
            ),
            "disabled": _State(
                Effect.RAISES, "A stolen refresh token stays valid however often either party uses it."
            ),
            "unknown": _State(
                Effect.UNKNOWN, "Not shown in the input (no documented default); treated as disabled."
            ),
        },
    ),
    "refresh-policy": (
        "Refresh token policy",
        {
            "zero": _State(
                Effect.LOWERS,
                "Refresh tokens expire at once, so a stolen one can hardly be redeemed.",
                ("MAC:H", "MC:L", "MI:L"),
            ),
            "short": _State(
                Effect.LOWERS, "A short fixed lifetime bounds how long a stolen token is useful.", ("MAC:H",)
            ),
            "inactivity": _State(
                Effect.NEUTRAL,
                "An inactivity limit only retires tokens nobody uses; an "
                "attacker who uses a stolen token keeps it alive.",
            ),
            "long": _State(Effect.RAISES, "A long lifetime leaves a stolen token useful for months."),
            "infinite": _State(Effect.RAISES, "A stolen token works until someone revokes it."),
            "infinite-idle": _State(
                Effect.RAISES,
                "A stolen token works until someone revokes it. The "
                "30-day idle limit is on, but an attacker who uses the token keeps it "
                "alive.",
            ),
            "unknown": _State(Effect.UNKNOWN, "Not shown in the input; treated as valid until revoked."),
        },
    ),
    "ip-relaxation": (
        "IP relaxation",
        {
            "enforced": _State(
                Effect.LOWERS,
                "Refresh requests must come from the user's allowed IP ranges, "
                "so a thief needs a foothold on those networks (only where profiles set "
                "login IP ranges).",
                ("MAV:A",),
            ),
            "relaxed": _State(Effect.RAISES, "A stolen refresh token can be redeemed from any network."),
            "unknown": _State(Effect.UNKNOWN, "Not shown in the input; treated as relaxed."),
        },
    ),
    "permitted-users": (
        "Permitted users",
        {
            "admin-approved": _State(
                Effect.LOWERS,
                "Only users an admin pre-authorised hold tokens for this "
                "app, so fewer tokens exist to steal.",
                ("MPR:L",),
            ),
            "self-authorized": _State(
                Effect.RAISES,
                "Any user can authorise the app, so tokens may exist for every user, admins included.",
            ),
            "unknown": _State(Effect.UNKNOWN, "Not shown in the input; treated as open to every user."),
        },
    ),
    "scopes": (
        "Scopes",
        {
            "full": _State(Effect.RAISES, "full reaches everything the user can reach."),
            "identity": _State(
                Effect.LOWERS,
                "Identity scopes only: a stolen token reveals who the user is, not org data.",
                ("MC:L", "MI:N"),
            ),
            "data": _State(
                Effect.RAISES, "Data scopes (api, web, …) let a stolen token read and change org data."
            ),
            "unknown": _State(Effect.UNKNOWN, "Not shown in the input; treated as full data access."),
        },
    ),
    "public-client": (
        "Public client",
        {
            "yes": _State(
                Effect.RAISES,
                "Tokens live on end-user devices or in browsers, where they are easier to steal.",
            ),
            "no": _State(Effect.NEUTRAL, "Nothing suggests a mobile, browser or CLI client."),
            "unknown": _State(
                Effect.UNKNOWN, "Callback URLs are not in the input; treated as a public client."
            ),
        },
    ),
    "token-usage": (
        "Token usage",
        {
            "none": _State(
                Effect.LOWERS,
                "No refresh token exists for this app today, so none can be stolen yet.",
                ("E:U",),
            ),
            "grants": _State(Effect.RAISES, "Live refresh tokens exist and could be stolen now."),
            "unknown": _State(
                Effect.UNKNOWN, "Only a live-org scan can count refresh-token grants; treated as in use."
            ),
        },
    ),
}
"""Every factor: its label and, per state, the effect, the reason and the CVSS metrics it sets."""


def _factor(fid: str, state: str, value: str, origin: Origin | None) -> RiskFactor:
    label, states = FACTORS[fid]
    rule = states[state]
    return RiskFactor(fid, label, value, rule.effect, rule.why, rule.metrics, origin)


def _default(setting: Setting[Any]) -> str:
    return " (default)" if setting.known is Known.DEFAULT else ""


def _rotation(app: App) -> RiskFactor:
    s = app.rotation_enabled
    state = "unknown" if s.value is None else "enabled" if s.value else "disabled"
    # NOTE: a file without the element is not the same as a missing file, so say which it is.
    value = "not set (no documented default)" if state == "unknown" and s.origin else state
    return _factor("rotation", state, value, s.origin)


def _refresh_policy(app: App) -> RiskFactor:
    s = app.refresh_policy
    policy = s.value
    if policy is None:
        return _factor("refresh-policy", "unknown", "unknown", s.origin)
    hours = policy.hours
    if policy.kind is RefreshPolicyKind.ZERO:
        state = "zero"
    elif policy.kind is RefreshPolicyKind.INFINITE:
        state = "infinite-idle" if app.idle_ttl_enforced.value is True else "infinite"
    elif policy.kind is RefreshPolicyKind.INACTIVITY:
        state = "inactivity"
    elif hours is not None and hours <= SHORT_LIFETIME_HOURS:
        state = "short"
    else:
        state = "long"
    return _factor("refresh-policy", state, policy.describe() + _default(s), s.origin)


_IP_WORDS = {
    IpRelaxation.ENFORCE: "enforced",
    IpRelaxation.ENFORCE_RELAX_REFRESH: "enforced, but relaxed for refresh tokens",
    IpRelaxation.BYPASS_2FACTOR: "relaxed for activated devices",
    IpRelaxation.BYPASS: "relaxed",
}


def _ip_relaxation(app: App) -> RiskFactor:
    s = app.ip_relaxation
    if s.value is None:
        return _factor("ip-relaxation", "unknown", "unknown", s.origin)
    state = "enforced" if s.value is IpRelaxation.ENFORCE else "relaxed"
    return _factor("ip-relaxation", state, _IP_WORDS[s.value] + _default(s), s.origin)


def _permitted_users(app: App) -> RiskFactor:
    s = app.permitted_users
    if s.value is None:
        return _factor("permitted-users", "unknown", "unknown", s.origin)
    if s.value is PermittedUsers.ADMIN_APPROVED:
        return _factor("permitted-users", "admin-approved", "admin-approved" + _default(s), s.origin)
    words = "all users may self-authorize" + _default(s)
    return _factor("permitted-users", "self-authorized", words, s.origin)


def _scopes(app: App) -> RiskFactor:
    s = app.scopes
    if s.value is None:
        return _factor("scopes", "unknown", "unknown", s.origin)
    lowered = {x.lower() for x in s.value}
    state = "full" if "full" in lowered else "identity" if lowered <= IDENTITY_SCOPES else "data"
    return _factor("scopes", state, ", ".join(s.value) or "none", s.origin)


def _public_client(app: App) -> RiskFactor:
    reasons = public_client_reasons(app)
    origin = app.callback_urls.origin
    if reasons:
        return _factor("public-client", "yes", "yes: " + "; ".join(reasons), origin)
    if app.callback_urls.value is None:
        return _factor("public-client", "unknown", "unknown", None)
    return _factor("public-client", "no", "no", origin)


def _usage(app: App) -> RiskFactor:
    u = app.usage
    if u is None:
        return _factor("token-usage", "unknown", "unknown (offline scan)", None)
    if u.grants == 0:
        return _factor("token-usage", "none", "no refresh-token grants", u.origin)
    last = f", last used {u.last_used}" if u.last_used else ""
    return _factor("token-usage", "grants", f"{u.grants} grants for {u.users} users{last}", u.origin)
