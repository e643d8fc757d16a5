"""What a person types to confirm an erasure: the contact's email address (any case), or its id
when it has no address. Typing it proves they mean this contact, not the one next to it."""

from closedloop.crm.models import Contact


def confirmation_word(contact: Contact) -> str:
    return contact.email or str(contact.pk)


def confirmation_matches(contact: Contact, typed: str) -> bool:
    return bool(typed.strip()) and typed.strip().lower() == confirmation_word(contact).strip().lower()
