"""Build an :class:`App` from a parsed ConnectedApp file."""

from __future__ import annotations

from lxml import etree

from refreshguard.collectors import values as v
from refreshguard.collectors.metadata_types import CONNECTED_APP
from refreshguard.collectors.xmlread import child_element, children, line_of
from refreshguard.model import (
    App,
    AppKind,
    IpRelaxation,
    Known,
    Origin,
    Part,
    PermittedUsers,
    RefreshPolicy,
    RefreshPolicyKind,
    Setting,
    unknown,
)


def _permitted(admin: Setting[bool]) -> Setting[PermittedUsers]:
    if admin.value is None:
        return Setting(None, admin.known, admin.origin, "oauthConfig/isAdminApproved")
    users = PermittedUsers.ADMIN_APPROVED if admin.value else PermittedUsers.SELF_AUTHORIZED
    return Setting(users, admin.known, admin.origin, "oauthConfig/isAdminApproved")


def build_connected_app(root: etree._Element, name: str, origin: Origin) -> App:
    """The app described by ``root`` (a ``ConnectedApp`` element) read from ``origin``."""
    label_element = child_element(root, "label")
    label = (label_element.text or "").strip() if label_element is not None else None
    file_origin = Origin(origin.path, line_of(root), origin.member, origin.component)
    part = Part(CONNECTED_APP, file_origin)
    config = child_element(root, "oauthConfig")
    if config is None:
        return App(
            kind=AppKind.CONNECTED_APP,
            name=name,
            label=label,
            origin=file_origin,
            parts=(part,),
            oauth_enabled=Setting(False, Known.EXPLICIT, file_origin, "oauthConfig"),
            secret_required_for_refresh=unknown("oauthConfig/isSecretRequiredForRefreshToken"),
            scopes=unknown("oauthConfig/scopes"),
            consumer_secret_optional=unknown("oauthConfig/isConsumerSecretOptional"),
            pkce_required=unknown("oauthConfig/isPkceRequired"),
            rotation_enabled=unknown("oauthConfig/isRefreshTokenRotationEnabled"),
            code_credential_flow=unknown("oauthConfig/isCodeCredentialEnabled"),
            refresh_policy=unknown("oauthPolicy/refreshTokenPolicy"),
            ip_relaxation=unknown("oauthPolicy/ipRelaxation"),
            permitted_users=unknown("oauthConfig/isAdminApproved"),
            callback_urls=unknown("oauthConfig/callbackUrl"),
        )
    cfg = children(config)
    line = line_of(config)
    policy = child_element(root, "oauthPolicy")
    pol = children(policy) if policy is not None else {}
    pol_line = line_of(policy) if policy is not None else line

    def flag(field: str, default: bool | None) -> Setting[bool]:
        return v.read(cfg, field, origin, v.to_bool, default, f"oauthConfig/{field}", line)

    scope_fields = cfg.get("scopes", [])
    scope_names = v.to_scopes_list(scope_fields)
    valid = v.scopes_are_names(scope_names)
    scopes = Setting(
        scope_names if valid else None,
        (Known.EXPLICIT if valid else Known.INVALID) if scope_fields else Known.DEFAULT,
        Origin(origin.path, scope_fields[0].line if scope_fields else line, origin.member),
        "oauthConfig/scopes",
    )
    return App(
        kind=AppKind.CONNECTED_APP,
        name=name,
        label=label,
        origin=file_origin,
        parts=(part,),
        oauth_enabled=Setting(True, Known.EXPLICIT, Origin(origin.path, line, origin.member), "oauthConfig"),
        secret_required_for_refresh=flag("isSecretRequiredForRefreshToken", True),
        scopes=scopes,
        consumer_secret_optional=flag("isConsumerSecretOptional", False),
        pkce_required=flag("isPkceRequired", False),
        rotation_enabled=flag("isRefreshTokenRotationEnabled", None),
        code_credential_flow=flag("isCodeCredentialEnabled", False),
        refresh_policy=v.read(
            pol,
            "refreshTokenPolicy",
            origin,
            v.to_ca_refresh_policy,
            RefreshPolicy(RefreshPolicyKind.INFINITE),
            "oauthPolicy/refreshTokenPolicy",
            pol_line,
        ),
        ip_relaxation=v.read(
            pol,
            "ipRelaxation",
            origin,
            v.to_ip_relaxation,
            IpRelaxation.ENFORCE,
            "oauthPolicy/ipRelaxation",
            pol_line,
        ),
        permitted_users=_permitted(flag("isAdminApproved", False)),
        callback_urls=v.read(cfg, "callbackUrl", origin, v.to_urls, (), "oauthConfig/callbackUrl", line),
        has_certificate=bool(cfg.get("certificate") and cfg["certificate"][0].text),
    )
