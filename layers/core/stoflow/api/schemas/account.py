"""Bodies of the password and account routes (/auth/password/*, /account/*)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from stoflow.api.schemas.auth import Email, OpaqueToken, Password
from stoflow.api.schemas.model import ApiModel

__all__ = [
    "AccountDeletionIn",
    "ExportOut",
    "PasswordChangeIn",
    "PasswordForgotIn",
    "PasswordResetIn",
]


class _Body(ApiModel):
    model_config = ConfigDict(extra="forbid")


class PasswordForgotIn(_Body):
    email: Email = Field(description="The account's email address; the answer is the same whether it exists or not.")


class PasswordResetIn(_Body):
    token: OpaqueToken = Field(description="The `token` query parameter of the emailed link.")
    password: Password = Field(description="The new password (at least 10 characters).")


class PasswordChangeIn(_Body):
    current_password: Password
    new_password: Password = Field(description="At least 10 characters, different from the current one.")


class AccountDeletionIn(_Body):
    password: Password = Field(description="The account's current password.")
    confirm: Literal["delete my account"] = Field(
        description='The words "delete my account", typed by the user: deletion cannot be undone.'
    )


class ExportFileOut(ApiModel):
    name: str = Field(description="Path of the file inside the archive.")
    rows: int


class ExportOut(ApiModel):
    url: str = Field(description="Download link of the ZIP archive; it expires at `expires_at` and needs no token.")
    expires_at: datetime
    size_bytes: int
    files: list[ExportFileOut] = Field(
        description="`export.json` holds everything; one CSV per kind: products, images, listings, orders."
    )
