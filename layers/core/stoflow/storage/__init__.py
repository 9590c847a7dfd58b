"""Adapters to object storage (S3)."""
