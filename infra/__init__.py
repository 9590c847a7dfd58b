"""Where StoFlow runs: the local cloud (infra.local) and deployment helpers."""
