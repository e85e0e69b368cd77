"""Accent- and case-blind patient names: "jose" finds "José", "muller" finds "Müller".

Both databases compare a folded copy of the name (`Patient.search_name`, kept by
`Patient.save()`), so the search is the same plain LIKE on SQLite and PostgreSQL (where a
trigram index serves it).
"""

from __future__ import annotations

import unicodedata

# Letters that do not decompose into a base letter and a mark.
_SPECIAL = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d",
                          "ð": "d", "þ": "th", "ı": "i"})


def fold_name(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_SPECIAL))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.replace(",", " ").replace("^", " ").split())


def name_terms(text: str) -> list[str]:
    """The folded words of a name search; each must appear in the patient's name."""
    return fold_name(text).split()[:5]
