"""StoFlow: one catalogue, every marketplace."""
