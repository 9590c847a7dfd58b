"""Imported first by every function's module: the garbage collector waits for the handler.

A cold start allocates hundreds of thousands of objects that live as long as the container
(modules, classes, the app's routes, models and schemas) and next to no garbage, yet each full
collection on the way walks all of them again: about 40 ms of a function's import. Collection
starts again when `stoflow.observability.traced_handler` wraps the handler, which first freezes
what the import built, so later collections do not walk it either.
"""

from __future__ import annotations

import gc

gc.disable()
