"""require-secret-for-refresh-token: an app that gets refresh tokens must require its consumer
secret when one is redeemed, or a stolen refresh token works from anywhere."""

from __future__ import annotations

from collections.abc import Iterator

from refreshguard.collectors.metadata_types import ECA_GLOBAL_OAUTH, TYPE_FOLDER
from refreshguard.controls._control import Control, PublishedRating
from refreshguard.controls.public_client import public_client_reasons
from refreshguard.findings import Finding, Outcome, Severity
from refreshguard.model import App, AppKind, Known, Origin, Setting

ID = "require-secret-for-refresh-token"
REFRESH_SCOPES = frozenset({"refreshtoken", "offlineaccess", "refresh_token", "offline_access"})

_FLAG = "isSecretRequiredForRefreshToken"
_FULL_NOTE = " The full scope does not include refresh tokens."
_UI_PATH = {
    AppKind.CONNECTED_APP: "Setup > App Manager > the app > Edit > API (Enable OAuth Settings) > "
    "Require Secret for Refresh Token Flow",
    AppKind.EXTERNAL_CLIENT_APP: "Setup > External Client App Manager > the app > Edit Settings > "
    "OAuth Settings > Security > Require secret for Refresh Token Flow",
}
_FLAG_HOME = {
    AppKind.CONNECTED_APP: "oauthConfig",
    AppKind.EXTERNAL_CLIENT_APP: ECA_GLOBAL_OAUTH,
}


def evaluate(app: App) -> Iterator[Finding]:
    """Judge one app. Exactly one finding."""
    yield _judge(app)


def _finding(
    app: App,
    outcome: Outcome,
    message: str,
    reason: str,
    remediation: str = "",
    location: Origin | None = None,
    notes: tuple[str, ...] = (),
    public: bool = False,
) -> Finding:
    return Finding(
        control=ID,
        app=app,
        outcome=outcome,
        severity=Severity.NONE,
        message=message,
        reason=reason,
        remediation=remediation,
        location=location or app.origin,
        public_client=public,
        notes=notes,
    )


def _judge(app: App) -> Finding:
    flag = app.secret_required_for_refresh
    if flag.known is Known.INVALID:
        return _invalid_flag(app, flag)
    enabled = app.oauth_enabled
    if enabled.known is Known.INVALID:
        return _invalid_switch(app, enabled)
    not_applicable = _not_applicable(app)
    if not_applicable is not None:
        return not_applicable
    if flag.known is Known.UNKNOWN:
        return _not_available(app)
    location = flag.origin or app.origin
    if flag.value is True:
        how = "by default" if flag.known is Known.DEFAULT else "explicitly"
        detail = (
            f"{_FLAG} is absent from the file that carries it, and Salesforce documents true as its default."
            if flag.known is Known.DEFAULT
            else f"{_FLAG} is true."
        )
        return _finding(
            app,
            Outcome.PASS,
            f"Refresh tokens can only be redeemed with the consumer secret ({how}).",
            detail,
            location=location,
        )
    return _fail(app, location)


def _invalid_flag(app: App, flag: Setting[bool]) -> Finding:
    if flag.note:  # repeated, misplaced, misspelt: the file is ambiguous
        return _finding(
            app,
            Outcome.ERROR,
            f"{_FLAG} cannot be read: the file is ambiguous or malformed around it.",
            f"{flag.note}.",
            f"Keep exactly one <{_FLAG}> element, spelled exactly so, directly in "
            f"<{_FLAG_HOME[app.kind]}>, holding true or false, and remove the others.",
            flag.origin,
        )
    return _finding(
        app,
        Outcome.ERROR,
        f"{_FLAG} holds a value that is neither true nor false.",
        "The element is present but its text is not a boolean (a template placeholder?), so "
        "Salesforce would reject the file and nothing can be concluded.",
        "Write true or false in the element.",
        flag.origin,
    )


def _invalid_switch(app: App, enabled: Setting[bool]) -> Finding:
    if enabled.note:
        reason = f"{enabled.note}."
        message = f"Whether the app can do OAuth at all cannot be read ({enabled.element})."
        fix = "Keep exactly one such element, in the place the metadata type defines, and remove the others."
    else:
        reason = "Whether the app can do OAuth at all cannot be read."
        message = f"{enabled.element} holds a value that is neither true nor false."
        fix = "Write true or false."
    return _finding(app, Outcome.ERROR, message, reason, fix, enabled.origin)


def _not_applicable(app: App) -> Finding | None:
    enabled = app.oauth_enabled
    if enabled.value is False:
        if app.kind is AppKind.CONNECTED_APP:
            why = (
                "The Connected App has no oauthConfig: it is not OAuth-enabled (SAML, canvas or a "
                "Salesforce-installed app), so it never issues refresh tokens."
            )
        else:
            why = (
                f"The app's policies switch it off ({enabled.element} is false), so it issues no "
                "tokens while that stays so."
            )
        return _finding(
            app,
            Outcome.NOT_APPLICABLE,
            "The app cannot issue refresh tokens.",
            why,
            location=enabled.origin,
            notes=_latent_note(app),
        )
    scopes = app.scopes
    if not scopes.is_known or scopes.value is None:
        return None
    if any(s.lower() in REFRESH_SCOPES for s in scopes.value):
        return None
    listed = ", ".join(scopes.value) if scopes.value else "none"
    return _finding(
        app,
        Outcome.NOT_APPLICABLE,
        "The app has no refresh_token/offline_access scope, so it never receives refresh tokens.",
        f"Scopes: {listed}." + _FULL_NOTE * any(x.lower() == "full" for x in scopes.value),
        location=scopes.origin,
        notes=_latent_note(app),
    )


def _latent_note(app: App) -> tuple[str, ...]:
    if app.secret_required_for_refresh.value is not False:
        return ()
    return (
        f"{_FLAG} is false: if the app ever gets refresh tokens (the scope is added or the app "
        "is switched on), they will work without the secret. Setting it to true now costs nothing.",
    )


def _not_available(app: App) -> Finding:
    if app.unavailable_reason:
        return _finding(
            app,
            Outcome.NOT_AVAILABLE,
            "Cannot tell whether redeeming a refresh token needs the consumer secret.",
            app.unavailable_reason,
            f"Check {_UI_PATH[app.kind]}, or grant the access named above and scan again.",
        )
    folder = TYPE_FOLDER[ECA_GLOBAL_OAUTH]
    have = ", ".join(p.metadata_type for p in app.parts) or "none"
    return _finding(
        app,
        Outcome.NOT_AVAILABLE,
        "Cannot tell whether redeeming a refresh token needs the consumer secret.",
        f"The flag lives in the app's {ECA_GLOBAL_OAUTH} file ({folder}/<name>.ecaGlblOauth-meta.xml), "
        f"which is not in the input (found: {have}). Salesforce advises keeping that file out of "
        "source control, so this is common.",
        "Find out in one of three ways: (1) retrieve it, e.g. "
        f"`sf project retrieve start --metadata {ECA_GLOBAL_OAUTH}`, as a user with the permission "
        "'View External Client Apps Consumer Secrets in Metadata' in an org where 'Allow access to "
        "External Client App consumer secrets via Metadata API' is on, then scan the folder and "
        "delete the file (it holds the consumer secret); (2) look in "
        f"{_UI_PATH[AppKind.EXTERNAL_CLIENT_APP]}; (3) scan the live org.",
    )


def _fail(app: App, location: Origin) -> Finding:
    public = public_client_reasons(app)
    notes: list[str] = []
    if public:
        remediation = (
            "Requiring the secret will break token refresh for this app, because it looks like a "
            f"public client ({'; '.join(public)}), and a public client cannot keep a secret. "
            "Choose one: (a) move the refresh to a server-side component that holds the secret and "
            f"then set {_FLAG} to true; or (b) leave it off and compensate: enable refresh token "
            "rotation, give refresh tokens a short lifetime, and enforce IP restrictions."
        )
    else:
        remediation = (
            f"Set {_FLAG} to true ({_UI_PATH[app.kind]}) and deploy. Every client must then send "
            "client_secret with grant_type=refresh_token; check the integrations that use this app "
            "before you deploy. Also consider refresh token rotation and a shorter refresh token "
            "lifetime."
        )
    if app.code_credential_flow.value is True:
        notes.append(
            "The Authorization Code and Credentials flow is on. Salesforce's Health Review advises "
            "NOT requiring the secret for refresh with that flow (a headless first-party front end "
            "cannot hold one), which contradicts this control. Decide per app: if a server component "
            "can hold the secret, require it; otherwise keep it off, record an ignore with that "
            "reason, and rely on rotation, a short lifetime and IP enforcement."
        )
    if app.scopes.known is Known.UNKNOWN:
        if app.kind is AppKind.CONNECTED_APP:
            where = "the file has no <scopes> element"
        elif app.scopes.origin is None:
            where = "no ExtlClntAppOauthSettings file"
        else:
            where = "its ExtlClntAppOauthSettings file has no commaSeparatedOauthScopes"
        notes.append(
            f"The app's scopes are not in the input ({where}); if it has no refresh_token scope, "
            "this cannot be exploited today."
        )
    elif app.scopes.known is Known.INVALID:
        notes.append(
            "The app's scopes cannot be read"
            + (f" ({app.scopes.note})" if app.scopes.note else "")
            + "; if it has no refresh_token scope, this cannot be exploited today."
        )
    return _finding(
        app,
        Outcome.FAIL,
        "A stolen refresh token can be redeemed without the consumer secret.",
        f"{_FLAG} is false.",
        remediation,
        location,
        tuple(notes),
        public=bool(public),
    )


CONTROL = Control(
    id=ID,
    title="Require the consumer secret to redeem refresh tokens",
    rationale=(
        "When the secret is not required, anyone holding a refresh token (copied from a laptop, "
        "a phone, a log or a CI cache) can mint access tokens from any machine until the token "
        "expires or is revoked."
    ),
    remediation=f"Set {_FLAG} to true, unless the app is a public client that cannot hold a secret.",
    ratings={
        AppKind.CONNECTED_APP: PublishedRating(
            "Connected App: API (Enable OAuth Settings): Require Secret for Refresh Token Flow",
            9.0,
            10.0,
            "Critical",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N",
        ),
        AppKind.EXTERNAL_CLIENT_APP: PublishedRating(
            "External Client Apps: Security: Require secret for Refresh Token Flow",
            7.0,
            8.9,
            "High",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:L/A:N",
        ),
    },
    evaluate=evaluate,
)
