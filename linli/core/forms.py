from __future__ import annotations

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
