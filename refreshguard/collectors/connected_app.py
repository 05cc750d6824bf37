"""Build an :class:`App` from a parsed ConnectedApp file."""

from __future__ import annotations

from lxml import etree

from refreshguard.collectors import values as v
from refreshguard.collectors.metadata_types import CONNECTED_APP
from refreshguard.collectors.values import Fields
from refreshguard.collectors.xmlread import (
    child_element,
    child_elements,
    children,
    line_of,
    local,
    strays,
)
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


_FLAG = "isSecretRequiredForRefreshToken"


def _block_note(name: str, blocks: list[etree._Element]) -> str:
    if len(blocks) < 2:
        return ""
    lines = ", ".join(str(line_of(b) or "?") for b in blocks[:10])
    return (
        f"<{name}> appears {len(blocks)} times (lines {lines}); a Connected App has one, and "
        "Salesforce rejects the file or keeps only one of them, so which settings count cannot "
        "be told"
    )


def build_connected_app(root: etree._Element, name: str, origin: Origin) -> App:
    """The app described by ``root`` (a ``ConnectedApp`` element) read from ``origin``."""
    label_element = child_element(root, "label")
    label = (label_element.text or "").strip() if label_element is not None else None
    file_origin = Origin(origin.path, line_of(root), origin.member, origin.component)
    part = Part(CONNECTED_APP, file_origin)
    configs = child_elements(root, "oauthConfig")
    policies = child_elements(root, "oauthPolicy")
    config = configs[0] if configs else None
    policy = policies[0] if policies else None
    root_name = local(root.tag)
    misplaced = strays(
        root,
        {
            "oauthConfig": (root, root_name),
            "oauthPolicy": (root, root_name),
            _FLAG: (config, "oauthConfig"),
            "scopes": (config, "oauthConfig"),
        },
    )
    cfg_note = _block_note("oauthConfig", configs) or misplaced.get("oauthConfig", "")
    pol_note = _block_note("oauthPolicy", policies) or misplaced.get("oauthPolicy", "")
    if config is None:
        enabled: Setting[bool] = Setting(False, Known.EXPLICIT, file_origin, "oauthConfig")
        if cfg_note:
            enabled = Setting(None, Known.INVALID, file_origin, "oauthConfig", cfg_note)
        flag_note = misplaced.get(_FLAG, "")
        scopes_note = misplaced.get("scopes", "")
        return App(
            kind=AppKind.CONNECTED_APP,
            name=name,
            label=label,
            origin=file_origin,
            parts=(part,),
            oauth_enabled=enabled,
            secret_required_for_refresh=(
                Setting(None, Known.INVALID, file_origin, f"oauthConfig/{_FLAG}", flag_note)
                if flag_note
                else unknown(f"oauthConfig/{_FLAG}")
            ),
            scopes=(
                Setting(None, Known.INVALID, file_origin, "oauthConfig/scopes", scopes_note)
                if scopes_note
                else unknown("oauthConfig/scopes")
            ),
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
    pol = children(policy) if policy is not None else {}
    pol_line = line_of(policy) if policy is not None else line

    def flag(field: str, default: bool | None) -> Setting[bool]:
        note = cfg_note or misplaced.get(field, "")
        return v.read(cfg, field, origin, v.to_bool, default, f"oauthConfig/{field}", line, note)

    return App(
        kind=AppKind.CONNECTED_APP,
        name=name,
        label=label,
        origin=file_origin,
        parts=(part,),
        oauth_enabled=Setting(True, Known.EXPLICIT, Origin(origin.path, line, origin.member), "oauthConfig"),
        secret_required_for_refresh=flag(_FLAG, True),
        scopes=_scopes(cfg, origin, line, cfg_note or misplaced.get("scopes", "")),
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
            pol_note,
        ),
        ip_relaxation=v.read(
            pol,
            "ipRelaxation",
            origin,
            v.to_ip_relaxation,
            IpRelaxation.ENFORCE,
            "oauthPolicy/ipRelaxation",
            pol_line,
            pol_note,
        ),
        permitted_users=_permitted(flag("isAdminApproved", False)),
        callback_urls=v.read(
            cfg, "callbackUrl", origin, v.to_urls, (), "oauthConfig/callbackUrl", line, cfg_note
        ),
        has_certificate=bool(cfg.get("certificate") and cfg["certificate"][0].text),
    )


def _scopes(cfg: Fields, origin: Origin, line: int | None, note: str) -> Setting[tuple[str, ...]]:
    """``<scopes>`` is repeated, one scope each. Without any, the scopes are unknown rather than
    none: whether Salesforce accepts an OAuth app without scopes is not documented, so the
    refresh flag decides instead of an assumed "no refresh scope"."""
    element = "oauthConfig/scopes"
    fields = cfg.get("scopes", [])
    at = Origin(origin.path, fields[0].line if fields else line, origin.member)
    problem = note or v.flaw("scopes", fields, single=False)
    if not problem:
        empty = next((f for f in fields if not f.text), None)
        if empty is not None:
            problem = f"<scopes> at line {empty.line or '?'} is empty, which is not a scope name"
    if problem:
        return Setting(None, Known.INVALID, at, element, problem)
    if not fields:
        return Setting(None, Known.UNKNOWN, at, element)
    names = v.to_scopes_list(fields)
    if not v.scopes_are_names(names):
        return Setting(None, Known.INVALID, at, element)
    return Setting(names, Known.EXPLICIT, at, element)
