"""The emulated help desks' data as the drills compare it: tickets with their comments and
files, articles with their translations, read straight from each emulator's tables.

Nothing here goes through a connector, the engine or the record map: a reader sees what
the platform itself holds, as a person looking at the help desk would.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from connectors.emulation import blob_chunks
from connectors.models import EmulatedAccount, EmulatedBlob, EmulatedRecord


@dataclass(frozen=True)
class FileView:
    """An attachment as the platform holds it: its bytes' sha256 decide sameness."""

    name: str
    sha256: str
    size: int
    inline: bool = False


@dataclass(frozen=True)
class CommentView:
    #: The text without markup and without any whitespace, case-folded.
    text: str
    public: bool
    files: tuple[FileView, ...] = ()


@dataclass
class TicketView:
    number: int
    subject: str
    requester_email: str
    comments: list[CommentView] = field(default_factory=list)

    @property
    def files(self) -> list[FileView]:
        return [file for comment in self.comments for file in comment.files]


@dataclass
class ArticleView:
    number: int
    title: str
    text: str
    #: language -> (title, text) of the other languages; ``None`` when the platform's
    #: emulator keeps no translations (nothing to compare).
    translations: dict[str, tuple[str, str]] | None


# --------------------------------------------------------------------------- text


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def normalised_text(markup: str) -> str:
    """What a reader sees of a body, compared loosely: the text of the HTML without tags,
    entities decoded, all whitespace removed, case folded. Formatting a target rewrites
    (paragraphs, line breaks, repaired tags) does not count; words do."""
    parser = _Text()
    parser.feed(markup or "")
    parser.close()
    text = html.unescape("".join(parser.parts))
    return re.sub(r"\s+", "", text).casefold()


def language_of(locale: Any) -> str:
    """The language of a locale as platforms spell it differently ("fr", "fr-FR", "fr_fr")."""
    return str(locale or "").replace("_", "-").split("-")[0].casefold()


# --------------------------------------------------------------------------- files


_DATA_URI = re.compile(r"""src=["'](data:[^"']+)["']""", re.IGNORECASE)


def _data_uri_files(markup: str) -> list[FileView]:
    """Images carried inside the HTML as data: URIs (a source's inline images)."""
    files = []
    for uri in _DATA_URI.findall(markup or ""):
        header, _comma, payload = uri.partition(",")
        if ";base64" not in header:
            continue
        try:
            content = base64.b64decode(payload, validate=False)
        except (binascii.Error, ValueError):
            continue
        files.append(
            FileView(
                name="inline-image",
                sha256=hashlib.sha256(content).hexdigest(),
                size=len(content),
                inline=True,
            )
        )
    return files


class _Blobs:
    """Blobs of one account by token, with the sha256 of their bytes."""

    def __init__(self, account: EmulatedAccount) -> None:
        self.by_token = {blob.token: blob for blob in EmulatedBlob.objects.filter(account=account)}
        self._digests: dict[str, str] = {}

    def file(self, token: str, *, name: str, inline: bool = False) -> FileView:
        blob = self.by_token.get(token)
        if blob is None:
            # A file the record names whose bytes the platform does not have.
            return FileView(name=name, sha256="missing-bytes", size=0, inline=inline)
        return FileView(name=name, sha256=self.digest(blob), size=blob.size, inline=inline)

    def digest(self, blob: EmulatedBlob) -> str:
        """Generated (seeded) bytes have the digest worked out when they were seeded;
        uploaded ones are read again from the file the upload wrote."""
        if blob.seed:
            return blob.sha256
        if blob.token not in self._digests:
            digest = hashlib.sha256()
            try:
                for chunk in blob_chunks(blob):
                    digest.update(chunk)
            except OSError:
                self._digests[blob.token] = "unreadable-bytes"
            else:
                self._digests[blob.token] = digest.hexdigest()
        return self._digests[blob.token]


def _rows(account: EmulatedAccount, collections: Iterable[str]) -> list[EmulatedRecord]:
    return list(
        EmulatedRecord.objects.filter(account=account, collection__in=list(collections)).order_by(
            "number"
        )
    )


def _children(account: EmulatedAccount, collection: str) -> dict[int, list[EmulatedRecord]]:
    found: dict[int, list[EmulatedRecord]] = {}
    for row in _rows(account, [collection]):
        if row.parent_number is not None:
            found.setdefault(row.parent_number, []).append(row)
    return found


# --------------------------------------------------------------------------- platforms


class PlatformReader:
    key: str
    #: Whether the platform, as a target, holds a copy of a source's inline images
    #: (else the text keeps pointing at them and there is no file to compare).
    inline_images_uploaded: bool = False

    def tickets(self, account: EmulatedAccount) -> list[TicketView]:
        raise NotImplementedError

    def articles(self, account: EmulatedAccount) -> list[ArticleView]:
        raise NotImplementedError


class ZendeskReader(PlatformReader):
    key = "zendesk"
    inline_images_uploaded = True

    def tickets(self, account: EmulatedAccount) -> list[TicketView]:
        from connectors.zendesk.emulator import BLOB_KEY

        emails = {
            row.number: str(row.data.get("email") or "").casefold()
            for row in _rows(account, ["users", "deleted_users"])
        }
        comments = _children(account, "ticket_comments")
        blobs = _Blobs(account)
        views = []
        for row in _rows(account, ["tickets"]):
            view = TicketView(
                number=row.number,
                subject=str(row.data.get("subject") or ""),
                requester_email=emails.get(row.data.get("requester_id"), ""),
            )
            for comment in comments.get(row.number, []):
                data = comment.data
                markup = data.get("html_body") or html.escape(str(data.get("body") or ""))
                files = tuple(
                    blobs.file(
                        str(item.get(BLOB_KEY) or ""),
                        name=str(item.get("file_name") or ""),
                        inline=bool(item.get("inline")),
                    )
                    for item in data.get("attachments") or []
                    if isinstance(item, dict)
                )
                view.comments.append(
                    CommentView(
                        text=normalised_text(markup),
                        public=bool(data.get("public", True)),
                        files=files + tuple(_data_uri_files(markup)),
                    )
                )
            views.append(view)
        return views

    def articles(self, account: EmulatedAccount) -> list[ArticleView]:
        translations = _children(account, "hc_translations")
        views = []
        for row in _rows(account, ["hc_articles"]):
            own = str(row.data.get("source_locale") or row.data.get("locale") or "")
            others = {
                language_of(item.data.get("locale")): (
                    str(item.data.get("title") or ""),
                    normalised_text(str(item.data.get("body") or "")),
                )
                for item in translations.get(row.number, [])
                if language_of(item.data.get("locale")) != language_of(own)
            }
            views.append(
                ArticleView(
                    number=row.number,
                    title=str(row.data.get("title") or ""),
                    text=normalised_text(str(row.data.get("body") or "")),
                    translations=others,
                )
            )
        return views


def _freshdesk_token(attachment: dict[str, Any]) -> str:
    url = str(attachment.get("attachment_url") or "")
    return url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]


class FreshdeskReader(PlatformReader):
    key = "freshdesk"
    # Freshdesk's text keeps the source's link to an inline image.
    inline_images_uploaded = False

    def _files(self, blobs: _Blobs, items: Any, markup: str) -> tuple[FileView, ...]:
        files = [
            blobs.file(_freshdesk_token(item), name=str(item.get("name") or ""))
            for item in items or []
            if isinstance(item, dict)
        ]
        return tuple(files + _data_uri_files(markup))

    def tickets(self, account: EmulatedAccount) -> list[TicketView]:
        emails: dict[int, str] = {}
        for row in _rows(account, ["contacts", "agents"]):
            person = row.data.get("contact") if row.collection == "agents" else row.data
            emails[row.number] = str((person or {}).get("email") or "").casefold()
        conversations = _children(account, "conversations")
        blobs = _Blobs(account)
        views = []
        for row in _rows(account, ["tickets"]):
            data = row.data
            if data.get("deleted") or data.get("spam"):
                continue
            description = str(data.get("description") or "")
            view = TicketView(
                number=row.number,
                subject=str(data.get("subject") or ""),
                requester_email=emails.get(data.get("requester_id"), ""),
                comments=[
                    CommentView(
                        text=normalised_text(description),
                        public=True,
                        files=self._files(blobs, data.get("attachments"), description),
                    )
                ],
            )
            for conversation in conversations.get(row.number, []):
                body = str(conversation.data.get("body") or "")
                view.comments.append(
                    CommentView(
                        text=normalised_text(body),
                        public=not conversation.data.get("private"),
                        files=self._files(blobs, conversation.data.get("attachments"), body),
                    )
                )
            views.append(view)
        return views

    def articles(self, account: EmulatedAccount) -> list[ArticleView]:
        translations = _children(account, "solution_article_translations")
        return [
            ArticleView(
                number=row.number,
                title=str(row.data.get("title") or ""),
                text=normalised_text(str(row.data.get("description") or "")),
                translations={
                    language_of(item.data.get("language")): (
                        str(item.data.get("title") or ""),
                        normalised_text(str(item.data.get("description") or "")),
                    )
                    for item in translations.get(row.number, [])
                },
            )
            for row in _rows(account, ["solution_articles"])
        ]


READERS: dict[str, PlatformReader] = {
    reader.key: reader for reader in (ZendeskReader(), FreshdeskReader())
}


def reader_for(platform: str) -> PlatformReader:
    if platform not in READERS:
        raise LookupError(
            f"The drills cannot read {platform!r} (they read {', '.join(sorted(READERS))})."
        )
    return READERS[platform]
