from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied

from linli.accounts import lockout
from linli.core.context import client_ip


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码不正确。",
        "inactive": "该账户已停用，请联系街道管理员。",
        "locked": "登录失败次数过多，账户已暂时锁定，请 %(minutes)s 分钟后再试或联系管理员。",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "用户名"
        self.fields["password"].label = "密码"
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})

    def clean(self) -> dict[str, Any]:
        from django.conf import settings

        username = (self.cleaned_data.get("username") or "").strip().lower()
        self.cleaned_data["username"] = username
        try:
            return super().clean()
        except PermissionDenied:
            pass
        except forms.ValidationError:
            if not lockout.is_locked(username, client_ip(self.request)):
                raise
        raise forms.ValidationError(
            self.error_messages["locked"],
            code="locked",
            params={"minutes": settings.LINLI_LOCKOUT_WINDOW_MINUTES},
        )


class ProfileForm(forms.Form):
    full_name = forms.CharField(label="姓名", max_length=60, required=False)
    phone = forms.CharField(label="手机号", max_length=20, required=False)
    email = forms.EmailField(
        label="电子邮箱", required=False, error_messages={"invalid": "电子邮箱格式不正确。"}
    )


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label="原密码", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password1 = forms.CharField(
        label="新密码", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    new_password2 = forms.CharField(
        label="确认新密码", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", "两次输入的新密码不一致。")
        return data


class TokenForm(forms.Form):
    name = forms.CharField(label="令牌用途", max_length=60, required=False)
