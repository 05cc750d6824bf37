"""The explicit registry of controls. Add a control by adding one line here."""

from __future__ import annotations

from refreshguard.controls import require_secret_for_refresh_token
from refreshguard.controls._control import Control, PublishedRating

CONTROLS: tuple[Control, ...] = (require_secret_for_refresh_token.CONTROL,)
"""Every control, in report order."""

BY_ID: dict[str, Control] = {c.id: c for c in CONTROLS}

__all__ = ["BY_ID", "CONTROLS", "Control", "PublishedRating"]
