"""Lockout after repeated failed attempts, per account and per address, in separate buckets.

Counts failures inside a sliding window (settings.LINLI_LOCKOUT_*). A success
does not wipe the address counter: an attacker with one valid account must
not reset the counter for the accounts they are guessing.

Staff sign-in and residents' tracking lookups (`/track/`) count in separate
buckets: twenty mistyped tracking numbers from the hall's shared address must
not lock the staff behind that address out of signing in, and failed sign-ins
must not stop residents following their cases.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from linli.accounts.models import LoginAttempt

Bucket = LoginAttempt.Bucket


def _window_start() -> datetime:
    return timezone.now() - timedelta(minutes=settings.LINLI_LOCKOUT_WINDOW_MINUTES)


def normalise_username(username: str | None) -> str:
    return (username or "").strip().lower()[:150]


def is_locked(username: str | None, ip: str | None, *, bucket: str = Bucket.SIGN_IN) -> bool:
    since = _window_start()
    name = normalise_username(username)
    attempts = LoginAttempt.objects.filter(bucket=bucket)
    if name:
        last_success = (
            attempts.filter(username=name, succeeded=True, at__gte=since)
            .order_by("-at")
            .values_list("at", flat=True)
            .first()
        )
        account_failures = attempts.filter(username=name, succeeded=False, at__gte=last_success or since)
        if account_failures.count() >= settings.LINLI_LOCKOUT_PER_ACCOUNT:
            return True
    if ip:
        address_failures = attempts.filter(ip=ip, succeeded=False, at__gte=since)
        if address_failures.count() >= settings.LINLI_LOCKOUT_PER_ADDRESS:
            return True
    return False


def record(username: str | None, ip: str | None, *, succeeded: bool, bucket: str = Bucket.SIGN_IN) -> None:
    LoginAttempt.objects.create(
        username=normalise_username(username), ip=ip, succeeded=succeeded, bucket=bucket
    )
    # Keep the table to the window's size; old rows tell the rule nothing.
    LoginAttempt.objects.filter(at__lt=_window_start() - timedelta(days=1)).delete()
