"""Join the files of External Client Apps into :class:`App` values.

An ECA is spread over several metadata types linked by their ``externalClientApplication``
element. Files are joined by that element (case-insensitively, as Salesforce names are), whatever
the file names say. When one app has two files of the same type (a source tree and a Metadata
API tree of the same app side by side), the files are split by the tree they live in, so each
copy is judged on its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from refreshguard.collectors import metadata_types as mt
from refreshguard.collectors import values as v
from refreshguard.collectors.values import Fields
from refreshguard.model import App, AppKind, Known, Origin, Part, Setting, unknown

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class EcaFile:
    """One parsed ECA metadata file."""

    metadata_type: str
    """Which ECA type."""
    app_name: str
    """The ``externalClientApplication`` it belongs to (the header's own name for the header)."""
    origin: Origin
    """The file, at its root element's line."""
    fields: Fields
    """Its child elements."""
    bundle: str
    """The metadata tree it lives in."""
    misplaced: dict[str, str] = field(default_factory=dict)
    """Setting name -> why it cannot be trusted because the document also has an element of
    that name where Salesforce would not accept it (see ``xmlread.strays``)."""


def join(files: Iterable[EcaFile]) -> list[App]:
    """Every ECA the files describe, in order of name."""
    by_name: dict[str, list[EcaFile]] = defaultdict(list)
    for item in files:
        by_name[item.app_name.lower()].append(item)
    apps: list[App] = []
    for key in sorted(by_name):
        group = by_name[key]
        types = [f.metadata_type for f in group]
        if len(types) == len(set(types)):
            apps.append(_build(group))
            continue
        by_bundle: dict[str, list[EcaFile]] = defaultdict(list)
        for item in group:
            by_bundle[item.bundle].append(item)
        for bundle in sorted(by_bundle):
            apps.extend(_split_duplicates(by_bundle[bundle]))
    return apps


def _split_duplicates(group: list[EcaFile]) -> list[App]:
    """One app for the tree, or, when the tree itself holds two files of one type for the app,
    one partial app per file so that neither copy can hide the other."""
    types = [f.metadata_type for f in group]
    if len(types) == len(set(types)):
        return [_build(group)]
    return [_build([f]) for f in group]


def _build(group: list[EcaFile]) -> App:
    parts = {f.metadata_type: f for f in group}
    header = parts.get(mt.ECA_HEADER)
    glbl = parts.get(mt.ECA_GLOBAL_OAUTH)
    settings = parts.get(mt.ECA_OAUTH_SETTINGS)
    oauth_policy = parts.get(mt.ECA_OAUTH_POLICIES)
    policies = parts.get(mt.ECA_POLICIES)
    name = header.app_name if header else group[0].app_name
    label = _text(header.fields, "label") if header else None
    primary = glbl or header or group[0]
    missing = tuple(t for t in mt.ECA_TYPES if t not in parts)

    def g(name: str, default: bool | None) -> Setting[bool]:
        return setting_from(glbl, name, v.to_bool, default)

    def setting_from(
        item: EcaFile | None, name: str, convert: Callable[[str], T | None], default: T | None
    ) -> Setting[T]:
        if item is None:
            return unknown(name)
        stray = item.misplaced.get(name, "")
        return v.read(item.fields, name, item.origin, convert, default, name, item.origin.line, stray)

    return App(
        kind=AppKind.EXTERNAL_CLIENT_APP,
        name=name,
        label=label,
        origin=primary.origin,
        parts=tuple(Part(f.metadata_type, f.origin) for f in sorted(group, key=_type_order)),
        oauth_enabled=_oauth_enabled(policies),
        secret_required_for_refresh=g("isSecretRequiredForRefreshToken", True),
        scopes=setting_from(settings, "commaSeparatedOauthScopes", v.to_scopes_csv, None),
        consumer_secret_optional=g("isConsumerSecretOptional", False),
        pkce_required=g("isPkceRequired", True),
        rotation_enabled=g("isRefreshTokenRotationEnabled", None),
        code_credential_flow=g("isCodeCredFlowEnabled", False),
        refresh_policy=(
            v.eca_refresh_policy(oauth_policy.fields, oauth_policy.origin)
            if oauth_policy
            else unknown("refreshTokenPolicyType")
        ),
        ip_relaxation=setting_from(oauth_policy, "ipRelaxationPolicyType", v.to_ip_relaxation, None),
        permitted_users=setting_from(oauth_policy, "permittedUsersPolicyType", v.to_permitted_users, None),
        callback_urls=setting_from(glbl, "callbackUrl", v.to_urls, ()),
        idle_ttl_enforced=g("isEnforceRefreshTokenTTL", None),
        has_certificate=bool(glbl and _text(glbl.fields, "certificate")),
        missing_parts=missing,
    )


def _oauth_enabled(policies: EcaFile | None) -> Setting[bool]:
    """False when the app or its OAuth plugin is switched off; unknown without the file."""
    if policies is None:
        return unknown("isOauthPluginEnabled")
    for name in ("isEnabled", "isOauthPluginEnabled"):
        stray = policies.misplaced.get(name, "")
        setting = v.read(
            policies.fields, name, policies.origin, v.to_bool, True, name, policies.origin.line, stray
        )
        if setting.known is Known.INVALID or setting.value is False:
            return setting
    return Setting(True, Known.EXPLICIT, policies.origin, "isEnabled, isOauthPluginEnabled")


def _text(fields: Fields, name: str) -> str | None:
    found = fields.get(name)
    return found[0].text if found and found[0].text else None


def _type_order(item: EcaFile) -> int:
    return mt.ECA_TYPES.index(item.metadata_type)
