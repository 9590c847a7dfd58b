"""What the eBay and Etsy adapters share."""
