"""The local cloud that `make run` starts: the parts of template.yaml, run in one process."""
