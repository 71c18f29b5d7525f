from django import template

from billing import formatting

register = template.Library()


@register.filter
def money(value, currency="EUR"):
    return formatting.money(value, currency)


@register.filter
def unit_price(value, currency="EUR"):
    return formatting.unit_price(value, currency)


@register.filter
def duration(value):
    return formatting.duration(value)
