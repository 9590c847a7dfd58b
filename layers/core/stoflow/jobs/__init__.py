"""The marketplace job system: the truth in marketplace_jobs, SQS carrying {tenant_id, job_id}.

It knows no marketplace: the handler registry (handlers and connection checks) is given to it
(stoflow.services.jobs gives the marketplace registry's). Every change of a job's status,
attempts or outcome goes through `transitions`."""
