"""What an attachment of a notice is, told by its bytes, not by its name.

A file called "预算.pdf" that is really a program, a web page or a renamed spreadsheet is refused: the
name's extension must name the kind its first bytes show. Photos are checked by core.validation's
signatures, the same as every other photo in Linli.
"""

from __future__ import annotations

import re
import zipfile

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from linli.core.errors import DomainError
from linli.core.validation import photo_content_type

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Extension → the content type its bytes must show.
KINDS = {
    "pdf": PDF,
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "docx": DOCX,
    "xlsx": XLSX,
}
LABELS = {
    PDF: "PDF",
    "image/jpeg": "JPEG 图片",
    "image/png": "PNG 图片",
    "image/webp": "WebP 图片",
    DOCX: "Word 文档",
    XLSX: "Excel 表格",
}


def sniff(upload: UploadedFile) -> str | None:
    """The content type the file's bytes show, among those a notice accepts; None for anything else."""
    head = upload.read(16)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if photo := photo_content_type(head):
        return photo
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        finally:
            upload.seek(0)
        if "[Content_Types].xml" in names:
            if "word/document.xml" in names:
                return DOCX
            if "xl/workbook.xml" in names:
                return XLSX
    return None


def check_attachment(upload: UploadedFile) -> tuple[str, str]:
    """(content type, safe file name) of an acceptable attachment, or DomainError naming what is wrong."""
    name = (upload.name or "").strip()
    limit = settings.LINLI_MAX_ATTACHMENT_MB
    if upload.size is not None and upload.size > limit * 1024 * 1024:
        raise DomainError(f"附件不能超过 {limit} MB。", field="file")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    expected = KINDS.get(extension)
    if expected is None:
        raise DomainError(
            "附件只能是 PDF、JPEG/PNG/WebP 图片、Word（.docx）或 Excel（.xlsx）文件。", field="file"
        )
    actual = sniff(upload)
    if actual != expected:
        shown = LABELS.get(actual, "无法识别的格式") if actual else "无法识别的格式"
        raise DomainError(
            f"附件“{name[:60]}”的内容不是 {LABELS[expected]}（实际为{shown}），已拒收。", field="file"
        )
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)[-60:]
    return actual, safe
