"""Stage 2: the pyPiper graph FramesProvider -> FaceEncoder -> DatastoreManager.

FramesProvider runs in the main process and decodes video while the worker
processes detect and encode faces, so extraction and encoding overlap.
"""

import multiprocessing
import os
import queue
import signal
import sys
from dataclasses import asdict
from itertools import chain

import cv2
from pyPiper import Node, Pipeline
from pyPiper.executors import STATE_CLOSED, Executor, ParallelExecutor2

from .datastore import frame_record, save_pickle
from .workfolder import WorkFolder


class FramesProvider(Node):
    """Root node: emits each sampled frame (a plain dict) that is not encoded yet."""

    def setup(self, generators, already_encoded=()):
        self.generators = generators
        self.already_encoded = set(already_encoded)
        self._frames = chain.from_iterable(generators)
        self.frames = []  # every sampled frame, encoded before or not, in order
        self.size = 0  # frames to encode so far known; pyPiper reads it for progress

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
            faces = self.engine.measure(image)
        except Exception as error:  # one bad frame must not stop the others; the run reports it
            print(f"Could not encode {frame['frame_path']}: {error}", file=sys.stderr, flush=True)
            return
        self.emit(frame_record(frame, faces))


class DatastoreManager(Node):
    """Writes one pickle per frame (atomically), faces or not."""

    def setup(self, workdir):
        self.folder = WorkFolder(workdir)
        os.makedirs(self.folder.encodings, exist_ok=True)

    def run(self, record):
        path = self.folder.frame_pickle(record["frame"]["frame_id"])
        try:
            save_pickle(path, record)
        except OSError as error:  # e.g. a full disk: the run reports the frames left without a pickle
            print(f"Could not save {path}: {error.strerror or error}", file=sys.stderr, flush=True)


class FacePipeline(Pipeline):
    """pyPiper's Pipeline, with workers that wait for frames instead of polling.

    pyPiper's ParallelExecutor2 gives each worker its own queue round-robin and
    has idle workers spin on `queue.empty()`, taking CPU from the decoder in
    the main process; this executor shares one bounded queue (no worker sits
    idle while another has a backlog) and blocks on it.
    """

    def __init__(self, graph, workers=1):
        super().__init__(graph, n_threads=1, quiet=True)
        if workers > 1:
            self._executor = _WaitingParallelExecutor(graph, workers)


class WorkerDied(RuntimeError):
    pass


class _WaitingParallelExecutor(ParallelExecutor2):
    def __init__(self, graph, n_threads):
        super().__init__(graph, n_threads, quiet=True)

    def run(self, update_callback=None):
        self._init_update(update_callback)
        context = multiprocessing.get_context("fork")  # workers inherit the loaded dlib models
        inbox = context.Queue(maxsize=2 * self.n_threads)  # bounded: frames are not read ahead without limit
        done = context.Value("i", 0)
        workers = [context.Process(target=_work, args=(self.graph, inbox, done), daemon=True) for _ in range(self.n_threads)]
        for worker in workers:
            worker.start()
        try:
            root = self.graph._root
            while root._state != STATE_CLOSED:
                root.state_transition()
                root._run(None)
                for parcel in root._output_buffer:
                    self._put(inbox, parcel, workers, done)
                root._output_buffer.clear()
                self._report(done)
            for _ in workers:
                self._put(inbox, None, workers, done)
            for worker in workers:
                while worker.is_alive():
                    worker.join(timeout=0.5)
                    self._report(done)
            failed = [w.exitcode for w in workers if w.exitcode != 0]
            if failed:
                raise WorkerDied(f"a worker process ended with exit code {failed[0]}")
        finally:
            for worker in workers:
                if worker.is_alive():
                    worker.terminate()

    def _put(self, inbox, parcel, workers, done):
        while True:
            try:
                inbox.put(parcel, timeout=0.5)
                return
            except queue.Full:
                self._report(done)
                if not any(w.is_alive() for w in workers):
                    raise WorkerDied("every worker process has stopped") from None

    def _report(self, done):
        self.progress_current = done.value
        self.progress_max = self.graph._root.size
        self.update_progress()


def _work(graph, inbox, done):
    """A worker: run pyPiper's serial executor on each frame the main process hands over."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C for everyone
    executor = Executor(graph, quiet=True)
    root = graph._root
    parent = os.getppid()
    while True:
        try:
            parcel = inbox.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != parent:  # the main process was killed: do not go on writing alone
                return
            continue
        if parcel is None:
            break
        for successor in graph._graph[root]:
            executor.send(root, successor, parcel)
        while any(executor.queues.values()):
            executor._step()
        with done.get_lock():
            done.value += 1
    root.close()
    while not executor.is_finished():
        root.state_transition()
        executor._step()


def encode_frames(generators, workdir, already_encoded, engine, workers, progress):
    """Run the graph with `engine` (a loaded faces.FaceEngine); return every sampled frame (a `Frame`), in order."""
    provider = FramesProvider("FramesProvider", generators=generators, already_encoded=already_encoded)
    encoder = FaceEncoder("FaceEncoder", workdir=workdir, engine=engine)
    store = DatastoreManager("DatastoreManager", workdir=workdir)
    FacePipeline(provider | encoder | store, workers=workers).run(update_callback=progress)
    return provider.frames
