from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from linli.accounts import services
from linli.accounts.forms import LoginForm, PasswordChangeForm, ProfileForm, TokenForm
from linli.accounts.models import ApiToken, User
from linli.core.errors import DomainError
from linli.core.forms import submit
from linli.core.http import HttpRequest, acting_user


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


def _profile_context(user: User) -> dict[str, object]:
    return {
        "bound_areas": [b.area for b in user.bindings.select_related("area").order_by("area__path")],
        "tokens": user.api_tokens.all(),
    }


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if submit(form, lambda data: services.user_update(actor=user, user=user, **data)) is not None:
            messages.success(request, "个人资料已保存。")
            return redirect("accounts:profile")
    else:
        form = ProfileForm(initial={"full_name": user.full_name, "phone": user.phone, "email": user.email})
    context = {"form": form, "token_form": TokenForm(), **_profile_context(user)}
    return render(request, "accounts/profile.html", context)


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            revoked = services.user_set_password(
                actor=user,
                user=user,
                password=form.cleaned_data["new_password1"],
                old_password=form.cleaned_data["old_password"],
            )
        except DomainError as exc:
            field = "new_password1" if exc.field == "password" else exc.field
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            update_session_auth_hash(request, user)
            note = f"您的 {revoked} 个 API 令牌已一并吊销，如仍需要请重新创建。" if revoked else ""
            messages.success(request, "密码已修改。" + note)
            return redirect("accounts:profile")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    form = TokenForm(request.POST)
    created = submit(form, lambda data: services.token_create(actor=user, user=user, name=data["name"]))
    raw = created[1] if created else None
    context: dict[str, object] = {
        "form": ProfileForm(initial={"full_name": user.full_name, "phone": user.phone, "email": user.email})
    }
    context |= {
        "token_form": form if raw is None else TokenForm(),
        "new_token": raw,
        **_profile_context(user),
    }
    if request.htmx:
        return render(request, "accounts/profile.html#tokens", context)
    # The raw token is shown exactly once, in this response; it is never stored.
    return render(request, "accounts/profile.html", context)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    token = get_object_or_404(ApiToken, pk=pk, user=user)
    services.token_revoke(actor=user, token=token)
    if request.htmx:
        context = {"token_form": TokenForm(), **_profile_context(user)}
        return render(request, "accounts/profile.html#tokens", context)
    messages.success(request, "令牌已吊销。")
    return redirect("accounts:profile")
