"""The marketplace job system: the truth in marketplace_jobs, SQS carrying {tenant_id, job_id}."""
