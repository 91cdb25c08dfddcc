"""Input rules every request schema and query parameter shares: text, timestamps and page bounds.

One home for the rules that keep bad input a 422 rather than a database error (docs/security.md):

- `Text`: a string with no control characters. PostgreSQL's `text` refuses NUL (`\\x00`) and UTF-8 cannot
  carry a lone surrogate, so such a value would fail at the INSERT (a 500) on one database and be stored
  on the other; the other C0/C1 controls are refused too, as no name, address or id needs them. Tab, line
  feed and carriage return are allowed (a pasted address may span lines). Unpaired surrogates are
  refused by pydantic itself.
- `UtcTimestamp`: an aware datetime that is representable in UTC (`0001-01-01T00:00:00+14:00` is not),
  see `worker.protocol.utc_representable`.
- `email_address`: pydantic's `EmailStr`, the type of every e-mail field of the API (login, invites),
  for callers outside a request schema (the `create-superadmin` command).
- `MAX_SQL_INT`: the largest integer a `LIMIT`/`OFFSET` (or any BIGINT) may carry on both databases.

Worker reports that must land (a heartbeat's free text) are cleaned with `clean_text` instead of refused.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, EmailStr, StringConstraints, TypeAdapter, ValidationError

from worker.protocol import utc_representable

MAX_SQL_INT = 2**63 - 1  # BIGINT on PostgreSQL, INTEGER on SQLite: both signed 64-bit

# C0 controls but tab, LF and CR; DEL; C1 controls. As a pattern, pydantic checks it in its core (with the
# field's other constraints, in any order) and the OpenAPI document states it; unpaired surrogates never
# get that far (pydantic refuses them as "not a valid string").
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
TEXT_MESSAGE = "must not contain control characters (such as U+0000)"


def validation_message(error_type: str, pattern: object, message: str) -> str:
    """The message of one validation error, `TEXT_MESSAGE` for a `Text` field refused for its pattern."""
    if error_type == "string_pattern_mismatch" and pattern == TEXT_PATTERN:
        return TEXT_MESSAGE
    return message


def clean_text(value: str) -> str:
    """`value` without NUL characters or lone surrogates, which JSON allows and PostgreSQL text refuses.

    For text a worker reports that must be stored even when odd (a heartbeat's `last_error`); request
    fields an owner or admin types are refused instead (`Text`).
    """
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


# Combine with length limits freely: `Annotated[Text, StringConstraints(max_length=200)]` or
# `Text | None = Field(max_length=500)`. Not for fields with a pattern of their own (it would replace it).
Text = Annotated[str, StringConstraints(pattern=TEXT_PATTERN)]

UtcTimestamp = Annotated[AwareDatetime, AfterValidator(utc_representable)]


_EMAIL = TypeAdapter(EmailStr)


def email_address(value: str, field: str = "email") -> str:
    """`value` checked by the rule of every e-mail field of the API (`EmailStr`: syntax, and no
    special-use domain such as `localhost` or `.local`), as given; callers normalize it themselves.

    Raises:
        ValidationFailed: the address is refused (field `field`), as a request body's would be.
    """
    from backend.errors import ValidationFailed  # backend.errors imports this module

    try:
        _EMAIL.validate_python(value)
    except ValidationError as exc:
        raise ValidationFailed.for_field(field, exc.errors()[0]["msg"]) from None
    return value
