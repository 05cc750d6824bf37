"""The Salesforce metadata types refreshguard reads, with their file suffixes.

Source format files are ``<name>.<suffix>-meta.xml``; Metadata API format files are
``<folder>/<name>.<suffix>``. The suffix decides the type; the folder is not enforced by
Salesforce's tooling, so it is not enforced here either.
"""

from __future__ import annotations

CONNECTED_APP = "ConnectedApp"
ECA_HEADER = "ExternalClientApplication"
ECA_GLOBAL_OAUTH = "ExtlClntAppGlobalOauthSettings"
ECA_OAUTH_SETTINGS = "ExtlClntAppOauthSettings"
ECA_OAUTH_POLICIES = "ExtlClntAppOauthConfigurablePolicies"
ECA_POLICIES = "ExtlClntAppConfigurablePolicies"

SUFFIX_TO_TYPE: dict[str, str] = {
    "connectedApp": CONNECTED_APP,
    "eca": ECA_HEADER,
    "ecaGlblOauth": ECA_GLOBAL_OAUTH,
    "ecaOauth": ECA_OAUTH_SETTINGS,
    "ecaOauthPlcy": ECA_OAUTH_POLICIES,
    "ecaPlcy": ECA_POLICIES,
}
"""Suffixes that carry something the controls use. Other ECA types (mobile, push, canvas, SAML,
notifications, ``ecaOauthSecurity``) hold no refresh-token setting and are not read."""

TYPE_TO_SUFFIX: dict[str, str] = {t: s for s, t in SUFFIX_TO_TYPE.items()}

TYPE_FOLDER: dict[str, str] = {
    CONNECTED_APP: "connectedApps",
    ECA_HEADER: "externalClientApps",
    ECA_GLOBAL_OAUTH: "extlClntAppGlobalOauthSets",
    ECA_OAUTH_SETTINGS: "extlClntAppOauthSettings",
    ECA_OAUTH_POLICIES: "extlClntAppOauthPolicies",
    ECA_POLICIES: "extlClntAppPolicies",
}
"""The folder each type lives in, for messages and for building packages."""

ECA_TYPES = (ECA_HEADER, ECA_GLOBAL_OAUTH, ECA_OAUTH_SETTINGS, ECA_OAUTH_POLICIES, ECA_POLICIES)
KNOWN_ROOTS = frozenset(SUFFIX_TO_TYPE.values())


FILE_ENDINGS: tuple[str, ...] = tuple(
    ending for suffix in SUFFIX_TO_TYPE for ending in (f".{suffix}", f".{suffix}-meta.xml")
)
"""Every file name ending that can hold a type above: a cheap first filter for folder walks."""


def split_file_name(file_name: str) -> tuple[str, str] | None:
    """``X.ecaOauth-meta.xml`` or ``X.ecaOauth`` -> (``X``, type); None for other files."""
    stem = file_name[: -len("-meta.xml")] if file_name.endswith("-meta.xml") else file_name
    name, dot, suffix = stem.rpartition(".")
    if not dot or not name:
        return None
    metadata_type = SUFFIX_TO_TYPE.get(suffix)
    return None if metadata_type is None else (name, metadata_type)
