"""The demo login: a user registered on the first start (through the identity service, as
POST /auth/register would), found again on later starts."""

from __future__ import annotations

import logging

log = logging.getLogger("stoflow.local.demo")

DEMO_EMAIL = "demo@stoflow.local"
DEMO_PASSWORD = "stoflow-demo-2026"  # noqa: S105 - a local demo account, printed on purpose


class DemoUser:
    """A Part: registers the demo user unless it exists; nothing to stop."""

    name = "demo"

    def __init__(self, email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD) -> None:
        self.email = email
        self.password = password
        self.created = False

    def start(self) -> None:
        from stoflow.errors import EmailTaken
        from stoflow.services.accounts import register

        try:
            register(self.email, self.password, "127.0.0.1")
            self.created = True
            log.info("registered the demo user %s", self.email)
        except EmailTaken:
            self.created = False

    def stop(self) -> None:
        pass

    def describe(self) -> list[str]:
        state = "created now" if self.created else "kept from an earlier start"
        return [f"Demo login   {self.email} / {self.password}  ({state})"]
