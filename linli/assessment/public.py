"""The resident's rating page, reached by the one-time link of their text message (no account).

It names the worker, shows their photo and what they did for this resident, so the rater knows whom they
rate (the failure the seed warns of: "respondents did not know whom they were rating")."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render

from linli.assessment import services
from linli.assessment.forms import RatingForm
from linli.assessment.models import EntryState, RoundStatus, WorkerProfile
from linli.core.errors import DomainError, NotFound


def rate(request: HttpRequest, token: str) -> HttpResponseBase:
    entry = services.entry_for_token(token)
    if entry is None:
        return render(
            request, "assessment/public/rate_gone.html", {"message": "评议链接无效或已过期。"}, status=404
        )
    form = RatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.rating_submit(
                token=token, grade=form.cleaned_data["grade"], reason=form.cleaned_data["reason"]
            )
        except NotFound as exc:
            return render(request, "assessment/public/rate_gone.html", {"message": exc.message}, status=404)
        except DomainError as exc:
            if exc.code in ("token_used", "round_closed"):
                return render(
                    request, "assessment/public/rate_gone.html", {"message": exc.message}, status=409
                )
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return render(request, "assessment/public/rate_done.html", {"worker": entry.worker.display_name})
    if entry.state == EntryState.RESPONDED:
        return render(
            request,
            "assessment/public/rate_gone.html",
            {"message": "您已经评议过了，感谢您的参与。"},
            status=409,
        )
    if entry.round.status != RoundStatus.OPEN:
        return render(
            request,
            "assessment/public/rate_gone.html",
            {"message": "本次评议已经结束，感谢您的关注。"},
            status=409,
        )
    has_photo = WorkerProfile.objects.filter(user_id=entry.worker_id, photo__isnull=False).exists()
    context = {
        "entry": entry,
        "form": form,
        "token": token,
        "has_photo": has_photo,
        "worker": entry.worker.display_name,
        "role": entry.worker.get_role_display(),
    }
    return render(request, "assessment/public/rate.html", context, status=400 if form.errors else 200)


def photo(request: HttpRequest, token: str) -> HttpResponse:
    entry = services.entry_for_token(token)
    if entry is None or entry.state == EntryState.RESPONDED or entry.round.status != RoundStatus.OPEN:
        raise Http404
    profile = WorkerProfile.objects.filter(user_id=entry.worker_id, photo__isnull=False).first()
    if profile is None or not profile.photo:
        raise Http404
    return HttpResponse(bytes(profile.photo), content_type=profile.photo_type)
