"""What the combined OpenAPI document says about operations whose code carries no text for API
users (a route function without a docstring, or with a note meant for developers). The code's
own docstring wins when it has one; a test fails when an entry names an operation that no longer
exists, or when an operation has neither."""

from __future__ import annotations

__all__ = ["OPERATIONS"]

# "METHOD /path": (summary, description)
OPERATIONS: dict[str, tuple[str, str]] = {
    "POST /auth/register": (
        "Create an account",
        "Creates the account and its private workspace, and emails a link to confirm the address "
        "(to the dashboard's /verify-email page). 409 `email_taken` if the address has an account.",
    ),
    "POST /auth/login": (
        "Log in",
        "Trades an email and password for an access token and a refresh token. Repeated failures "
        "lock the account for a while (429 `account_locked`); an unconfirmed address may be refused "
        "(403 `email_not_verified`).",
    ),
    "POST /auth/refresh": (
        "Refresh the tokens",
        "Trades a refresh token for a new pair. A refresh token works once: presenting one that was "
        "already used signs that session out (401 `refresh_token_reused`).",
    ),
    "POST /auth/logout": ("Log out", "Ends this session: its refresh token and access tokens stop working."),
    "GET /auth/me": ("Your profile", "Your account, its role, whether the email is confirmed, and your quotas."),
    "GET /auth/jwks.json": (
        "Token signing keys",
        "The public keys (JWKS) that verify access tokens; cacheable for five minutes.",
    ),
    "POST /auth/verify-email": (
        "Confirm the email address",
        "Confirms the address with the `token` of the emailed link. 400 `invalid_verification_token` "
        "for a link that is unknown, used or expired.",
    ),
    "POST /auth/verify-email/resend": (
        "Send the confirmation link again",
        "Always 202: the answer never tells whether an address is registered.",
    ),
    "GET /products": (
        "List products",
        "Your live products, filtered and sorted. Filters combine: `status` (repeat for several), "
        "`brand_id`, `category_id` (with its subcategories), `q` (in title or SKU), `price_min`, "
        "`price_max`, and where the product is listed: `listed_on=ebay&not_listed_on=vinted` lists "
        "what is live on eBay and not on Vinted. `sort` takes fields among created_at, updated_at, "
        "price and title, `-` for descending, comma-separated.",
    ),
    "POST /products": (
        "Create a product",
        "A new product, in `draft` unless said otherwise. 403 `product_quota_exceeded` past your plan's limit.",
    ),
    "GET /products/{product_id}": ("Get a product", "The product with its images, in order."),
    "PATCH /products/{product_id}": (
        "Edit a product",
        "Changes only the fields sent. Send the `version` you read: 409 `stale_version` if someone "
        "changed the product since; read it again and retry.",
    ),
    "DELETE /products/{product_id}": (
        "Delete a product",
        "Removes the product from your catalogue (listings on marketplaces are not delisted by this). "
        "With `version`, 409 unless the product is still at that version.",
    ),
    "POST /products/bulk/status": (
        "Change the status of several products",
        "Applies one status to up to 500 products; answers which changed and which could not, with a `code` each.",
    ),
    "GET /products/{product_id}/images": ("List a product's images", "In display order; the label image is flagged."),
    "POST /products/{product_id}/images/{image_id}/complete": (
        "Finish an upload",
        "Checks and processes the uploaded file (type, size, orientation; location data removed) "
        "and adds it to the product. 422 if the file is not an accepted image.",
    ),
    "PUT /products/{product_id}/images/order": (
        "Reorder images",
        "Send every image id of the product, in the new order.",
    ),
    "PATCH /products/{product_id}/images/{image_id}": (
        "Edit an image",
        "The label flag (a label photo is never sent to marketplaces), alt text and tags.",
    ),
    "DELETE /products/{product_id}/images/{image_id}": (
        "Delete an image",
        "The remaining images close up the order.",
    ),
    "GET /jobs": ("List jobs", "Newest first; filter by status, marketplace, action, batch or product."),
    "GET /jobs/{job_id}": ("Get a job", "Its status, attempts, result or error."),
    "GET /batches/{batch_id}": ("Get a batch", "The jobs queued together and their progress."),
    "GET /marketplaces": (
        "Marketplace connections",
        "The state of your eBay, Etsy and Vinted connections, with what is missing to publish.",
    ),
    "GET /marketplaces/{marketplace}/policies": (
        "Business policies",
        "Your fulfilment, payment and return policies on a marketplace that has them (eBay), to choose the "
        "ones listings use; 404 for a marketplace without business policies.",
    ),
    "GET /marketplaces/{marketplace}/connect": (
        "Start connecting eBay or Etsy",
        "Answers the marketplace's consent page URL: open it in the browser. The marketplace then "
        "sends the browser back to the dashboard, which calls the callback. 503 "
        "`marketplace_not_configured` if this installation has no app keys for it.",
    ),
    "GET /marketplaces/{marketplace}/callback": (
        "Finish connecting eBay or Etsy",
        "Forward the `code` and `state` the marketplace sent back to the dashboard. The state works "
        "once, for ten minutes, and only for the user who started.",
    ),
    "PATCH /marketplaces/{marketplace}/settings": (
        "Listing settings",
        "Policies, shipping profile, location and defaults used when publishing on this marketplace.",
    ),
    "DELETE /marketplaces/{marketplace}": (
        "Disconnect eBay or Etsy",
        "Forgets the marketplace's tokens. Listings stay live on the marketplace.",
    ),
    "GET /orders": (
        "List orders",
        "Orders from every marketplace in one shape, newest first; filter by marketplace, status and dates.",
    ),
    "GET /extension/devices": ("Paired devices", "The browsers where the extension is paired with your account."),
    "GET /orders/checks": (
        "When sales were last checked",
        "For each marketplace: when its sales were last read and when they are read next (none while "
        "nothing listed there needs watching).",
    ),
    "GET /sales": (
        "List sales and their delist chains",
        "Every sale seen on a marketplace, newest first, with its chain: when the buyer bought, when "
        "StoFlow saw it, when the delists (or quantity updates) were queued on the other marketplaces, "
        "each of those jobs with its status and times, and when the last one finished. A sale of an "
        "item already sold elsewhere is `oversold`.",
    ),
    "GET /sales/{sale_id}": ("One sale and its delist chain", "The sale, its steps and their timestamps."),
    "GET /alerts": (
        "List alerts",
        "What needs you: a sold item whose listing could not be taken down after retries, a double "
        "sale. Unread ones by default; each is also sent by email once.",
    ),
    "POST /alerts/{alert_id}/read": ("Mark an alert read", "The alert leaves the unread list."),
}
