"""The contextual CVSS v3.1 risk model: calibration to the published ranges, the direction of
every factor, unknowns never benign, and the worked examples of docs/risk-model.md."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from cvss import CVSS3

from refreshguard import App, AppKind, Known, Origin, Setting
from refreshguard.controls import BY_ID
from refreshguard.findings import Effect, Risk
from refreshguard.model import (
    IpRelaxation,
    PermittedUsers,
    RefreshPolicy,
    RefreshPolicyKind,
    TokenUsage,
)
from refreshguard.risk import assess

CONTROL = BY_ID["require-secret-for-refresh-token"]
WHERE = Origin("force-app/x.connectedApp-meta.xml", 7)
FACTOR_IDS = [
    "rotation",
    "refresh-policy",
    "ip-relaxation",
    "permitted-users",
    "scopes",
    "public-client",
    "token-usage",
]


def known(value: Any) -> Setting[Any]:
    return Setting(value, Known.EXPLICIT, WHERE, "x")


def unknown() -> Setting[Any]:
    return Setting(None, Known.UNKNOWN, None, "x")


def app(kind: AppKind, **settings: Any) -> App:
    """A failing app where nothing is known unless given."""
    base = App(
        kind=kind,
        name="Example",
        label=None,
        origin=WHERE,
        parts=(),
        oauth_enabled=known(True),
        secret_required_for_refresh=known(False),
        scopes=unknown(),
        consumer_secret_optional=unknown(),
        pkce_required=unknown(),
        rotation_enabled=unknown(),
        code_credential_flow=unknown(),
        refresh_policy=unknown(),
        ip_relaxation=unknown(),
        permitted_users=unknown(),
        callback_urls=unknown(),
    )
    return replace(base, **settings)


def risk(a: App) -> Risk:
    return assess(a, CONTROL.ratings[a.kind])


LOWERING_RAISING: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    # factor: (lowering state, raising state, unknown state)
    "rotation": (
        {"rotation_enabled": known(True)},
        {"rotation_enabled": known(False)},
        {"rotation_enabled": unknown()},
    ),
    "refresh-policy": (
        {"refresh_policy": known(RefreshPolicy(RefreshPolicyKind.LIFETIME, 1, "days"))},
        {"refresh_policy": known(RefreshPolicy(RefreshPolicyKind.INFINITE))},
        {"refresh_policy": unknown()},
    ),
    "ip-relaxation": (
        {"ip_relaxation": known(IpRelaxation.ENFORCE)},
        {"ip_relaxation": known(IpRelaxation.BYPASS)},
        {"ip_relaxation": unknown()},
    ),
    "permitted-users": (
        {"permitted_users": known(PermittedUsers.ADMIN_APPROVED)},
        {"permitted_users": known(PermittedUsers.SELF_AUTHORIZED)},
        {"permitted_users": unknown()},
    ),
    "scopes": (
        {"scopes": known(("OpenID", "RefreshToken"))},
        {"scopes": known(("Full", "RefreshToken"))},
        {"scopes": unknown()},
    ),
    "token-usage": (
        {"usage": TokenUsage(0, 0, None, WHERE)},
        {"usage": TokenUsage(12, 3, "2026-11-30T10:00:00Z", WHERE)},
        {"usage": None},
    ),
}


@pytest.mark.parametrize("kind", list(AppKind))
def test_no_context_is_inside_published_range(kind: AppKind) -> None:
    r = risk(app(kind))
    rating = CONTROL.ratings[kind]
    assert rating.low <= r.score <= rating.high
    assert r.score == r.base_score
    assert r.vector == rating.base_vector
    assert r.published_range == (rating.low, rating.high)
    assert all(f.effect is Effect.UNKNOWN for f in r.factors)


@pytest.mark.parametrize("kind", list(AppKind))
def test_every_factor_is_always_listed(kind: AppKind) -> None:
    assert [f.id for f in risk(app(kind)).factors] == FACTOR_IDS
    full = app(kind, **{k: v for states in LOWERING_RAISING.values() for k, v in states[0].items()})
    assert [f.id for f in risk(full).factors] == FACTOR_IDS


@pytest.mark.parametrize("kind", list(AppKind))
@pytest.mark.parametrize("factor", sorted(LOWERING_RAISING))
@pytest.mark.parametrize("context", ["nothing-else-known", "everything-else-raising"])
def test_factor_direction(kind: AppKind, factor: str, context: str) -> None:
    lowering, raising, unknown_state = LOWERING_RAISING[factor]
    rest: dict[str, Any] = {}
    if context == "everything-else-raising":
        for other, states in LOWERING_RAISING.items():
            if other != factor:
                rest.update(states[1])
    low = risk(app(kind, **rest, **lowering))
    high = risk(app(kind, **rest, **raising))
    unk = risk(app(kind, **rest, **unknown_state))
    assert low.score < high.score
    assert unk.score >= high.score
    effects = {
        r: next(f.effect for f in x.factors if f.id == factor)
        for r, x in (("l", low), ("h", high), ("u", unk))
    }
    assert effects == {"l": Effect.LOWERS, "h": Effect.RAISES, "u": Effect.UNKNOWN}


@pytest.mark.parametrize("kind", list(AppKind))
def test_public_client_never_lowers(kind: AppKind) -> None:
    server = risk(app(kind, callback_urls=known(("https://app.example.com/cb",))))
    public = risk(app(kind, callback_urls=known(("myapp://cb",))))
    unknown_cb = risk(app(kind))
    assert public.score >= server.score
    assert unknown_cb.score >= public.score
    assert [f.effect for f in server.factors if f.id == "public-client"] == [Effect.NEUTRAL]
    assert [f.effect for f in public.factors if f.id == "public-client"] == [Effect.RAISES]


@pytest.mark.parametrize(
    ("policy", "effect"),
    [
        (RefreshPolicy(RefreshPolicyKind.ZERO), Effect.LOWERS),
        (RefreshPolicy(RefreshPolicyKind.LIFETIME, 30, "days"), Effect.LOWERS),
        (RefreshPolicy(RefreshPolicyKind.LIFETIME, 31, "days"), Effect.RAISES),
        (RefreshPolicy(RefreshPolicyKind.LIFETIME, 12, "months"), Effect.RAISES),
        (RefreshPolicy(RefreshPolicyKind.INACTIVITY, 1, "days"), Effect.NEUTRAL),
        (RefreshPolicy(RefreshPolicyKind.INFINITE), Effect.RAISES),
    ],
)
def test_refresh_policy_thresholds(policy: RefreshPolicy, effect: Effect) -> None:
    r = risk(app(AppKind.CONNECTED_APP, refresh_policy=known(policy)))
    (factor,) = [f for f in r.factors if f.id == "refresh-policy"]
    assert factor.effect is effect
    assert factor.value == policy.describe()


@pytest.mark.parametrize("kind", list(AppKind))
def test_vector_parses_and_scores_match_the_library(kind: AppKind) -> None:
    everything_low = {k: v for states in LOWERING_RAISING.values() for k, v in states[0].items()}
    for a in (app(kind), app(kind, **everything_low)):
        r = risk(a)
        parsed = CVSS3(r.vector)
        base, _temporal, environmental = parsed.scores()
        assert (float(base), float(environmental)) == (r.base_score, r.score)
        assert parsed.clean_vector() == r.vector
        metrics = [m.split(":")[0] for m in r.vector.split("/")[1:]]
        assert len(metrics) == len(set(metrics))


def test_example_a_connected_app_with_nothing_mitigating() -> None:
    r = risk(
        app(
            AppKind.CONNECTED_APP,
            rotation_enabled=known(False),
            refresh_policy=known(RefreshPolicy(RefreshPolicyKind.INFINITE)),
            ip_relaxation=known(IpRelaxation.BYPASS),
            permitted_users=known(PermittedUsers.SELF_AUTHORIZED),
            scopes=known(("Full", "RefreshToken")),
            callback_urls=known(("https://loader.example.com/cb",)),
        )
    )
    assert r.vector == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"
    assert (r.score, r.severity.value) == (9.1, "critical")


def test_example_b_hardened_connected_app() -> None:
    r = risk(
        app(
            AppKind.CONNECTED_APP,
            rotation_enabled=known(True),
            refresh_policy=known(RefreshPolicy(RefreshPolicyKind.LIFETIME, 1, "days")),
            ip_relaxation=known(IpRelaxation.ENFORCE),
            permitted_users=known(PermittedUsers.ADMIN_APPROVED),
            scopes=known(("Api", "RefreshToken")),
            callback_urls=known(("https://warehouse.example.com/cb",)),
        )
    )
    assert r.vector == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N/MAV:A/MAC:H/MPR:L"
    assert (r.score, r.base_score, r.severity.value) == (6.4, 9.1, "medium")
    assert {f.id: f.effect.value for f in r.factors} == {
        "rotation": "lowers",
        "refresh-policy": "lowers",
        "ip-relaxation": "lowers",
        "permitted-users": "lowers",
        "scopes": "raises",
        "public-client": "neutral",
        "token-usage": "unknown",
    }


def test_example_c_eca_with_unknown_policies() -> None:
    r = risk(app(AppKind.EXTERNAL_CLIENT_APP, rotation_enabled=known(False)))
    assert r.vector == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:L/A:N"
    assert (r.score, r.severity.value, r.published_label) == (8.2, "high", "High")


def test_example_b_from_a_real_file(tmp_path: Any) -> None:
    # The same example end to end: the Warehouse_Feed fixture with the flag flipped to false.
    from conftest import FIXTURES

    from refreshguard import scan

    source = (
        FIXTURES / "ca-outcomes/force-app/main/default/connectedApps/Warehouse_Feed.connectedApp-meta.xml"
    )
    text = source.read_text("utf-8").replace(
        "<isSecretRequiredForRefreshToken>true<", "<isSecretRequiredForRefreshToken>false<"
    )
    (tmp_path / "Warehouse_Feed.connectedApp-meta.xml").write_text(text, "utf-8")
    (f,) = scan([tmp_path]).findings
    assert f.risk is not None
    assert (f.risk.score, f.severity.value) == (6.4, "medium")
    factors = {x.id: (x.value, x.origin.line if x.origin else None) for x in f.risk.factors}
    assert factors == {
        "rotation": ("enabled", 10),
        "refresh-policy": (RefreshPolicy(RefreshPolicyKind.LIFETIME, 1, "days").describe(), 17),
        "ip-relaxation": ("enforced", 16),
        "permitted-users": ("admin-approved", 8),
        "scopes": ("Api, RefreshToken", 12),
        "public-client": ("no", 6),
        "token-usage": ("unknown (offline scan)", None),
    }


def test_idle_limit_is_mentioned_but_not_taken_as_mitigation() -> None:
    infinite = known(RefreshPolicy(RefreshPolicyKind.INFINITE))
    plain = risk(app(AppKind.EXTERNAL_CLIENT_APP, refresh_policy=infinite))
    idle = risk(app(AppKind.EXTERNAL_CLIENT_APP, refresh_policy=infinite, idle_ttl_enforced=known(True)))
    assert idle.score == plain.score
    (factor,) = [f for f in idle.factors if f.id == "refresh-policy"]
    assert "30-day idle limit is on" in factor.explanation
