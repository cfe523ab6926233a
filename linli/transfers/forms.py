from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from linli.accounts.models import User
from linli.areas.models import Area

ALLOWED_SUFFIXES = (".xlsx", ".xls", ".xlsm", ".ods", ".csv")


class ImportForm(forms.Form):
    community = forms.ModelChoiceField(label="导入到社区", queryset=Area.objects.none(), empty_label=None)
    file = forms.FileField(label="台账文件", help_text="Excel（.xlsx / .xls）或 CSV；第一张工作表")
    dry_run = forms.BooleanField(label="只检查，不保存（试导入）", required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["community"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101  (declared above)
        field.queryset = Area.objects.visible_to(user).filter(kind=Area.Kind.COMMUNITY).order_by("path")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(ALLOWED_SUFFIXES):
            raise forms.ValidationError("只支持 Excel（.xlsx、.xls）或 CSV 文件。")
        if upload.size > settings.LINLI_MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(f"文件超过 {settings.LINLI_MAX_UPLOAD_MB} MB。")
        return upload
