from django import template

from linli.timebank.services import hours_label

register = template.Library()


@register.filter
def minutes(value: object) -> str:
    """120 → "2 小时", -45 → "-45 分钟"; None → "—"."""
    if value is None or value == "":
        return "—"
    return hours_label(int(value))  # type: ignore[call-overload]
