"""Search text folded once, the same way for what is stored and what is asked.

SQLite's lower() folds ASCII only and PostgreSQL's depends on the database's collation, so
neither can be trusted to find "Олег" from "олег" or "ŞEYMA IŞIK" from "şeyma ışık". The
read model keeps a folded copy of each searched field, written by `fold`; a query is folded
by the same function and matched with a plain (case-sensitive) LIKE on that copy.
"""

from __future__ import annotations

import unicodedata

# Turkish and Azerbaijani pair I with ı and İ with i; every other language pairs I with i.
# A search cannot know which language a name is in, so all four fold to one letter: a
# Turkish customer is found whichever keyboard typed the query.
_DOTTED_AND_DOTLESS = str.maketrans({"İ": "i", "ı": "i"})
_COMBINING_DOT_ABOVE = "\u0307"  # what casefold() leaves of İ ("i̇")
# Russian writes ё as е in most everyday text (and keyboards): one letter for the search.
_YO = str.maketrans({"ё": "е"})


def fold(text: str) -> str:
    """Unicode case folding (NFKC, so ligatures and full-width letters match their plain
    forms), with the Turkish i's as one letter and ё as е."""
    text = unicodedata.normalize("NFKC", text).translate(_DOTTED_AND_DOTLESS)
    folded = text.casefold().replace(_COMBINING_DOT_ABOVE, "").translate(_YO)
    # casefold() can leave text that NFKC would change again (e.g. a Greek accent); the
    # second pass makes fold(fold(x)) == fold(x), which a stored copy needs.
    return unicodedata.normalize("NFKC", folded)


# Cyrillic to Latin as people type a Russian or Ukrainian name on a Latin keyboard (close
# to the passport transliteration): "oleg smirnov" finds "Олег Смирнов".
_LATIN = str.maketrans(
    {
        **dict(zip("абвгдезиклмнопрстуфыэ", "abvgdeziklmnoprstufye", strict=True)),
        **{"ж": "zh", "й": "y", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch"},
        **{"ъ": "", "ь": "", "ю": "yu", "я": "ya", "і": "i", "ї": "yi", "є": "ye", "ґ": "g"},
    }
)
# Between a stored name and its transliteration: no query contains it, so none matches
# across the two.
_ALSO = "\x1f"


def fold_for_search(text: str | None) -> str | None:
    """What the read model keeps for a searched field: the folded text and, when it has
    Cyrillic letters, their Latin spelling too."""
    if text is None:
        return None
    folded = fold(text)
    latin = folded.translate(_LATIN)
    return folded if latin == folded else f"{folded}{_ALSO}{latin}"


def like_pattern(query: str) -> str:
    """A LIKE pattern (escape `\\`) finding the folded query anywhere in a folded field."""
    escaped = (
        fold(query).replace(_ALSO, "").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    )
    return f"%{escaped}%"
