"""Normalising company names and emails so that duplicates from different sources meet."""

import re
import unicodedata

# Legal-form suffixes that do not distinguish companies ("Acme Inc." is "ACME").
_LEGAL_SUFFIXES = {
    "inc", "incorporated", "llc", "ltd", "limited", "gmbh", "ag", "sa", "sas", "sarl", "bv", "nv",
    "plc", "corp", "corporation", "co", "company", "srl", "spa", "oy", "ab", "as", "kg", "pty",
}  # fmt: skip
_NON_WORD = re.compile(r"[^\w]+")


def normalize_company_name(name: str) -> str:
    """'  Acme, Inc. ' → 'acme'; 'Café Zürich GmbH' → 'cafe zurich'. Empty if nothing is left."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    words = [w for w in _NON_WORD.split(folded) if w]
    while len(words) > 1 and words[-1] in _LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words)


def normalize_email(email: str) -> str:
    return email.strip().lower()
