"""Checks shared by every app's services: free text, numbers, coordinates, uploaded photos.

They raise `DomainError` with a Chinese message naming the field, so forms and the API show it as is.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from linli.core.errors import DomainError

MAX_TEXT = 2000

PHOTO_SIGNATURES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png", b"RIFF": "image/webp"}


# What XML 1.0 cannot carry (its Char production): C0 controls but tab, line feed and carriage return, lone
# surrogates, U+FFFE and U+FFFF. One such character in one case's description once made the whole Open311
# feed malformed; in an .xlsx it makes Excel call the file damaged.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def parse_id(raw: object) -> int | None:
    """A whole number as a query string, form or command line gives it (a record's id, a year), or None.

    `str.isdigit()` is not the test: it accepts digits of other scripts (𐩀, ١), which `int()` refuses, and
    any length, which the database refuses. ASCII digits, at most 18 of them (within a 64-bit integer).
    """
    text = raw if isinstance(raw, str) else "" if raw is None else str(raw)
    if not text or len(text) > 18 or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def xml_safe(value: str) -> str:
    """`value` without the characters XML 1.0 cannot carry."""
    # isprintable() is one C loop and false for every character XML_ILLEGAL matches: most text skips the regex.
    if value.isprintable():
        return value
    return XML_ILLEGAL.sub("", value)


def clean_text(value: Any, *, field: str, label: str, required: bool = False, limit: int = MAX_TEXT) -> str:
    # Free text keeps its full-width punctuation and line breaks; only control characters (and what XML
    # cannot carry) go.
    cleaned = re.sub(r"[\x0d\x7f]", "", xml_safe(str(value or "").replace("\r\n", "\n"))).strip()
    if required and not cleaned:
        raise DomainError(f"请填写{label}。", field=field)
    if len(cleaned) > limit:
        raise DomainError(f"{label}不能超过 {limit} 个字。", field=field)
    return cleaned


def coordinate(value: Any, *, field: str, low: int, high: int, label: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(f"{label}应为数字。", field=field) from exc
    if not number.is_finite():  # "NaN" parses, and then refuses every comparison with an exception
        raise DomainError(f"{label}应为数字。", field=field)
    if not low <= number <= high:
        raise DomainError(f"{label}超出范围（{low} 至 {high}）。", field=field)
    return number


def finite_number(value: Any, *, field: str, label: str) -> float:
    """A number as people and apps write it; "nan", "inf" and "1e999" (which float() takes) are refused."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise DomainError(f"“{label}”应为数字。", field=field) from exc
    if not math.isfinite(number):
        raise DomainError(f"“{label}”应为数字。", field=field)
    return number


def lat_lng(latitude: Any, longitude: Any) -> tuple[Decimal | None, Decimal | None]:
    lat = coordinate(latitude, field="latitude", low=-90, high=90, label="纬度")
    lng = coordinate(longitude, field="longitude", low=-180, high=180, label="经度")
    if (lat is None) != (lng is None):
        raise DomainError("经纬度须同时填写。", field="latitude")
    return lat, lng


def photo_content_type(head: bytes) -> str | None:
    for signature, content_type in PHOTO_SIGNATURES.items():
        if head.startswith(signature) and (content_type != "image/webp" or head[8:12] == b"WEBP"):
            return content_type
    return None


def check_photo(upload: UploadedFile) -> tuple[str, str]:
    """The photo's content type (from its first bytes, not its name) and a safe file name."""
    if upload.size is not None and upload.size > settings.LINLI_MAX_PHOTO_MB * 1024 * 1024:
        raise DomainError(f"照片不能超过 {settings.LINLI_MAX_PHOTO_MB} MB。", field="photo")
    head = upload.read(16)
    upload.seek(0)
    content_type = photo_content_type(head)
    if content_type is None:
        raise DomainError("只能上传 JPEG、PNG 或 WebP 格式的照片。", field="photo")
    return content_type, re.sub(r"[^A-Za-z0-9._-]", "_", upload.name or "photo")[-60:]
