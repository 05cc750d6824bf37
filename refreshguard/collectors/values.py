"""Read typed settings out of metadata elements, keeping provenance. Shared by both app kinds."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from refreshguard.collectors.xmlread import Field
from refreshguard.model import (
    IpRelaxation,
    Known,
    Origin,
    PermittedUsers,
    RefreshPolicy,
    RefreshPolicyKind,
    Setting,
)

T = TypeVar("T")

Fields = dict[str, list[Field]]


def _at(file_origin: Origin, line: int | None) -> Origin:
    return Origin(file_origin.path, line, file_origin.member, file_origin.component)


def read(
    fields: Fields,
    name: str,
    file_origin: Origin,
    convert: Callable[[str], T | None],
    default: T | None,
    element: str,
    parent_line: int | None = None,
    stray: str = "",
) -> Setting[T]:
    """The setting ``name`` from ``fields``: explicit, default (when ``default`` is not None) or
    unknown (absent, no documented default), or invalid when ``convert`` returns None, when the
    element is repeated or holds child elements, or when ``stray`` (a reason from
    :func:`~refreshguard.collectors.xmlread.strays`) says it is also written elsewhere."""
    found = fields.get(name)
    if stray:
        line = found[0].line if found else parent_line
        return Setting(None, Known.INVALID, _at(file_origin, line), element, stray)
    if not found:
        if default is None:
            return Setting(None, Known.UNKNOWN, _at(file_origin, parent_line), element)
        return Setting(default, Known.DEFAULT, _at(file_origin, parent_line), element)
    first = found[0]
    problem = flaw(name, found)
    if problem:
        return Setting(None, Known.INVALID, _at(file_origin, first.line), element, problem)
    value = convert(first.text)
    if value is None:
        return Setting(None, Known.INVALID, _at(file_origin, first.line), element)
    return Setting(value, Known.EXPLICIT, _at(file_origin, first.line), element)


def flaw(name: str, found: list[Field], single: bool = True) -> str:
    """Why the elements ``found`` (all named ``name``) cannot give a value: repeated although
    ``single``-valued, or holding child elements; '' when they can."""
    if single and len(found) > 1:
        lines = ", ".join(str(f.line or "?") for f in found[:10])
        return (
            f"<{name}> appears {len(found)} times (lines {lines}); it holds one value, and "
            "Salesforce rejects the file or keeps only one of them, so which value counts "
            "cannot be told"
        )
    for item in found:
        if item.bad:
            return f"<{name}> at line {item.line or '?'} {item.bad}, so its value cannot be read"
    return ""


def to_bool(text: str) -> bool | None:
    """``true``/``false`` in any case; anything else (placeholders) is None."""
    lowered = text.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    return None


def to_ip_relaxation(text: str) -> IpRelaxation | None:
    """Either kind's spelling, case-insensitive (ENFORCE_RELAXREFRESH, Enforce_RelaxRefresh, …)."""
    key = text.lower().replace("_", "").replace(" ", "")
    return {
        "enforce": IpRelaxation.ENFORCE,
        "enforcerelaxrefresh": IpRelaxation.ENFORCE_RELAX_REFRESH,
        "bypass2factor": IpRelaxation.BYPASS_2FACTOR,
        "bypass": IpRelaxation.BYPASS,
    }.get(key)


def to_permitted_users(text: str) -> PermittedUsers | None:
    """ECA permittedUsersPolicyType."""
    key = text.lower()
    if key == "allselfauthorized":
        return PermittedUsers.SELF_AUTHORIZED
    if key.startswith("adminapproved"):
        return PermittedUsers.ADMIN_APPROVED
    return None


_UNITS = {
    "hour": "hours",
    "hours": "hours",
    "day": "days",
    "days": "days",
    "month": "months",
    "months": "months",
}
_CA_POLICY = re.compile(r"^specific_(lifetime|inactivity):(\d{1,6}):([a-z]+)$")


def to_ca_refresh_policy(text: str) -> RefreshPolicy | None:
    """Connected App ``refreshTokenPolicy``: infinite, zero, specific_lifetime:N:UNIT,
    specific_inactivity:N:UNIT."""
    lowered = text.lower().strip()
    if lowered == "infinite":
        return RefreshPolicy(RefreshPolicyKind.INFINITE)
    if lowered == "zero":
        return RefreshPolicy(RefreshPolicyKind.ZERO)
    match = _CA_POLICY.match(lowered)
    if not match or match.group(3) not in _UNITS:
        return None
    kind = RefreshPolicyKind.LIFETIME if match.group(1) == "lifetime" else RefreshPolicyKind.INACTIVITY
    return RefreshPolicy(kind, int(match.group(2)), _UNITS[match.group(3)])


def eca_refresh_policy(fields: Fields, file_origin: Origin) -> Setting[RefreshPolicy]:
    """ECA ``refreshTokenPolicyType`` with ``refreshTokenValidityPeriod`` and ``…Unit``."""
    element = "refreshTokenPolicyType"
    found = fields.get(element)
    if not found:
        return Setting(None, Known.UNKNOWN, file_origin, element)
    first = found[0]
    where = _at(file_origin, first.line)
    for part in (element, "refreshTokenValidityPeriod", "refreshTokenValidityUnit"):
        problem = flaw(part, fields.get(part, []))
        if problem:
            return Setting(None, Known.INVALID, where, element, problem)
    kind = {
        "infinite": RefreshPolicyKind.INFINITE,
        "zero": RefreshPolicyKind.ZERO,
        "specificlifetime": RefreshPolicyKind.LIFETIME,
        "specificinactivity": RefreshPolicyKind.INACTIVITY,
    }.get(first.text.lower())
    if kind is None:
        return Setting(None, Known.INVALID, where, element)
    if kind in (RefreshPolicyKind.INFINITE, RefreshPolicyKind.ZERO):
        return Setting(RefreshPolicy(kind), Known.EXPLICIT, where, element)
    period = fields.get("refreshTokenValidityPeriod")
    unit = fields.get("refreshTokenValidityUnit")
    amount = period[0].text if period else ""
    unit_name = _UNITS.get(unit[0].text.lower()) if unit else None
    if not amount.isdigit() or unit_name is None:
        return Setting(None, Known.INVALID, where, element)
    return Setting(RefreshPolicy(kind, int(amount), unit_name), Known.EXPLICIT, where, element)


_SCOPE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]*")


def scopes_are_names(scopes: tuple[str, ...]) -> bool:
    """False when a scope is not a plain name (a template placeholder such as ``{{SCOPES}}``):
    then the real scopes are unknown, and "no refresh scope" must not be concluded."""
    return all(_SCOPE_NAME.fullmatch(scope) for scope in scopes)


def to_scopes_list(items: list[Field]) -> tuple[str, ...]:
    """Connected App ``<scopes>`` elements."""
    return tuple(item.text for item in items if item.text)


def to_scopes_csv(text: str) -> tuple[str, ...] | None:
    """ECA ``commaSeparatedOauthScopes``: comma-separated, spaces allowed; None when a part is
    not a scope name."""
    scopes = tuple(part.strip() for part in text.split(",") if part.strip())
    # NOTE: an empty list is what an unset template variable leaves; Salesforce documents no
    # meaning for it, so it is not read as "no refresh scope".
    return scopes if scopes and scopes_are_names(scopes) else None


def to_urls(text: str) -> tuple[str, ...] | None:
    """Callback URLs: one per line, sometimes comma-separated. User info, queries and fragments
    are dropped, and so is any leftover piece that is not a URL: they are never needed and could
    hold credentials or tokens."""
    lines: list[str] = []
    start = 0  # the last line that began a URL
    for line in re.split(r"[\r\n]+", text):
        if lines and "@" in line and "://" not in line:
            # A password that holds line breaks: everything since the URL began is one line.
            lines[start:] = ["\n".join([*lines[start:], line])]
        elif line.strip():
            if "://" in line:
                start = len(lines)
            lines.append(line)
    urls: list[str] = []
    for line in lines:
        cleaned, had_user = _clean_line(line.strip())
        for piece in cleaned.split(","):
            piece = piece.strip()
            if piece and (had_user or _SCHEME_START.match(piece)):
                urls.append(piece)
    return tuple(urls)


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_SCHEME_START = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def _clean_line(line: str) -> tuple[str, bool]:
    """The line without user info, query and fragment, and whether user info was removed."""
    # A password may hold "/", "?", "#", "," or ":", so everything between the scheme and the last
    # "@" goes first; then the query and fragment, which may hold commas and tokens. An "@" in a
    # path or query shortens what is shown, which is the safe side.
    had_user = "@" in line
    if had_user:
        scheme, sep, rest = line.partition("://")
        if not sep or not _SCHEME.fullmatch(scheme):  # "user:pw://x@host" has no scheme
            scheme, sep, rest = "", "", line
        line = f"{scheme}{sep}{rest.rsplit('@', 1)[1]}"
    cut = min((i for i in (line.find("?"), line.find("#")) if i >= 0), default=len(line))
    return line[:cut], had_user


def present(text: str) -> bool | None:
    """True for any non-empty element (used for certificates: the content is never kept)."""
    return bool(text)
