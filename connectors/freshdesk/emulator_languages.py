"""Freshdesk's multilingual knowledge base, emulated.

``GET /api/v2/settings/helpdesk`` tells the account's languages: ``primary_language``,
``supported_languages`` (the other languages agents may translate into; empty while the
multilingual feature is off) and ``portal_languages`` (those of them shown on the portal).
An account's languages are its ``options`` (``primary_language``, ``supported_languages``,
``portal_languages``); a new Freshdesk account has English and no other language.

Solution categories, folders and articles are translated under
``/api/v2/solutions/{categories|folders|articles}/{id}/{language_code}`` (``GET`` to view,
``POST`` to create, ``PUT`` to update) and listed in a language under
``/api/v2/solutions/categories/{language_code}``,
``/api/v2/solutions/categories/{id}/folders/{language_code}`` and
``/api/v2/solutions/folders/{id}/articles/{language_code}`` (developers.freshdesk.com,
"Solutions": "Multilingual feature must be enabled for the account" and "Supported
languages must be setup in Admin > General Settings > Helpdesk"). A translation has the id
of the object it translates.

Where the documentation is silent the emulator does what the product does or, when that
is unknown, the stricter of the plausible answers, so that a client working here works
there too:

* a language the account does not support: 400 with ``errors[]`` naming the supported
  ones (Freshdesk's wording for a value outside a list);
* an account without the multilingual feature (no supported language): 403
  ``require_feature``, as for every feature outside the plan;
* ``POST`` of a translation that exists (or in the primary language, which the object
  itself holds): 409 ``duplicate_value``; ``PUT`` of one that does not: a bare 404, as for
  any missing record (clients put first and post on 404);
* a folder is translated only once its category is, an article once its folder is (the
  portal shows a translated article only under a translated folder and category): 400
  otherwise.

Translations are kept in their own collections (``solution_*_translations``), with the
translated object's id as ``parent_number`` and the language in ``data["language"]``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from connectors.emulation import record_list, records
from connectors.freshdesk import emulator as fd
from connectors.models import EmulatedAccount, EmulatedRecord

#: A new account's primary language (Freshdesk signs accounts up in English).
DEFAULT_PRIMARY_LANGUAGE = "en"
#: Ids of translation rows (internal: a translation answers with its object's id).
TRANSLATION_ROW_ID_START = 1

MULTILINGUAL_FEATURE = "multilingual_solutions"


@dataclass(frozen=True)
class AccountLanguages:
    primary: str
    supported: tuple[str, ...]
    portal: tuple[str, ...]


def account_languages(account: EmulatedAccount) -> AccountLanguages:
    options = account.options or {}
    primary = str(options.get("primary_language") or DEFAULT_PRIMARY_LANGUAGE)
    supported = tuple(
        str(code) for code in options.get("supported_languages") or () if code != primary
    )
    portal = tuple(
        str(code) for code in options.get("portal_languages", supported) if code in supported
    )
    return AccountLanguages(primary=primary, supported=supported, portal=portal)


def helpdesk_settings(request: HttpRequest, account: EmulatedAccount) -> HttpResponseBase:
    fd._check_query(request, ())
    languages = account_languages(account)
    return fd._json(
        {
            "primary_language": languages.primary,
            "supported_languages": list(languages.supported),
            "portal_languages": list(languages.portal),
        }
    )


# --- Translated objects ------------------------------------------------------------------


@dataclass(frozen=True)
class _Translated:
    """How one kind of solution object is translated."""

    resource: fd._Resource
    #: The fields a translation has of its own (the rest comes from the object).
    writable: frozenset[str]
    required: tuple[str, ...]
    #: A translation's own fields before the request's (counters start again).
    template: Callable[[], dict[str, Any]]
    #: Whose translation must exist first, named by which field of the object.
    parent: _Translated | None = None
    parent_field: str | None = None
    validate: Callable[[dict[str, Any], bool], list[dict]] | None = None
    derive: Callable[[dict[str, Any]], None] | None = None

    @property
    def collection(self) -> str:
        return fd.TRANSLATION_COLLECTIONS[self.resource.collection]


def _named_template() -> dict[str, Any]:
    return {"name": None, "description": None}


def _article_translation_template() -> dict[str, Any]:
    return {
        "title": None,
        "description": None,
        "description_text": None,
        "status": None,
        "seo_data": {"meta_title": "", "meta_description": ""},
        "tags": [],
        "thumbs_up": 0,
        "thumbs_down": 0,
        "hits": 0,
        "suggested": 0,
        "feedback_count": 0,
    }


CATEGORY_TRANSLATIONS = _Translated(
    resource=fd.CATEGORIES,
    writable=frozenset({"name", "description"}),
    required=("name",),
    template=_named_template,
)
FOLDER_TRANSLATIONS = _Translated(
    resource=fd.FOLDERS,
    writable=frozenset({"name", "description"}),
    required=("name",),
    template=_named_template,
    parent=CATEGORY_TRANSLATIONS,
    parent_field="category_id",
)
ARTICLE_TRANSLATIONS = _Translated(
    resource=fd.ARTICLES,
    writable=frozenset({"title", "description", "status", "seo_data", "tags", "agent_id"}),
    required=("title", "description", "status"),
    template=_article_translation_template,
    parent=FOLDER_TRANSLATIONS,
    parent_field="folder_id",
    validate=fd._article_validate,
    derive=fd._article_derive,
)


def _language(account: EmulatedAccount, code: str) -> str:
    """``code`` when the account has it; the errors Freshdesk answers otherwise."""
    languages = account_languages(account)
    if code == languages.primary:
        return code
    if not languages.supported:
        raise fd._request_error(
            403,
            "require_feature",
            f"The {MULTILINGUAL_FEATURE} feature(s) is/are not supported in your plan. "
            "Please upgrade your account to use it.",
        )
    if code not in languages.supported:
        raise fd._invalid([fd._field_error("language_code", fd._one_of(languages.supported))])
    return code


def _translations(account: EmulatedAccount, kind: _Translated) -> QuerySet[EmulatedRecord]:
    return records(account=account, collection=kind.collection)


def _translation(
    account: EmulatedAccount, kind: _Translated, number: Any, code: str
) -> EmulatedRecord | None:
    if not isinstance(number, int):
        return None
    return _translations(account, kind).filter(parent_number=number, data__language=code).first()


def _rendered(original: EmulatedRecord, translation: EmulatedRecord | None, code: str) -> dict:
    """The object as read in a language: its own fields, the translation's over them."""
    if translation is None:
        return {**original.data, "language": code}
    return {**original.data, **translation.data, "id": original.number}


def _errors(kind: _Translated, fields: dict[str, Any], *, creating: bool) -> list[dict]:
    errors = fd._unexpected_fields(fields, kind.writable)
    for name in kind.required:
        if creating and name not in fields:
            errors.append(fd._field_error(name, fd.MANDATORY, "missing_field"))
        elif name in fields and fields[name] in (None, ""):
            errors.append(fd._field_error(name, fd.MANDATORY))
    if kind.validate:
        errors += kind.validate(fields, creating)
    return errors


def _parent_translated(
    account: EmulatedAccount, kind: _Translated, original: EmulatedRecord, code: str
) -> None:
    if kind.parent is None or kind.parent_field is None:
        return
    parent_number = original.data.get(kind.parent_field)
    if _translation(account, kind.parent, parent_number, code) is None:
        noun = kind.parent.resource.member_path.removeprefix("solutions/").removesuffix("s")
        raise fd._invalid(
            [
                fd._field_error(
                    kind.parent_field,
                    f"The {noun} {parent_number} has no translation in '{code}'; "
                    "translate it first",
                )
            ]
        )


def translation_show(
    kind: _Translated, request: HttpRequest, account: EmulatedAccount, number: int, language: str
) -> HttpResponseBase:
    fd._check_query(request, ())
    original = fd._get(account, kind.resource.collection, number)
    code = _language(account, language)
    if code == account_languages(account).primary:
        return fd._json(_rendered(original, None, code))
    translation = _translation(account, kind, number, code)
    if translation is None:
        raise fd._NotFound
    return fd._json(_rendered(original, translation, code))


def translation_create(
    kind: _Translated, request: HttpRequest, account: EmulatedAccount, number: int, language: str
) -> HttpResponseBase:
    original = fd._get(account, kind.resource.collection, number)
    code = _language(account, language)
    fields = fd._payload(request).fields
    if errors := _errors(kind, fields, creating=True):
        raise fd._invalid(errors)
    with transaction.atomic():
        # One translation per language: concurrent creates of it queue on the object.
        EmulatedRecord.objects.select_for_update().filter(pk=original.pk).first()
        if code == account_languages(account).primary or _translation(account, kind, number, code):
            raise fd._duplicate("language_code")
        _parent_translated(account, kind, original, code)
        data = kind.template()
        data.update(fields)
        data["language"] = code
        if kind.derive:
            kind.derive(data)
        translation = fd._new_record(
            account=account,
            collection=kind.collection,
            data=data,
            id_start=TRANSLATION_ROW_ID_START,
            parent_number=number,
        )
    location = f"{fd._account_root(request)}/api/v2/{kind.resource.member_path}/{number}/{code}"
    return fd._created(request, _rendered(original, translation, code), location=location)


def translation_update(
    kind: _Translated, request: HttpRequest, account: EmulatedAccount, number: int, language: str
) -> HttpResponseBase:
    original = fd._get(account, kind.resource.collection, number)
    code = _language(account, language)
    if code == account_languages(account).primary:
        return fd.resource_update(kind.resource, request, account, number)
    translation = _translation(account, kind, number, code)
    if translation is None:
        raise fd._NotFound
    fields = fd._payload(request).fields
    if not fields:
        raise fd._missing_params()
    if errors := _errors(kind, fields, creating=False):
        raise fd._invalid(errors)
    translation.data.update(fields)
    if kind.derive:
        kind.derive(translation.data)
    fd._touch(translation)
    return fd._json(_rendered(original, translation, code))


def _listed(
    kind: _Translated,
    request: HttpRequest,
    account: EmulatedAccount,
    code: str,
    parent: int | None,
) -> HttpResponseBase:
    """The objects of ``parent`` (all, for categories) that have a translation in ``code``,
    as read in it, in the order of their ids."""
    fd._check_query(request, {"page", "per_page"})
    page = fd._page(request)
    if code == account_languages(account).primary:
        return fd.resource_list(kind.resource, request, account, parent)
    translated = _translations(account, kind).filter(data__language=code)
    if kind.resource.parent_field:
        originals = EmulatedRecord.objects.filter(
            account=account, collection=kind.resource.collection, parent_number=parent
        ).values("number")
        translated = translated.filter(parent_number__in=originals)
    translated = translated.order_by("parent_number")

    def render(rows: list[EmulatedRecord]) -> list[dict]:
        originals = {
            row.number: row
            for row in record_list(
                account=account,
                collections=[kind.resource.collection],
                numbers=[row.parent_number for row in rows if row.parent_number is not None],
            )
        }
        return [
            _rendered(originals[row.parent_number], row, code)
            for row in rows
            if row.parent_number in originals
        ]

    return fd._paginated(request, translated, page, render)


def categories_list_in(
    request: HttpRequest, account: EmulatedAccount, language: str
) -> HttpResponseBase:
    code = _language(account, language)
    return _listed(CATEGORY_TRANSLATIONS, request, account, code, None)


def folders_list_in(
    request: HttpRequest, account: EmulatedAccount, parent: int, language: str
) -> HttpResponseBase:
    fd._get(account, fd.CATEGORIES.collection, parent)
    code = _language(account, language)
    return _listed(FOLDER_TRANSLATIONS, request, account, code, parent)


def articles_list_in(
    request: HttpRequest, account: EmulatedAccount, parent: int, language: str
) -> HttpResponseBase:
    fd._get(account, fd.FOLDERS.collection, parent)
    code = _language(account, language)
    return _listed(ARTICLE_TRANSLATIONS, request, account, code, parent)


def _translated_route(kind: _Translated) -> tuple[str, Callable[..., HttpResponseBase]]:
    def bound(
        operation: Callable[..., HttpResponseBase],
    ) -> Callable[..., HttpResponseBase]:
        def handler(
            request: HttpRequest, account: EmulatedAccount, **kwargs: Any
        ) -> HttpResponseBase:
            return operation(kind, request, account, **kwargs)

        handler.__name__ = f"{kind.collection}_{operation.__name__}"
        return handler

    return f"{kind.resource.member_path}/<int:number>/<str:language>", fd._endpoint(
        GET=bound(translation_show),
        POST=bound(translation_create),
        PUT=bound(translation_update),
    )


# Routes under /api/v2/, after the untranslated ones: ``solutions/categories/7/folders``
# is the folder list, not a translation into a language called "folders".
LANGUAGE_ROUTES: list[tuple[str, Callable[..., HttpResponseBase]]] = [
    ("settings/helpdesk", fd._endpoint(GET=helpdesk_settings)),
    ("solutions/categories/<str:language>", fd._endpoint(GET=categories_list_in)),
    (
        "solutions/categories/<int:parent>/folders/<str:language>",
        fd._endpoint(GET=folders_list_in),
    ),
    (
        "solutions/folders/<int:parent>/articles/<str:language>",
        fd._endpoint(GET=articles_list_in),
    ),
    _translated_route(CATEGORY_TRANSLATIONS),
    _translated_route(FOLDER_TRANSLATIONS),
    _translated_route(ARTICLE_TRANSLATIONS),
]
