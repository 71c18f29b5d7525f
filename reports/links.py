"""Addresses of records on the platforms, for the reports (a user clicks to check one)."""

from __future__ import annotations

from connectors.schema import Entity

_RECORD_PATHS: dict[str, dict[Entity, str]] = {
    "zendesk": {
        Entity.ORGANIZATIONS: "/agent/organizations/{id}",
        Entity.GROUPS: "/admin/people/team/groups/{id}",
        Entity.AGENTS: "/agent/users/{id}",
        Entity.CONTACTS: "/agent/users/{id}",
        Entity.TICKETS: "/agent/tickets/{id}",
        Entity.ARTICLE_CATEGORIES: "/hc/categories/{id}",
        Entity.ARTICLE_SECTIONS: "/hc/sections/{id}",
        Entity.ARTICLES: "/hc/articles/{id}",
    },
    "freshdesk": {
        Entity.ORGANIZATIONS: "/a/companies/{id}",
        Entity.GROUPS: "/a/admin/groups/{id}/edit",
        Entity.AGENTS: "/a/admin/agents/{id}",
        Entity.CONTACTS: "/a/contacts/{id}",
        Entity.TICKETS: "/a/tickets/{id}",
        Entity.ARTICLE_CATEGORIES: "/a/solutions/categories/{id}",
        Entity.ARTICLE_SECTIONS: "/a/solutions/folders/{id}",
        Entity.ARTICLES: "/a/solutions/articles/{id}",
    },
    "teamwork_desk": {
        Entity.ORGANIZATIONS: "/desk/companies/{id}",
        Entity.CONTACTS: "/desk/customers/{id}",
        Entity.TICKETS: "/desk/tickets/{id}/messages",
    },
}


def record_paths() -> dict[str, dict[Entity, str]]:
    """Per platform, the path of each entity's record page ("{id}" stands for its id)."""
    return {platform: dict(paths) for platform, paths in _RECORD_PATHS.items()}


def record_url(*, platform: str, account_url: str, entity: str, record_id: str) -> str:
    """The record's page on its platform, or "" when unknown."""
    if not (account_url and record_id):
        return ""
    try:
        path = _RECORD_PATHS.get(platform, {}).get(Entity(entity))
    except ValueError:
        return ""
    if path is None:
        return ""
    return account_url.rstrip("/") + path.format(id=record_id)
