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
    schemes: list[str] = []
    loopback = success_page = False
    for url in app.callback_urls.value or ():
        try:
            parts = urlsplit(url.strip())
        except ValueError:
            continue
        scheme = parts.scheme.lower()
        if scheme and scheme not in ("http", "https"):
            schemes.append(f"{scheme}://")
        elif (parts.hostname or "").lower() in LOOPBACK_HOSTS:
            loopback = True
        elif parts.path.rstrip("/").lower() == SUCCESS_PATH:
            success_page = True
    if schemes:
        listed = ", ".join(dict.fromkeys(schemes))
        reasons.append(f"callback URLs use custom schemes ({listed}), as mobile and desktop apps do")
    if loopback:
        reasons.append("a callback URL is on the loopback address, as CLI and desktop tools use")
    if success_page:
        reasons.append("a callback URL is Salesforce's user-agent success page (desktop or mobile)")
    return tuple(reasons)
