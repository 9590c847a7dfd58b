"""Vinted job handlers. They never reach Vinted themselves: each checks that its command can be
built (a product that cannot be converted fails now, with a clear error) and parks the job in
`waiting_extension`; the lane (stoflow.marketplaces.vinted.lane) sends it to the tenant's
extension as execute_job and completes it from the job_result."""

from __future__ import annotations

from typing import ClassVar

from stoflow.jobs.errors import JobCancelled, WaitingForExtension
from stoflow.jobs.handlers import HandlerRegistry, JobContext, JobOutcome
from stoflow.marketplaces.vinted.commands import build_command
from stoflow.marketplaces.vinted.lane import online_extension
from stoflow.repositories import jobs as jobs_repository


class VintedJobHandler:
    marketplace: ClassVar[str] = "vinted"
    action: ClassVar[str]
    idempotent: ClassVar[bool] = True  # the handler itself only parks the job
    needs_product: ClassVar[bool] = False
    timeout_s: ClassVar[int] = 60

    def run(self, context: JobContext) -> JobOutcome:
        job = context.job
        with context.session() as session:
            row = jobs_repository.get_job(session, job.id)
            if row is None:
                raise JobCancelled("the job is gone")
            build_command(session, row)  # PermanentJobError now rather than at send time
        if context.cancel_requested():
            raise JobCancelled("cancelled before it was sent to the extension")
        if online_extension(job.tenant_id) is None:
            raise WaitingForExtension("waiting for the browser extension to connect", code="extension_offline")
        raise WaitingForExtension("queued for the browser extension", code="vinted_queued")


class VintedPublishJobHandler(VintedJobHandler):
    action = "publish"
    needs_product = True
    requires_ready = True


class VintedUpdateJobHandler(VintedJobHandler):
    action = "update"
    needs_product = True
    requires_ready = True


class VintedDeleteJobHandler(VintedJobHandler):
    action = "delete"
    needs_product = True


class VintedHideJobHandler(VintedJobHandler):
    """A sale elsewhere: the item is hidden (shown again if the sale is undone, deleted once final)."""

    action = "hide"
    needs_product = True


class VintedUnhideJobHandler(VintedJobHandler):
    action = "unhide"
    needs_product = True


class VintedSyncJobHandler(VintedJobHandler):
    """Import the wardrobe, link items to products, and mark sold items (delists elsewhere)."""

    action = "sync"


class VintedOrdersJobHandler(VintedJobHandler):
    action = "orders"


class VintedMessagesJobHandler(VintedJobHandler):
    action = "messages"


class VintedSendMessageJobHandler(VintedJobHandler):
    action = "send_message"


class VintedLinkProductJobHandler(VintedJobHandler):
    action = "link"
    needs_product = True


class VintedReconcileJobHandler(VintedJobHandler):
    """A read that settles an unknown_outcome write (queued by the lane, not by users)."""

    action = "reconcile"


HANDLERS = (
    VintedPublishJobHandler,
    VintedUpdateJobHandler,
    VintedDeleteJobHandler,
    VintedHideJobHandler,
    VintedUnhideJobHandler,
    VintedSyncJobHandler,
    VintedOrdersJobHandler,
    VintedMessagesJobHandler,
    VintedSendMessageJobHandler,
    VintedLinkProductJobHandler,
    VintedReconcileJobHandler,
)


def register(registry: HandlerRegistry) -> None:
    for handler in HANDLERS:
        registry.register(handler())
