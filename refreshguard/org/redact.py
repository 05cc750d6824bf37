"""Keep credentials out of every message refreshguard writes.

Errors from Salesforce, from the Salesforce CLI and from HTTP libraries can echo what was sent
(a session id in a SOAP fault, a token in a CLI error). Every text that leaves the org code for a
message goes through :func:`redact` first, with the secrets of the run registered in a
:class:`Redactor`.
"""

from __future__ import annotations

import re

MASK = "[REDACTED]"
"""What a secret is replaced with."""

_TOKEN_SHAPES = (
    # Salesforce session ids and access tokens: org id (15 chars, 00D...), '!', then the rest.
    re.compile(r"00D[A-Za-z0-9]{12,15}![A-Za-z0-9._\-]+"),
    # PEM blocks (private keys, certificates).
    re.compile(r"-----BEGIN [A-Z0-9 ]+-----.*?(-----END [A-Z0-9 ]+-----|$)", re.DOTALL),
    # Bearer headers and signed JWTs (three base64url parts).
    re.compile(r"(?i)bearer\s+[A-Za-z0-9._\-~+/]+=*"),
    re.compile(r"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+"),
)
_MIN_SECRET = 6
"""Shorter registered values are not masked: they would mangle ordinary words."""


class Redactor:
    """Masks the secrets registered with it, and anything shaped like a Salesforce token."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Register one more value to mask (ignored when empty or very short)."""
        if secret and len(secret) >= _MIN_SECRET:
            self._secrets.add(secret)

    def __call__(self, text: str) -> str:
        """``text`` with every registered secret and token-shaped string masked."""
        # NOTE: longest first, so a secret that contains another is masked whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        for shape in _TOKEN_SHAPES:
            text = shape.sub(MASK, text)
        return text


def redact(text: str, *secrets: str) -> str:
    """``text`` with ``secrets`` and anything shaped like a token masked."""
    return Redactor(secrets)(text)
