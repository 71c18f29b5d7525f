"""Article translations through the Freshdesk connector, against the emulator in process:
the account's languages, translations written once and whole, and read back."""

# The harness of test_connector.py: its fixtures are imported, then asked for by name.
# ruff: noqa: F811

from __future__ import annotations

import httpx
import pytest
from django.core.handlers.wsgi import WSGIHandler

from connectors.base import TranslationLanguages
from connectors.schema import Article, ArticleCategory, ArticleSection, ArticleTranslation, Entity
from tests.connectors.freshdesk.test_connector import (  # noqa: F401 (fixtures)
    ORIGINAL,
    account,
    blobs_in_tmp,
    connect,
    connection_kept_across_requests,
    read_all,
    sandbox,
    stored,
)

pytestmark = pytest.mark.django_db


class Recording(httpx.BaseTransport):
    """The emulator in this process, with every request noted as (method, path under
    /api/v2/); ``lose_answer`` names a (method, path) whose first answer never arrives."""

    def __init__(self, *, lose_answer: tuple[str, str] | None = None) -> None:
        self.inner = httpx.WSGITransport(app=WSGIHandler())
        self.calls: list[tuple[str, str]] = []
        self.lose_answer = lose_answer

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        call = (request.method, request.url.path.split("/api/v2/", 1)[-1])
        self.calls.append(call)
        response = self.inner.handle_request(request)
        if call == self.lose_answer:
            self.lose_answer = None
            response.read()
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


def knowledge_base(connector) -> tuple[str, str]:
    category_id = connector.create(
        Entity.ARTICLE_CATEGORIES,
        ArticleCategory(source_id="c-1", updated_at=ORIGINAL, name="General", description="All"),
        marker="m",
    )
    folder_id = connector.create(
        Entity.ARTICLE_SECTIONS,
        ArticleSection(source_id="s-1", updated_at=ORIGINAL, name="FAQ", category_id=category_id),
        marker="m",
    )
    return category_id, folder_id


def article_in(category_id: str, folder_id: str, *translations: ArticleTranslation) -> Article:
    return Article(
        source_id="a-1",
        updated_at=ORIGINAL,
        title="Reset your password",
        html_body="<p>Click the link.</p>",
        status="2",
        category_id=category_id,
        section_id=folder_id,
        locale="en-us",
        translations=list(translations),
    )


FRENCH = ArticleTranslation(
    locale="fr", title="Changer de mot de passe", html_body="<p>Cliquez.</p>", status="1"
)
GERMAN = ArticleTranslation(locale="de", title="Passwort ändern", html_body="<p>Klicken.</p>")


def translations_stored(account) -> dict[tuple[int, str], tuple[str, str, int]]:
    return {
        (row.parent_number, row.data["language"]): (
            row.data["title"],
            row.data["description"],
            row.data["status"],
        )
        for row in stored(account, "solution_article_translations")
    }


def test_the_account_languages_are_read_once(sandbox, account):
    transport = Recording()
    with connect(sandbox, account, transport=transport) as connector:
        first = connector.translation_languages()
        assert connector.translation_languages() is first
    assert first == TranslationLanguages(primary="en", accepted=("fr", "de"))
    assert transport.calls == [("GET", "settings/helpdesk")]
    assert first.code_for("fr-FR") == "fr" and first.code_for("es") is None
    assert first.is_primary("en-us") and not first.is_primary("fr")


def test_translations_land_with_their_folder_and_category(sandbox, account):
    with connect(sandbox, account) as connector:
        category_id, folder_id = knowledge_base(connector)
        article = article_in(
            category_id,
            folder_id,
            ArticleTranslation(locale="en-us", title="Reset your password"),
            FRENCH,
        )
        article_id = connector.create(Entity.ARTICLES, article, marker="hdm-m")
        number = int(article_id)
        assert translations_stored(account) == {
            (number, "fr"): ("Changer de mot de passe", "<p>Cliquez.</p>", 1)
        }
        # A translated article is shown under a translated folder and category.
        names = {
            (row.collection, row.parent_number, row.data["language"]): row.data["name"]
            for row in stored(account, "solution_folder_translations")
            | stored(account, "solution_category_translations")
        }
        assert names == {
            ("solution_category_translations", int(category_id), "fr"): "General",
            ("solution_folder_translations", int(folder_id), "fr"): "FAQ",
        }

        # Written again (delta, re-migration, a resumed write): changed, never doubled.
        changed = FRENCH.model_copy(update={"title": "Nouveau mot de passe", "status": "2"})
        connector.update(
            Entity.ARTICLES, article_id, article_in(category_id, folder_id, changed, GERMAN)
        )
    assert translations_stored(account) == {
        (number, "fr"): ("Nouveau mot de passe", "<p>Cliquez.</p>", 2),
        (number, "de"): ("Passwort ändern", "<p>Klicken.</p>", 2),
    }
    assert stored(account, "solution_category_translations").count() == 2
    assert stored(account, "solution_folder_translations").count() == 2


def test_a_lost_answer_makes_no_second_translation(sandbox, account):
    with connect(sandbox, account) as connector:
        category_id, folder_id = knowledge_base(connector)
    article_id = None
    transport = Recording()
    with connect(sandbox, account, transport=transport) as connector:
        # The article's id is known once it is created; its French translation's answer
        # is then lost on the way back.
        original_post = connector.api.post

        def post(path: str, **kwargs):
            nonlocal article_id
            answer = original_post(path, **kwargs)
            if path.endswith("/articles"):
                article_id = str(answer["id"])
                transport.lose_answer = ("POST", f"solutions/articles/{article_id}/fr")
            return answer

        connector.api.post = post
        created = connector.create(
            Entity.ARTICLES, article_in(category_id, folder_id, FRENCH), marker="hdm-m"
        )
    assert created == article_id
    assert translations_stored(account) == {
        (int(article_id), "fr"): ("Changer de mot de passe", "<p>Cliquez.</p>", 1)
    }
    path = f"solutions/articles/{article_id}/fr"
    # Sent, answer lost; sent again and refused as a duplicate; brought up to date.
    assert [call for call in transport.calls if call[1] == path] == [
        ("POST", path),
        ("POST", path),
        ("PUT", path),
    ]


def test_a_language_the_account_lacks_is_not_sent(sandbox, account):
    transport = Recording()
    spanish = ArticleTranslation(locale="es", title="Cambiar la contraseña")
    with connect(sandbox, account, transport=transport) as connector:
        category_id, folder_id = knowledge_base(connector)
        article_id = connector.create(
            Entity.ARTICLES, article_in(category_id, folder_id, spanish, FRENCH), marker="m"
        )
    assert set(translations_stored(account)) == {(int(article_id), "fr")}
    assert not [call for call in transport.calls if call[1].endswith("/es")]


def test_freshdesk_as_source_reads_translations_in_few_calls(sandbox, account):
    with connect(sandbox, account) as connector:
        category_id, folder_id = knowledge_base(connector)
        translated_id = connector.create(
            Entity.ARTICLES, article_in(category_id, folder_id, FRENCH, GERMAN), marker="m"
        )
        plain = article_in(category_id, folder_id).model_copy(
            update={"source_id": "a-2", "title": "Change your e-mail"}
        )
        plain_id = connector.create(Entity.ARTICLES, plain, marker="m")
    transport = Recording()
    with connect(sandbox, account, transport=transport) as source:
        articles = {article.source_id: article for article in read_all(source, Entity.ARTICLES)}
        one = source.read_page(Entity.ARTICLES, ids=[translated_id], page_size=5).records[0]
    assert set(articles) == {translated_id, plain_id}
    translated, untranslated = articles[translated_id], articles[plain_id]
    assert translated.locale == "en" and untranslated.translations == []
    expected = [
        ArticleTranslation(
            locale="fr", title="Changer de mot de passe", html_body="<p>Cliquez.</p>", status="1"
        ),
        ArticleTranslation(
            locale="de", title="Passwort ändern", html_body="<p>Klicken.</p>", status="2"
        ),
    ]
    assert translated.translations == expected
    assert one.translations == expected and one.locale == "en"
    # A folder's translations come in one list per language, not a read per article.
    listed = [path for method, path in transport.calls if path.startswith("solutions/folders/")]
    assert listed.count(f"solutions/folders/{folder_id}/articles/fr") == 1
    assert listed.count(f"solutions/folders/{folder_id}/articles/de") == 1
    assert transport.calls.count(("GET", "settings/helpdesk")) == 1


class SettingsForbidden(Recording):
    """An API key that may write articles but not read the helpdesk settings."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/api/v2/settings/helpdesk"):
            self.calls.append(("GET", "settings/helpdesk"))
            return httpx.Response(
                403, json={"code": "access_denied", "message": "You are not authorized."}
            )
        return super().handle_request(request)


def test_without_the_settings_translations_go_as_they_come(sandbox, account):
    transport = SettingsForbidden()
    with connect(sandbox, account, transport=transport) as connector:
        assert connector.translation_languages() is None
        category_id, folder_id = knowledge_base(connector)
        article_id = connector.create(
            Entity.ARTICLES, article_in(category_id, folder_id, FRENCH), marker="m"
        )
        # Nothing to read them in: an article reads without translations.
        assert connector.read_page(Entity.ARTICLES, ids=[article_id]).records[0].translations == []
    assert set(translations_stored(account)) == {(int(article_id), "fr")}
    assert transport.calls.count(("GET", "settings/helpdesk")) == 1
