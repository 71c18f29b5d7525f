"""Which translations of an article the target's knowledge base can hold.

A target declares the languages its account has (:meth:`connectors.base.Target.
translation_languages`); a translation in another language is left out with a note on
the record, the article itself still goes.
"""

from __future__ import annotations

from django.utils.translation import get_language_info

from connectors.base import TranslationLanguages
from connectors.messages import Message, gettext_noop
from connectors.schema import Article, ArticleTranslation


def language_name(code: str) -> str:
    """A language's English name from its code (``fr-ca`` → "French"), else the code."""
    for candidate in (code.lower().replace("_", "-"), code.lower().split("-")[0]):
        try:
            return str(get_language_info(candidate)["name"])
        except KeyError:
            continue
    return code


def translations_accepted(
    *,
    article: Article,
    translations: list[ArticleTranslation],
    languages: TranslationLanguages | None,
    notes: list[Message | str],
) -> list[ArticleTranslation]:
    """The translations in languages the target has, each in the target's spelling of its
    language (``fr-fr`` → ``fr``); a note in ``notes`` for each one left out."""
    if languages is None:
        return translations
    accepted = []
    for translation in translations:
        if article.locale and translation.locale.casefold() == article.locale.casefold():
            accepted.append(translation)  # the article itself, as some sources list it
            continue
        name = language_name(translation.locale)
        if languages.is_primary(translation.locale):
            notes.append(
                Message(
                    gettext_noop(
                        "The %(language)s translation was not migrated: %(language)s is the "
                        "target help desk's main language, which the article itself is "
                        "written in."
                    ),
                    # The language's English name, which Django's catalogue translates.
                    {"language": Message(name)},
                )
            )
            continue
        code = languages.code_for(translation.locale)
        if code is None:
            notes.append(
                Message(
                    gettext_noop(
                        "The %(language)s translation was not migrated: the target help desk "
                        "does not have %(language)s enabled."
                    ),
                    # The language's English name, which Django's catalogue translates.
                    {"language": Message(name)},
                )
            )
            continue
        accepted.append(translation.model_copy(update={"locale": code}))
    return accepted
