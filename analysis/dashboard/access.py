"""Who may view a hosted Stance Atlas: e-mail addresses and domains, checked after sign-in."""

from __future__ import annotations


def parse_allowed(value: str) -> tuple[frozenset[str], frozenset[str]]:
    """Split a setting like "ana@example.org, @newsroom.example" into (addresses, domains), lower-cased."""
    emails, domains = set(), set()
    for item in (part.strip().lower() for part in value.replace(";", ",").split(",")):
        if not item:
            continue
        if item.startswith("@"):
            domains.add(item[1:])
        elif "@" in item:
            emails.add(item)
        else:
            domains.add(item)
    return frozenset(emails), frozenset(domains)


def is_allowed(email: str | None, allowed: str) -> bool:
    """True when a signed-in user may view: the list is empty, or names the address or its domain.

    Args:
        email: the signed-in user's address (None when the identity provider gave none: never allowed by a list).
        allowed: the `STANCE_ATLAS_ALLOWED_VIEWERS` setting.
    """
    emails, domains = parse_allowed(allowed)
    if not emails and not domains:
        return True
    if not email or "@" not in email:
        return False
    address = email.strip().lower()
    return address in emails or address.rsplit("@", 1)[1] in domains
