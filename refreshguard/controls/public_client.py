"""Recognise public clients: apps that cannot keep a secret (mobile, single-page, CLI, desktop)."""

from __future__ import annotations

from urllib.parse import urlsplit

from refreshguard.model import App

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0"})
SUCCESS_PATH = "/services/oauth2/success"
"""Salesforce's own landing page for the user-agent flow, used by desktop and mobile apps."""


def public_client_reasons(app: App) -> tuple[str, ...]:
    """Why the app looks like a public client; empty when nothing suggests it."""
    reasons: list[str] = []
    if app.consumer_secret_optional.value is True:
        reasons.append("the consumer secret is optional for the web-server flow")
    for url in app.callback_urls.value or ():
        why = _callback_reason(url)
        if why and why not in reasons:
            reasons.append(why)
    return tuple(reasons)


def _callback_reason(url: str) -> str | None:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme and scheme not in ("http", "https"):
        return f"a callback URL uses the custom scheme {scheme}:// (a mobile or desktop app)"
    host = (parts.hostname or "").lower()
    if host in LOOPBACK_HOSTS:
        return "a callback URL is on the loopback address (a CLI or desktop tool)"
    if parts.path.rstrip("/").lower() == SUCCESS_PATH:
        return "a callback URL is Salesforce's user-agent success page (a desktop or mobile app)"
    return None
