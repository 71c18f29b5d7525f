"""Article translations on Freshdesk: the account's languages, writing translations
and reading them.

Freshdesk keeps one translation per language of each solution category, folder and
article, at ``/api/v2/solutions/{categories|folders|articles}/{id}/{language_code}``, in
the languages ``GET /api/v2/settings/helpdesk`` lists as ``supported_languages`` (the
``primary_language`` is the object itself). Those are read once per connector.

Writing is idempotent without any bookkeeping of ours, because Freshdesk refuses a second
translation in a language (409): a translation is put when it should exist and posted
when not, a post refused as a duplicate (its earlier answer was lost) becomes a put, and
a put of a missing one (404) becomes a post. A translated article is shown under a
translated folder and category, so their translations are made first when missing; the
canonical records carry no translated names for them, so they take the primary names,
which the account's admins may translate later (an existing one is never overwritten).

Reading lists each folder's articles once per language
(``GET /api/v2/solutions/folders/{id}/articles/{language_code}``): a few calls per
folder, not one per article and language.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from connectors.base import TranslationLanguages
from connectors.errors import AuthenticationError, InvalidRecordError, NotFoundError
from connectors.freshdesk.client import FreshdeskApi
from connectors.freshdesk.payloads import PLATFORM, solution_translation_to_freshdesk
from connectors.schema import Article
from connectors.wire import WireModel, parse_wire

logger = logging.getLogger(__name__)

CONFLICT = 409
FORBIDDEN = 403


class _HelpdeskSettings(WireModel):
    primary_language: str
    supported_languages: list[str] = []


class FreshdeskTranslations:
    """The translation calls of one connector, with what it learnt on the way."""

    def __init__(self, api: Callable[[], FreshdeskApi]) -> None:
        self._api = api
        self._languages: TranslationLanguages | None = None
        self._languages_read = False
        #: (path of a category or folder, its language) known to be translated.
        self._translated: set[tuple[str, str]] = set()
        #: Categories and folders read to name their translations, by path.
        self._originals: dict[str, Any] = {}
        #: Folder id → article id → language → the article read in it.
        self._folder_reads: dict[str, dict[str, dict[str, Any]]] = {}

    def languages(self) -> TranslationLanguages | None:
        """The account's languages; None when the key may not read the settings (then
        translations are written as they come, and Freshdesk refuses those it lacks)."""
        if not self._languages_read:
            try:
                answer = self._api().get("settings/helpdesk", entity="articles")
            except AuthenticationError as refused:
                if refused.status != FORBIDDEN:
                    raise
                logger.warning("Freshdesk: this API key may not read the helpdesk settings")
                answer = None
            if answer is not None:
                settings = parse_wire(
                    _HelpdeskSettings, answer, platform=PLATFORM, what="helpdesk settings"
                )
                primary = settings.primary_language
                accepted = tuple(code for code in settings.supported_languages if code != primary)
                self._languages = TranslationLanguages(primary=primary, accepted=accepted)
            self._languages_read = True
        return self._languages

    def primary(self) -> str | None:
        languages = self.languages()
        return languages.primary if languages else None

    def _accepted(self) -> tuple[str, ...]:
        languages = self.languages()
        return languages.accepted if languages else ()

    def forget_reads(self) -> None:
        self._folder_reads.clear()

    # ------------------------------------------------------------------- writing

    def write(self, article_id: str, article: Article, *, existing: bool) -> None:
        """Each translation of ``article`` onto the Freshdesk article ``article_id``;
        ``existing`` when the article was written before (the translations may be there)."""
        languages = self.languages()
        for translation in article.translations:
            if translation.locale == article.locale or (
                languages and languages.is_primary(translation.locale)
            ):
                continue  # the article itself
            code = languages.code_for(translation.locale) if languages else translation.locale
            if code is None:
                # The engine's transform leaves these out with a note on the record.
                logger.warning(
                    "Freshdesk article %s: no %s translation written, the account does not "
                    "have the language",
                    article_id,
                    translation.locale,
                )
                continue
            self._folder_translated(article.section_id, code)
            body = solution_translation_to_freshdesk(translation, article_status=article.status)
            self._put_or_post(
                f"solutions/articles/{article_id}/{code}", body=body, put_first=existing
            )

    def _put_or_post(self, path: str, *, body: Mapping[str, Any], put_first: bool) -> None:
        api = self._api()
        if put_first:
            try:
                api.put(path, entity="articles", body=body)
                return
            except NotFoundError:
                pass  # not there yet: created below
        try:
            api.post(path, entity="articles", body=body, idempotent=True)
        except InvalidRecordError as refused:
            if refused.status != CONFLICT:
                raise
            api.put(path, entity="articles", body=body)

    def _folder_translated(self, folder_id: str, code: str) -> None:
        path = f"solutions/folders/{folder_id}"
        if (path, code) in self._translated:
            return
        if not self._exists(f"{path}/{code}", entity="article_sections"):
            folder = self._original(path, entity="article_sections")
            category_id = str(folder.get("category_id")) if isinstance(folder, dict) else ""
            if category_id.isdigit():
                self._category_translated(category_id, code)
            self._create(f"{path}/{code}", folder, entity="article_sections")
        self._translated.add((path, code))

    def _category_translated(self, category_id: str, code: str) -> None:
        path = f"solutions/categories/{category_id}"
        if (path, code) in self._translated:
            return
        if not self._exists(f"{path}/{code}", entity="article_categories"):
            category = self._original(path, entity="article_categories")
            self._create(f"{path}/{code}", category, entity="article_categories")
        self._translated.add((path, code))

    def _original(self, path: str, *, entity: str) -> Any:
        if path not in self._originals:
            self._originals[path] = self._api().get(path, entity=entity)
        return self._originals[path]

    def _exists(self, path: str, *, entity: str) -> bool:
        try:
            self._api().get(path, entity=entity)
        except NotFoundError:
            return False
        return True

    def _create(self, path: str, original: Any, *, entity: str) -> None:
        """A category's or folder's translation under its primary name; one made meanwhile
        (a conflict) is kept as it is."""
        named = original if isinstance(original, dict) else {}
        body = {"name": named.get("name") or "-"}
        if named.get("description"):
            body["description"] = named["description"]
        try:
            self._api().post(path, entity=entity, body=body, idempotent=True)
        except InvalidRecordError as refused:
            if refused.status != CONFLICT:
                raise

    # ------------------------------------------------------------------- reading

    def of_folder(self, folder_id: str) -> dict[str, dict[str, Any]]:
        """The articles of a folder as read in each other language: article id →
        language → the article's translated JSON."""
        if folder_id not in self._folder_reads:
            found: dict[str, dict[str, Any]] = {}
            for code in self._accepted():
                try:
                    items = list(
                        self._api().list_all(
                            f"solutions/folders/{folder_id}/articles/{code}", entity="articles"
                        )
                    )
                except NotFoundError:
                    continue  # the folder is gone, or has nothing in the language
                for item in items:
                    if isinstance(item, dict) and isinstance(item.get("id"), int):
                        found.setdefault(str(item["id"]), {})[code] = item
            self._folder_reads[folder_id] = found
        return self._folder_reads[folder_id]

    def of_article(self, article_id: str) -> dict[str, Any]:
        """One article as read in each other language (a call per language)."""
        found: dict[str, Any] = {}
        for code in self._accepted():
            try:
                found[code] = self._api().get(
                    f"solutions/articles/{article_id}/{code}", entity="articles"
                )
            except NotFoundError:
                continue
        return found
