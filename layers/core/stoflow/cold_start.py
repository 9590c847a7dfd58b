"""Imported first by every function's module: the garbage collector waits for the first event.

A cold start allocates hundreds of thousands of objects that live as long as the container
(modules, classes, the app's routes, models and schemas; on the first event, the modules it
loads, its compiled statements, the connection) and next to no garbage, yet each full collection
on the way walks all of them again: about a quarter of the CPU time of our part of an import.
Collection starts again once the handler `stoflow.observability.traced_handler` wraps has
answered its first event (or failed it), after freezing what was built so far, so that later
collections do not walk it either.
"""

from __future__ import annotations

import gc

gc.disable()
