"""Stage 2: the pyPiper graph FramesProvider -> FaceEncoder -> DatastoreManager, in worker processes.

FramesProvider (the graph's root) runs in the main process and decodes video
while the worker processes detect and encode faces, so extraction and
encoding overlap. Workers wait on one bounded queue (no worker sits idle while
another has a backlog, none spins). Every frame comes back to the main
process as a result: saved, or the reason it could not be. What has to know
pyPiper's internals is in pypiper_adapter.py.
"""

import multiprocessing
import os
import queue
import signal
from dataclasses import asdict
from itertools import chain

import cv2
from pyPiper import Node

from ..common.workfolder import WorkFolder
from .datastore import frame_record, save_pickle
from .pypiper_adapter import GraphRunner


class FramesProvider(Node):
    """Root node: emits each sampled frame (a plain dict) that is not encoded yet."""

    def setup(self, generators, already_encoded=()):
        self.generators = generators
        self.already_encoded = set(already_encoded)
        self._frames = chain.from_iterable(generators)
        self.frames = []  # every sampled frame, encoded before or not, in order
        self.size = 0  # frames to encode so far known

    def run(self, data):
        for frame in self._frames:
            self.frames.append(frame)
            if frame.frame_id not in self.already_encoded:
                self.size += 1
                self.emit(asdict(frame))
                return
        self.close()


class FaceEncoder(Node):
    """Finds the faces in a frame and measures each with a loaded faces.FaceEngine."""

    def setup(self, workdir, engine):
        self.workdir = workdir
        self.engine = engine  # loaded in the main process, so every forked worker shares its models

    def run(self, frame):
        try:
            image = cv2.imread(os.path.join(self.workdir, frame["frame_path"]), cv2.IMREAD_COLOR)
            if image is None:
                raise OSError("the saved frame cannot be read")
            self.emit(frame_record(frame, self.engine.measure(image)))
        except Exception as error:  # one bad frame must not stop the others: it comes back as a result
            self.emit({"frame": frame, "error": str(error) or type(error).__name__})


class DatastoreManager(Node):
    """Writes one pickle per frame (atomically), faces or not; emits each frame's outcome."""

    def setup(self, workdir):
        self.folder = WorkFolder(workdir)
        os.makedirs(self.folder.encodings, exist_ok=True)

    def run(self, record):
        frame, error = record["frame"], record.get("error")
        if error is None:
            try:
                save_pickle(self.folder.frame_pickle(frame["frame_id"]), record)
            except OSError as failure:  # e.g. a full disk
                error = f"could not save its encodings ({failure.strerror or failure})"
        self.emit({"frame_path": frame["frame_path"], "error": error})


class WorkerDied(RuntimeError):
    pass


FINISHED = "finished"  # a worker's last message


class FacePipeline:
    """Runs the graph: its root in this process, the rest in `workers` processes (in this one if 1).

    run() returns the outcome of every frame the root emitted: {"frame_path", "error" (None if saved)}.
    """

    def __init__(self, graph, workers=1):
        self.runner = GraphRunner(graph)
        self.workers = workers

    def run(self, progress=None):
        progress = progress or (lambda done: None)
        if self.workers == 1:
            outcomes = []
            for item in self.runner.root_items():
                outcomes += self.runner.run_one(item)
                progress(len(outcomes))
            return outcomes + self.runner.finish()
        return self._run_in_workers(progress)

    def _run_in_workers(self, progress):
        context = multiprocessing.get_context("fork")  # workers inherit the loaded models
        inbox = context.Queue(maxsize=2 * self.workers)  # bounded: frames are not read ahead without limit
        outbox = context.Queue()
        workers = [context.Process(target=_work, args=(self.runner, inbox, outbox), daemon=True)
                   for _ in range(self.workers)]
        for worker in workers:
            worker.start()
        outcomes, finished = [], []

        def collect(wait=0.0):
            """Take what the workers sent back: lists of outcomes, and FINISHED once each."""
            try:
                message = outbox.get(timeout=wait) if wait else outbox.get_nowait()
                while True:
                    if message == FINISHED:
                        finished.append(message)
                    else:
                        outcomes.extend(message)
                    message = outbox.get_nowait()
            except queue.Empty:
                pass
            progress(len(outcomes))

        def put(item):
            while True:
                try:
                    inbox.put(item, timeout=0.5)
                    return
                except queue.Full:
                    collect()
                    if not any(w.is_alive() for w in workers):
                        raise WorkerDied("every worker process has stopped") from None

        try:
            for item in self.runner.root_items():
                put(item)
                collect()
            for _ in workers:
                put(None)
            while len(finished) < len(workers):
                collect(wait=0.5)
                if len(finished) < len(workers) and not all(w.is_alive() for w in workers):
                    collect()  # a worker that ended normally has sent all it had
                    if len(finished) < len(workers):
                        break
            for worker in workers:
                worker.join(timeout=5)
            failed = [w.exitcode for w in workers if w.exitcode != 0]
            if failed:
                raise WorkerDied(f"a worker process ended with exit code {failed[0]}")
            return outcomes
        finally:
            for worker in workers:
                if worker.is_alive():
                    worker.terminate()


def _work(runner, inbox, outbox):
    """A worker: run the graph on each frame the main process hands over, and send back the outcomes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C for everyone
    parent = os.getppid()
    while True:
        try:
            item = inbox.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != parent:  # the main process was killed: do not go on writing alone
                return
            continue
        if item is None:
            break
        outbox.put(runner.run_one(item))
    outbox.put(runner.finish())
    outbox.put(FINISHED)
    outbox.close()
    outbox.join_thread()  # the outcomes reach the main process before this worker exits


def encode_frames(generators, workdir, already_encoded, engine, workers, progress=None):
    """Run the graph with `engine` (a loaded faces.FaceEngine).

    Returns (every sampled frame, a `Frame`, in order; [(frame path, reason)] of the frames that failed).
    """
    provider = FramesProvider("FramesProvider", generators=generators, already_encoded=already_encoded)
    encoder = FaceEncoder("FaceEncoder", workdir=workdir, engine=engine)
    store = DatastoreManager("DatastoreManager", workdir=workdir)
    outcomes = FacePipeline(provider | encoder | store, workers=workers).run(progress)
    failures = [(o["frame_path"], o["error"]) for o in outcomes if o["error"] is not None]
    return provider.frames, failures
