"""eBay: OAuth (authorization code with the RuName), Sell Inventory / Account / Fulfillment clients,
the product converter and the job handlers."""
