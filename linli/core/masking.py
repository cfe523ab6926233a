"""How Linli masks personal numbers wherever a user without reveal sees them (lists, audit, logs, reports).

One place, so the audit page, the logs and the registry cannot drift apart in what they show."""

from __future__ import annotations

EMPTY = "(空)"


def mask_id(value: str) -> str:
    """`370502199001011234` → `3705**********1234`: region and the last four stay for recognition."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """`13800138000` → `138****8000`."""
    digits = value.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(name: str) -> str:
    """张三 → 张*, 张三丰 → 张*丰: enough for a volunteer to find the person at the door, or to recognise
    one's own proof; not enough to identify a stranger."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_unknown_username(name: str) -> str:
    """What the log keeps of a name that matches no account: its first character.

    Such a name is often a password typed into the wrong box; the append-only log must not keep
    it. The first character is enough to tell "admin" mistyped from a guessing run."""
    if not name or name == EMPTY:
        return EMPTY
    return f"{name[0]}***"
