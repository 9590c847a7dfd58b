"""Vinted, through the seller's browser extension (no public API for ordinary sellers).

- converter: product -> the extension's item payload (Vinted catalogue ids, price rules, photos
  as presigned URLs chosen by stoflow.services.photos, never a label);
- lane: the per-tenant command lane (one command in flight, a randomised gap, a doubling pause
  after DataDome / 429 / captcha, deadlines) and execute_job over the WebSocket;
- jobs: the job handlers (they park a job in waiting_extension; the lane sends it);
- ws: the extension's routes of the WebSocket protocol (job_progress, job_result,
  vinted_session_update, datadome_detected);
- results: what each command's answer changes in the tenant's tables.
"""
