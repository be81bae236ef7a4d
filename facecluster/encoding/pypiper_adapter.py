"""The one place that knows pyPiper's internals (pyPiper 0.5.3, pinned).

pyPiper runs a graph of Nodes by polling its root and stepping an executor;
its parallel executors give each worker its own queue round-robin and let idle
workers spin. The pipeline (pipeline.py) instead pulls the root's items in the
main process and hands each one to a worker process that runs the rest of the
graph on it with pyPiper's own serial Executor. That needs a few of pyPiper's
private members; they are named in REQUIRED, and `check_compatible` (run
before every graph, and by a test) fails loudly, naming them, if an upgrade of
pyPiper has moved them.
"""

import pyPiper.pyPiper
from pyPiper.executors import STATE_CLOSED, Executor

REQUIRED = {
    "module": ("_Parcel",),  # what executor queues hold
    "graph": ("_root", "_graph", "_node_list"),
    "node": ("_state", "_output_buffer", "_run", "state_transition", "close"),
    "executor": ("send", "queues", "_step", "is_finished", "print_buffer"),
}


def check_compatible(graph):
    """Raise RuntimeError if pyPiper no longer has what GraphRunner uses."""
    present = {"module": pyPiper.pyPiper, "graph": graph, "node": getattr(graph, "_root", None)}
    missing = [f"{kind}.{name}" for kind, names in REQUIRED.items() if kind in present
               for name in names if not hasattr(present[kind], name)]
    if not missing:
        executor = Executor(graph, quiet=True)
        missing = [f"executor.{name}" for name in REQUIRED["executor"] if not hasattr(executor, name)]
    if missing:
        raise RuntimeError(f"this pyPiper lacks {', '.join(missing)}, which pypiper_adapter.py needs; "
                           "install the pinned pyPiper (requirements.txt)")


class _CollectingExecutor(Executor):
    """pyPiper's serial Executor, keeping what the graph's last nodes emit (it would print it) as results."""

    def __init__(self, graph):
        super().__init__(graph, quiet=False)
        self.results = []

    def print_buffer(self, buffer):
        self.results.extend(parcel.data for parcel in buffer)


class GraphRunner:
    """Runs a pyPiper graph one root item at a time: `root_items()` in one process, `run_one(item)` in any."""

    def __init__(self, graph):
        check_compatible(graph)
        self.graph = graph
        self.root = graph._root
        self._executor = None

    def root_items(self):
        """What the root node emits, item by item, until it closes."""
        while self.root._state != STATE_CLOSED:
            self.root.state_transition()
            self.root._run(None)
            items = [parcel.data for parcel in self.root._output_buffer]
            self.root._output_buffer.clear()
            yield from items

    def run_one(self, item):
        """Run the graph below the root on one item; return what its last nodes emitted."""
        if self._executor is None:  # made in the process that runs it (after a fork, in the worker)
            self._executor = _CollectingExecutor(self.graph)
        for successor in self.graph._graph[self.root]:
            self._executor.send(self.root, successor, pyPiper.pyPiper._Parcel(item))
        while any(self._executor.queues.values()):
            self._executor._step()
        results, self._executor.results = self._executor.results, []
        return results

    def finish(self):
        """Close the graph, so that nodes holding batches flush them; return what was emitted then."""
        if self._executor is None:
            return []
        self.root.close()
        while not self._executor.is_finished():
            self.root.state_transition()
            self._executor._step()
        return self._executor.results
