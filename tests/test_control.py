"""require-secret-for-refresh-token on hand-written fixtures: every outcome for both app kinds,
the scope rules, public clients, the code-and-credentials conflict and provenance."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, by_app, connected_app, eca_part, write

from refreshguard import Finding, Known, Outcome, Report, scan
from refreshguard.controls.public_client import public_client_reasons

CA_DIR = FIXTURES / "ca-outcomes"
CA_FILES = "force-app/main/default/connectedApps"
ECA_DIR = FIXTURES / "eca-outcomes"
ECA_ROOT = "force-app/main/default"


@pytest.fixture(scope="module")
def ca() -> dict[str, Finding]:
    return by_app(scan([CA_DIR]))


@pytest.fixture(scope="module")
def eca_report() -> Report:
    return scan([ECA_DIR])


@pytest.fixture(scope="module")
def eca(eca_report: Report) -> dict[str, Finding]:
    return by_app(eca_report)


def _ca_path(name: str) -> str:
    return str(CA_DIR / CA_FILES / f"{name}.connectedApp-meta.xml")


def test_connected_app_outcomes(ca: dict[str, Finding]) -> None:
    assert {n: f.outcome.value for n, f in ca.items()} == {
        "Billing_Sync": "fail",
        "Desktop_Success": "fail",
        "Dev_CLI": "fail",
        "Field_App_Optional": "fail",
        "Full_Only": "not-applicable",
        "Headless_Storefront": "fail",
        "Mobile_Scheme": "fail",
        "Offline_Reader": "fail",
        "Okta_SSO": "not-applicable",
        "Reporting_Default": "pass",
        "Templated": "error",
        "Warehouse_Feed": "pass",
    }


def test_eca_outcomes(eca: dict[str, Finding]) -> None:
    assert {n: f.outcome.value for n, f in eca.items()} == {
        "Analytics_Export": "not-available",
        "Api_Only": "not-applicable",
        "Data_Loader": "pass",
        "No_Plugin": "not-applicable",
        "Partner_Portal": "fail",
        "Retired_App": "not-applicable",
        "Templated_Eca": "error",
    }


def test_fail_points_at_the_flag(ca: dict[str, Finding]) -> None:
    f = ca["Billing_Sync"]
    assert f.location.path == _ca_path("Billing_Sync")
    assert f.location.line == 11
    assert f.reason == "isSecretRequiredForRefreshToken is false."
    assert f.message == "A stolen refresh token can be redeemed without the consumer secret."
    assert f.public_client is False
    assert f.remediation.startswith("Set isSecretRequiredForRefreshToken to true (Setup > App Manager")
    assert f.severity.value == "critical"
    assert f.risk is not None
    assert f.risk.score == 9.1


def test_explicit_pass(ca: dict[str, Finding]) -> None:
    f = ca["Warehouse_Feed"]
    assert f.message == "Refresh tokens can only be redeemed with the consumer secret (explicitly)."
    assert f.app.secret_required_for_refresh.known is Known.EXPLICIT
    assert (f.location.path, f.location.line) == (_ca_path("Warehouse_Feed"), 11)
    assert f.risk is None
    assert f.severity.value == "none"


def test_pass_by_default_names_the_default(ca: dict[str, Finding]) -> None:
    f = ca["Reporting_Default"]
    assert f.message == "Refresh tokens can only be redeemed with the consumer secret (by default)."
    assert "Salesforce documents true as its default" in f.reason
    flag = f.app.secret_required_for_refresh
    assert (flag.value, flag.known) == (True, Known.DEFAULT)
    # A default has no element of its own: it points at the block that would hold it.
    assert (f.location.path, f.location.line) == (_ca_path("Reporting_Default"), 5)


def test_no_oauth_config_is_not_applicable(ca: dict[str, Finding]) -> None:
    f = ca["Okta_SSO"]
    assert f.message == "The app cannot issue refresh tokens."
    assert "has no oauthConfig" in f.reason
    assert f.notes == ()


def test_full_only_is_not_applicable_with_latent_note(ca: dict[str, Finding]) -> None:
    f = ca["Full_Only"]
    assert f.message.startswith("The app has no refresh_token/offline_access scope")
    assert f.reason == "Scopes: Full. The full scope does not include refresh tokens."
    assert (f.location.path, f.location.line) == (_ca_path("Full_Only"), 11)
    assert len(f.notes) == 1
    assert f.notes[0].startswith("isSecretRequiredForRefreshToken is false: if")


def test_offline_access_counts_as_refresh_scope(ca: dict[str, Finding]) -> None:
    assert ca["Offline_Reader"].outcome is Outcome.FAIL
    assert ca["Offline_Reader"].app.scopes.value == ("Api", "OfflineAccess")


@pytest.mark.parametrize(
    "scope",
    ["RefreshToken", "refreshtoken", "REFRESHTOKEN", "OfflineAccess", "offlineaccess", "OFFLINEACCESS"],
)
def test_refresh_scope_in_any_case(tmp_path: Path, scope: str) -> None:
    oauth = (
        f"<isSecretRequiredForRefreshToken>false</isSecretRequiredForRefreshToken><scopes>{scope}</scopes>"
    )
    write(tmp_path, {"connectedApps/Any_Case.connectedApp-meta.xml": connected_app(oauth)})
    (f,) = scan([tmp_path]).findings
    assert f.outcome is Outcome.FAIL


@pytest.mark.parametrize("scopes", ["<scopes>Full</scopes>", "<scopes>Api</scopes><scopes>Full</scopes>"])
def test_no_refresh_scope_is_not_applicable(tmp_path: Path, scopes: str) -> None:
    oauth = f"<isSecretRequiredForRefreshToken>false</isSecretRequiredForRefreshToken>{scopes}"
    write(tmp_path, {"connectedApps/No_Refresh.connectedApp-meta.xml": connected_app(oauth)})
    (f,) = scan([tmp_path]).findings
    assert f.outcome is Outcome.NOT_APPLICABLE


def test_placeholder_scopes_are_not_taken_as_no_refresh_scope(tmp_path: Path) -> None:
    # A templated scope list may well hold RefreshToken once filled in: the flag decides.
    oauth = (
        "<isSecretRequiredForRefreshToken>false</isSecretRequiredForRefreshToken><scopes>{{SCOPES}}</scopes>"
    )
    write(
        tmp_path,
        {
            "connectedApps/Templated_Scopes.connectedApp-meta.xml": connected_app(oauth),
            "g/T.ecaGlblOauth-meta.xml": eca_part(
                "ExtlClntAppGlobalOauthSettings",
                "Templated_Eca_Scopes",
                "<isSecretRequiredForRefreshToken>false</isSecretRequiredForRefreshToken>",
            ),
            "o/T.ecaOauth-meta.xml": eca_part(
                "ExtlClntAppOauthSettings",
                "Templated_Eca_Scopes",
                "<commaSeparatedOauthScopes>Api, ${EXTRA_SCOPES}</commaSeparatedOauthScopes>",
            ),
        },
    )
    report = by_app(scan([tmp_path]))
    for name in ("Templated_Scopes", "Templated_Eca_Scopes"):
        f = report[name]
        assert f.outcome is Outcome.FAIL
        assert (f.app.scopes.known, f.app.scopes.value) == (Known.INVALID, None)
        assert f.risk is not None
        assert [x.value for x in f.risk.factors if x.id == "scopes"] == ["unknown"]


def test_placeholder_is_an_error(ca: dict[str, Finding], eca: dict[str, Finding]) -> None:
    for f, line in ((ca["Templated"], 10), (eca["Templated_Eca"], 12)):
        assert f.outcome is Outcome.ERROR
        assert f.message == "isSecretRequiredForRefreshToken holds a value that is neither true nor false."
        assert f.app.secret_required_for_refresh.known is Known.INVALID
        assert f.location.line == line
        assert "{{" not in f.reason


@pytest.mark.parametrize(
    ("app", "signal"),
    [
        ("Field_App_Optional", "consumer secret is optional"),
        ("Dev_CLI", "loopback"),
        ("Mobile_Scheme", "myapp://"),
        ("Desktop_Success", "success page"),
    ],
)
def test_public_clients_fail_with_special_remediation(ca: dict[str, Finding], app: str, signal: str) -> None:
    f = ca[app]
    assert f.outcome is Outcome.FAIL
    assert f.public_client is True
    (reason,) = public_client_reasons(f.app)  # exactly one signal in each fixture
    assert signal in reason
    assert f.remediation.startswith("Requiring the secret will break token refresh for this app")
    assert reason in f.remediation
    assert f.risk is not None
    (factor,) = [x for x in f.risk.factors if x.id == "public-client"]
    assert factor.value == f"yes: {reason}"
    assert factor.effect.value == "raises"


def test_server_side_app_is_not_public(ca: dict[str, Finding]) -> None:
    f = ca["Billing_Sync"]
    assert f.public_client is False
    assert f.risk is not None
    (factor,) = [x for x in f.risk.factors if x.id == "public-client"]
    assert (factor.value, factor.effect.value) == ("no", "neutral")


def test_code_and_credentials_flow_conflict_is_explained(ca: dict[str, Finding]) -> None:
    f = ca["Headless_Storefront"]
    assert f.outcome is Outcome.FAIL
    (note,) = f.notes
    assert note.startswith("The Authorization Code and Credentials flow is on.")
    assert "contradicts this control" in note
    assert "record an ignore with that reason" in note
    assert ca["Billing_Sync"].notes == ()


def test_eca_files_are_joined_by_element_not_file_name(eca: dict[str, Finding]) -> None:
    app = eca["Partner_Portal"].app
    assert app.label == "Partner Portal"
    assert [(p.metadata_type, Path(p.origin.path).name) for p in app.parts] == [
        ("ExternalClientApplication", "Partner_Portal.eca-meta.xml"),
        ("ExtlClntAppGlobalOauthSettings", "PartnerPortal_global.ecaGlblOauth-meta.xml"),
        ("ExtlClntAppOauthSettings", "pp_scopes.ecaOauth-meta.xml"),
        ("ExtlClntAppOauthConfigurablePolicies", "pp_policy.ecaOauthPlcy-meta.xml"),
        ("ExtlClntAppConfigurablePolicies", "pp_plcy.ecaPlcy-meta.xml"),
    ]
    assert app.missing_parts == ()


def test_eca_scopes_with_spaces(eca: dict[str, Finding]) -> None:
    scopes = eca["Partner_Portal"].app.scopes
    assert scopes.value == ("Api", "RefreshToken", "OpenID")
    assert scopes.known is Known.EXPLICIT
    assert scopes.origin is not None
    assert scopes.origin.line == 3


def test_eca_fail_points_at_global_file(eca: dict[str, Finding]) -> None:
    f = eca["Partner_Portal"]
    assert Path(f.location.path).name == "PartnerPortal_global.ecaGlblOauth-meta.xml"
    assert f.location.line == 12
    assert "External Client App Manager" in f.remediation
    assert f.risk is not None
    assert f.risk.published_label == "High"


def test_eca_pass_by_default_when_global_file_lacks_the_flag(eca: dict[str, Finding]) -> None:
    f = eca["Data_Loader"]
    assert f.message.endswith("(by default).")
    flag = f.app.secret_required_for_refresh
    assert (flag.value, flag.known) == (True, Known.DEFAULT)
    assert Path(f.location.path).name == "Data_Loader_glbloauth.ecaGlblOauth-meta.xml"


def test_eca_without_global_file_is_not_available_and_names_it(eca: dict[str, Finding]) -> None:
    f = eca["Analytics_Export"]
    assert f.message == "Cannot tell whether redeeming a refresh token needs the consumer secret."
    assert (
        "ExtlClntAppGlobalOauthSettings file (extlClntAppGlobalOauthSets/<name>.ecaGlblOauth-meta.xml)"
        in (f.reason)
    )
    assert "(found: ExternalClientApplication, ExtlClntAppOauthSettings, " in f.reason
    assert "sf project retrieve start --metadata ExtlClntAppGlobalOauthSettings" in f.remediation
    assert f.app.missing_parts == ("ExtlClntAppGlobalOauthSettings",)
    assert f.app.secret_required_for_refresh.known is Known.UNKNOWN
    assert f.risk is None


@pytest.mark.parametrize(
    ("app", "element"), [("Retired_App", "isEnabled"), ("No_Plugin", "isOauthPluginEnabled")]
)
def test_eca_switched_off(eca: dict[str, Finding], app: str, element: str) -> None:
    f = eca[app]
    assert f.reason == (
        f"The app's policies switch it off ({element} is false), so it issues no tokens while that stays so."
    )
    assert Path(f.location.path).name == f"{app}_plcy.ecaPlcy-meta.xml"
    assert len(f.notes) == 1  # the flag is false: a latent risk if the app is switched on


def test_eca_without_refresh_scope(eca: dict[str, Finding]) -> None:
    f = eca["Api_Only"]
    assert f.reason == "Scopes: Api, Web."


def test_partial_eca_only_policies(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "extlClntAppOauthPolicies/Lonely.ecaOauthPlcy-meta.xml": eca_part(
                "ExtlClntAppOauthConfigurablePolicies",
                "Lonely",
                "<ipRelaxationPolicyType>Enforce</ipRelaxationPolicyType>",
            )
        },
    )
    (f,) = scan([tmp_path]).findings
    assert f.outcome is Outcome.NOT_AVAILABLE
    assert f.app.name == "Lonely"
    assert "(found: ExtlClntAppOauthConfigurablePolicies)" in f.reason
    assert len(f.app.missing_parts) == 4


def test_partial_eca_global_only_fails_with_unknown_scope_note(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "g/Solo.ecaGlblOauth-meta.xml": eca_part(
                "ExtlClntAppGlobalOauthSettings",
                "Solo",
                "<isSecretRequiredForRefreshToken>false</isSecretRequiredForRefreshToken>",
            )
        },
    )
    (f,) = scan([tmp_path]).findings
    assert f.outcome is Outcome.FAIL
    assert f.notes == (
        "The app's scopes are not in the input (no ExtlClntAppOauthSettings file); if it has no "
        "refresh_token scope, this cannot be exploited today.",
    )


def test_eca_join_is_case_insensitive(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "h/My_App.eca-meta.xml": eca_part("ExternalClientApplication", "My_App", "<label>Mine</label>"),
            "g/x.ecaGlblOauth-meta.xml": eca_part(
                "ExtlClntAppGlobalOauthSettings",
                "MY_APP",
                "<isSecretRequiredForRefreshToken>true</isSecretRequiredForRefreshToken>",
            ),
        },
    )
    (f,) = scan([tmp_path]).findings
    assert (f.app.name, f.outcome.value, len(f.app.parts)) == ("My_App", "pass", 2)


def test_every_setting_knows_file_line_and_how_known(ca: dict[str, Finding]) -> None:
    app = ca["Billing_Sync"].app
    path = _ca_path("Billing_Sync")
    got = {
        name: (s.known.value, s.origin.line if s.origin else None, s.origin.path if s.origin else None)
        for name, s in {
            "flag": app.secret_required_for_refresh,
            "scopes": app.scopes,
            "optional": app.consumer_secret_optional,
            "pkce": app.pkce_required,
            "rotation": app.rotation_enabled,
            "codecred": app.code_credential_flow,
            "policy": app.refresh_policy,
            "ip": app.ip_relaxation,
            "users": app.permitted_users,
            "callbacks": app.callback_urls,
        }.items()
    }
    assert got == {
        "flag": ("explicit", 11, path),
        "scopes": ("explicit", 12, path),
        "optional": ("explicit", 9, path),
        "pkce": ("default", 5, path),
        "rotation": ("unknown", 5, path),
        "codecred": ("default", 5, path),
        "policy": ("explicit", 17, path),
        "ip": ("explicit", 16, path),
        "users": ("explicit", 8, path),
        "callbacks": ("explicit", 6, path),
    }


def test_every_eca_setting_knows_its_file_and_line(eca: dict[str, Finding]) -> None:
    app = eca["Partner_Portal"].app
    got = {
        name: (
            s.known.value,
            Path(s.origin.path).name if s.origin else None,
            s.origin.line if s.origin else None,
        )
        for name, s in {
            "enabled": app.oauth_enabled,
            "flag": app.secret_required_for_refresh,
            "scopes": app.scopes,
            "optional": app.consumer_secret_optional,
            "pkce": app.pkce_required,
            "rotation": app.rotation_enabled,
            "codecred": app.code_credential_flow,
            "policy": app.refresh_policy,
            "ip": app.ip_relaxation,
            "users": app.permitted_users,
            "callbacks": app.callback_urls,
            "idle": app.idle_ttl_enforced,
        }.items()
    }
    glbl = "PartnerPortal_global.ecaGlblOauth-meta.xml"
    assert got == {
        "enabled": ("explicit", "pp_plcy.ecaPlcy-meta.xml", 2),
        "flag": ("explicit", glbl, 12),
        "scopes": ("explicit", "pp_scopes.ecaOauth-meta.xml", 3),
        "optional": ("explicit", glbl, 8),
        "pkce": ("explicit", glbl, 10),
        "rotation": ("explicit", glbl, 11),
        "codecred": ("explicit", glbl, 7),
        "policy": ("explicit", "pp_policy.ecaOauthPlcy-meta.xml", 7),
        "ip": ("explicit", "pp_policy.ecaOauthPlcy-meta.xml", 4),
        "users": ("explicit", "pp_policy.ecaOauthPlcy-meta.xml", 6),
        "callbacks": ("explicit", glbl, 3),
        "idle": ("unknown", glbl, 2),
    }
