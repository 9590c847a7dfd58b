"""The eBay and Etsy sandboxes' own behaviour, in process, every exchange held to the official
OpenAPI files: business policies need the opt-in, Metadata answers condition policies, outages
and revocations answer as the marketplaces do."""

from __future__ import annotations

import httpx

from infra.local.sandboxes import etsy as etsy_sandbox
from infra.local.sandboxes.ebay import EbaySandbox
from infra.local.sandboxes.etsy import EtsySandbox


def _ebay(sandbox: EbaySandbox, method: str, path: str, token: str, **kwargs) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}", "content-language": "fr-FR"}
    request = httpx.Request(method, "https://api.ebay.com" + path, headers=headers, **kwargs)
    return sandbox.handle(request)


def test_business_policies_need_the_opt_in():
    sandbox = EbaySandbox(strict=True)
    sandbox.opted_in = set()
    token = sandbox.issue_access_token("t", 600)
    refused = _ebay(sandbox, "GET", "/sell/account/v1/payment_policy?marketplace_id=EBAY_FR", token)
    assert (refused.status_code, refused.json()["errors"][0]["errorId"]) == (400, 20403)
    body = {"programType": "SELLING_POLICY_MANAGEMENT"}
    assert _ebay(sandbox, "POST", "/sell/account/v1/program/opt_in", token, json=body).status_code == 200
    assert _ebay(sandbox, "POST", "/sell/account/v1/program/opt_in", token, json=body).status_code == 409
    programs = _ebay(sandbox, "GET", "/sell/account/v1/program/get_opted_in_programs", token).json()
    assert programs == {"programs": [{"programType": "SELLING_POLICY_MANAGEMENT"}]}
    policies = _ebay(sandbox, "GET", "/sell/account/v1/payment_policy?marketplace_id=EBAY_FR", token)
    assert policies.status_code == 200 and policies.json()["paymentPolicies"][0]["paymentPolicyId"] == "6196934000"
    assert sandbox.contract_problems == [] and sandbox.response_problems == []


def test_metadata_answers_item_condition_policies():
    sandbox = EbaySandbox(strict=True)
    token = sandbox.issue_access_token("t", 600)
    path = "/sell/metadata/v1/marketplace/EBAY_FR/get_item_condition_policies"
    answer = _ebay(sandbox, "GET", path + "?filter=categoryIds:{11483}", token)
    [policy] = answer.json()["itemConditionPolicies"]
    assert policy["categoryId"] == "11483" and "USED_EXCELLENT" in {
        c["conditionDescription"] for c in policy["itemConditions"]
    }
    assert _ebay(sandbox, "GET", path + "?filter=nonsense", token).json()["errors"][0]["errorId"] == 46002
    assert sandbox.contract_problems == [] and sandbox.response_problems == []


def test_an_outage_then_a_revocation():
    sandbox = EbaySandbox(strict=True)
    token = sandbox.issue_access_token("t", 600)
    sandbox.fail_for(2, 503)
    failed = _ebay(sandbox, "GET", "/sell/fulfillment/v1/order", token)
    assert failed.status_code == 503 and 0 < int(failed.headers["retry-after"]) <= 120
    sandbox.recover()
    assert _ebay(sandbox, "GET", "/sell/fulfillment/v1/order", token).status_code == 200
    sandbox.revoke_tokens()
    assert _ebay(sandbox, "GET", "/sell/fulfillment/v1/order", token).json()["errors"][0]["errorId"] == 1001


def test_etsy_outage_answers_429_with_retry_after_and_revocation_kills_refresh():
    sandbox = EtsySandbox(strict=True)
    refresh = sandbox.new_token("r")
    sandbox.refresh_tokens.add(refresh)
    token = sandbox.issue_access_token("t", 600)
    headers = {
        "authorization": f"Bearer {token}",
        "x-api-key": f"{etsy_sandbox.KEYSTRING}:{etsy_sandbox.SHARED_SECRET}",
    }
    sandbox.fail_for(1, 429)
    answer = sandbox.handle(httpx.Request("GET", "https://openapi.etsy.com/v3/application/users/me", headers=headers))
    assert answer.status_code == 429 and int(answer.headers["retry-after"]) > 0
    sandbox.recover()
    sandbox.revoke_tokens()
    form = {"grant_type": "refresh_token", "client_id": etsy_sandbox.KEYSTRING, "refresh_token": refresh}
    refused = sandbox.handle(httpx.Request("POST", "https://openapi.etsy.com/v3/public/oauth/token", data=form))
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")


def test_taxonomy_answers_trees_aspects_and_suggestions():
    sandbox = EbaySandbox(strict=True)
    token = sandbox.issue_access_token("t", 600)
    tree = _ebay(sandbox, "GET", "/commerce/taxonomy/v1/get_default_category_tree_id?marketplace_id=EBAY_FR", token)
    assert tree.json() == {"categoryTreeId": "71", "categoryTreeVersion": "125"}
    base = "/commerce/taxonomy/v1/category_tree/71"
    aspects = _ebay(sandbox, "GET", base + "/get_item_aspects_for_category?category_id=11554", token).json()["aspects"]
    required = [a["localizedAspectName"] for a in aspects if a["aspectConstraint"]["aspectRequired"]]
    assert required == ["Marque", "Taille", "Type de taille"]
    unknown = _ebay(sandbox, "GET", base + "/get_item_aspects_for_category?category_id=1", token)
    assert unknown.status_code == 400
    found = _ebay(sandbox, "GET", base + "/get_category_suggestions?q=women%27s+jeans", token).json()
    assert found["categorySuggestions"][0]["category"] == {"categoryId": "11554", "categoryName": "Women's Jeans"}
    assert _ebay(sandbox, "GET", base + "/get_category_suggestions?q=zzz", token).status_code == 204
    assert sandbox.contract_problems == [] and sandbox.response_problems == []


def test_a_listing_without_a_required_aspect_of_its_category_is_refused():
    sandbox = EbaySandbox(strict=True)
    token = sandbox.issue_access_token("t", 600)
    inv = "/sell/inventory/v1"
    sandbox.locations["home"] = {"location": {"address": {"country": "FR", "postalCode": "75011"}}}
    item = {
        "condition": "USED_EXCELLENT",
        "product": {"title": "Jean", "imageUrls": ["https://img.example/1.jpg"], "aspects": {"Marque": ["Levi's"]}},
    }
    assert _ebay(sandbox, "PUT", inv + "/inventory_item/SKU-1", token, json=item).status_code == 204
    offer = {
        "sku": "SKU-1",
        "marketplaceId": "EBAY_FR",
        "format": "FIXED_PRICE",
        "categoryId": "11554",
        "merchantLocationKey": "home",
        "pricingSummary": {"price": {"value": "30.00", "currency": "EUR"}},
        "listingPolicies": {
            "fulfillmentPolicyId": "6196932000",
            "paymentPolicyId": "6196934000",
            "returnPolicyId": "6196936000",
        },
    }
    offer_id = _ebay(sandbox, "POST", inv + "/offer", token, json=offer).json()["offerId"]
    refused = _ebay(sandbox, "POST", f"{inv}/offer/{offer_id}/publish", token)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["errorId"] == 25002 and "Taille" in refused.json()["errors"][0]["message"]
    item["product"]["aspects"].update({"Taille": ["38"], "Type de taille": ["Standard"]})
    assert _ebay(sandbox, "PUT", inv + "/inventory_item/SKU-1", token, json=item).status_code == 204
    assert _ebay(sandbox, "POST", f"{inv}/offer/{offer_id}/publish", token).status_code == 200
    assert sandbox.contract_problems == [] and sandbox.response_problems == []
