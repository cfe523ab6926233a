from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import PermissionDenied

from linli.core.errors import DomainError, Forbidden


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a service's refusal on the form field it concerns (or on the form).

    A permission refusal is not a form problem: it becomes the 403 page.
    """
    if isinstance(error, Forbidden):
        raise PermissionDenied(error.message)
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


T = TypeVar("T")


def submit(form: forms.Form, action: Callable[[dict[str, Any]], T]) -> T | None:
    """Run a service with the form's cleaned data if the form is valid.

    Returns the service's result, or None when the form is invalid or the service
    refused (its reason is then on the form, and nothing was written).
    """
    if not form.is_valid():
        return None
    try:
        return action(form.cleaned_data)
    except DomainError as exc:
        add_domain_error(form, exc)
        return None
