"""An e-mail address with non-ASCII characters is an e-mail address everywhere: the
canonical schema, the forms, the services."""

import pytest
from django.core.exceptions import ValidationError

from connectors.schema import Contact, Ticket, is_email_address, normalise_email
from migrator.validators import validate_email_address
from wizard.forms import InvitationForm

INTERNATIONAL = [
    "zoë@exämple.fr",
    "josé@example.com",
    "renée@xn--bcher-kva.example",
    "用户@例子.广告",
]
NOT_ADDRESSES = ["abc", "a@b", "zoë exämple.fr", "a@@b.fr", "<a@b.fr>", "a@b .fr", ""]


@pytest.mark.parametrize("address", INTERNATIONAL)
def test_international_addresses_are_addresses(address):
    assert is_email_address(address)
    validate_email_address(address)
    contact = Contact(source_id="1", updated_at="2024-01-01T00:00:00Z", name="Z", email=address)
    assert contact.email == address
    ticket = Ticket(
        source_id="1",
        updated_at="2024-01-01T00:00:00Z",
        created_at="2024-01-01T00:00:00Z",
        subject="Hello",
        requester_email=address,
    )
    assert ticket.requester_email == address
    form = InvitationForm({"email": address, "role": "restricted"})
    assert form.is_valid(), form.errors


@pytest.mark.parametrize("text", NOT_ADDRESSES)
def test_what_is_not_an_address_is_refused(text):
    assert not is_email_address(text)
    with pytest.raises(ValidationError):
        validate_email_address(text)


def test_one_address_typed_two_ways_is_one_address():
    composed = "zo\u00eb@exämple.fr"
    decomposed = "zoe\u0308@exa\u0308mple.fr"
    assert normalise_email(decomposed) == normalise_email(composed) == composed
    assert normalise_email(" ZOË@EXÄMPLE.FR ") == composed
