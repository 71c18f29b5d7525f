"""Template filters for words defined elsewhere in English (see :mod:`wizard.text`)."""

from django import template

from connectors.messages import translated
from reports.selectors import reason_display
from wizard import text

register = template.Library()

register.filter("sentence", text.translate_sentence)
register.filter("entity_label", text.entity_label)
register.filter("platform_name", text.platform_name)
register.filter("scope_kind_label", text.scope_kind_label)
register.filter("reason_display", reason_display)
register.filter("error_display", translated)
