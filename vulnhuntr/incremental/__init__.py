"""Re-analyse only the entry-point files whose code, or whose call chain, changed.

A run records, per entry-point file, the content hash of every file its
analysis depended on: the files the model was shown (``FileResult.context_files``)
plus the in-repo callees found statically from the index
(:func:`vulnhuntr.repo.callgraph.call_chain_files`). The next run reuses a
file's findings when every one of those hashes still matches (the state is
self-validating: an entry is only ever reused for exactly the content it was
computed from), and analyses the rest. ``--since REF`` narrows the analysis to
what a git diff touched, as a pull-request check wants.

* :mod:`.state`: the state's schema, where it lives, loading and saving it;
* :mod:`.plan`: pure planning, previous state + diff + repository → what to
  redo and what to reuse (:class:`~.plan.ReusePlan`);
* :mod:`.run`: one run's life cycle, the plan before the analysis and the new
  state after it (:class:`~.run.IncrementalRun`).

The state lives in the persistent :class:`~vulnhuntr.store.Store` under
``run_state``, keyed by repository (remote URL, else the path) and branch; it is
written into the scanned tree only when ``performance.incremental.state_file``
names a file there.
"""

from .plan import Decision, ReusePlan, plan_reuse
from .state import FileState, RunState

__all__ = ["Decision", "FileState", "ReusePlan", "RunState", "plan_reuse"]
