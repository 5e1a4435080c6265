"""Clock tool: the current date and time in any IANA time zone."""

from __future__ import annotations

import difflib
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from agentcore import tool


@tool
def current_time(timezone: str = "UTC") -> str:
    """Get the current date and time.

    Args:
        timezone: An IANA time zone name such as "Europe/Berlin", "America/New_York" or "UTC".
    """
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        # ValueError: names like "../etc" that are not even valid keys.
        close = difflib.get_close_matches(timezone, sorted(available_timezones()), n=3)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(
            f"unknown time zone {timezone!r}; use an IANA name such as 'Europe/Berlin' or 'UTC'.{hint}"
        ) from None
    now = datetime.now(zone)
    return f"{now.isoformat(timespec='seconds')} ({now:%A}, {timezone})"
