"""WebSocket connections (public.ws_connections), the message route table, the @connections client
and the dashboard's job_status push. Nothing here imports a web framework: the ws functions and
the job worker load it on a cold start."""
