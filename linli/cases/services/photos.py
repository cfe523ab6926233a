"""Photos on a case."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from linli.accounts.roles import Capability
from linli.cases.models import Case, CasePhoto
from linli.cases.services._common import A, _event, _require_scope
from linli.core.permissions import require
from linli.core.validation import check_photo
from linli.core.validation import clean_text as _text

if TYPE_CHECKING:
    from linli.accounts.models import User


# --- photos ------------------------------------------------------------------------------


def photo_add(
    *, actor: User | None, case: Case, upload: UploadedFile, caption: str = "", label: str | None = None
) -> CasePhoto:
    """`label` names the uploader in the history when there is no user (a resident in the portal)."""
    require(actor, Capability.WRITE)
    _require_scope(actor, case)
    content_type, safe_name = check_photo(upload)
    with transaction.atomic():
        photo = CasePhoto(
            case=case,
            content_type=content_type,
            caption=_text(caption, field="caption", label="说明", limit=100),
            uploaded_by=actor if actor is not None and actor.pk else None,
        )
        photo.file.save(safe_name, upload, save=False)
        photo.save()
        _event(
            case,
            actor,
            A.PHOTO,
            from_status=case.status,
            note=photo.caption,
            data={"photo": photo.pk},
            label=label,
        )
    return photo
