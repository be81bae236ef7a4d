"""Stage 2 on a Dask cluster (--dask): workers sample, detect and encode parts of the footage; only this process writes.

A task is a part of one source: a run of a video's samples (located beforehand from its packet
times, see sampling.frames.plan_samples) or of a folder's images. The worker decodes just that
part, detects and encodes as a local run does, and sends back each frame's JPEG bytes and face
records. This process writes them to Frames/ and Encodings/ with the same atomic per-frame files
as a local run, so a killed run resumes the same way, and a worker that dies loses only its task,
which Dask gives to another worker. Imported only when --dask is given.
"""

import math
import os
import socket
import threading
from dataclasses import asdict, dataclass

import cv2
import numpy as np

from ..common.errors import UserError
from ..common.files import remove_stale_temporaries, write_bytes
from ..common.workfolder import WorkFolder
from ..sampling.frames import Frame, FramesGenerator, frame_jpeg, is_image_file, list_images, plan_samples
from .datastore import frame_record, save_pickle

WAIT_FOR_WORKERS = 60  # seconds a scheduler may have no workers before the run gives up


@dataclass(frozen=True)
class Part:
    """One task: part of one source, as the workers see it."""

    position: int  # the source's place in this run's list of sources
    source: str  # absolute path: workers must see the footage at the same path
    name: str  # the source's name in Frames/
    sampling: dict  # SamplingSettings as a dict
    plan: object  # PlannedFrames of a video, a range of image positions, or None: the whole source
    to_the_end: bool  # the last part of a truncated video: walked from its start (see FramesGenerator.images)
    encoded: frozenset  # frame ids this process has a pickle for: their faces are not measured again
    saved: frozenset  # frame ids whose JPEG this process has: not sent back

    def describe(self):
        if self.plan is None or not len(self.plan):
            return self.source
        if isinstance(self.plan, range):
            return f"{self.source} (images {self.plan.start + 1} to {self.plan.stop})"
        first, last = self.plan[0].timestamp, self.plan[-1].timestamp
        return f"{self.source} ({first:.0f} s to {last:.0f} s)" if last > first else f"{self.source} (at {first:.0f} s)"


def split(generators, workdir, already_encoded, sampling, part_seconds, workers):
    """The parts of every source, in source and time order, sized so every worker gets several."""
    pieces = []  # (position, absolute path, generator, plan, samples in the source, truncated?)
    for position, generator in enumerate(generators):
        remove_stale_temporaries(os.path.join(workdir, generator.folder))  # as a local run's generator does
        source = os.path.abspath(generator.source)
        if os.path.isdir(source) or is_image_file(source):
            count = len(list_images(source)) if os.path.isdir(source) else 1
            pieces.append((position, source, generator, range(count), count, False))
        else:
            plan, truncated = plan_samples(source, generator.every)
            pieces.append((position, source, generator, plan, len(plan) if plan else 1, truncated is not None))
    total = sum(piece[4] for piece in pieces)
    per_part = max(1, min(round(part_seconds / sampling["every"]), math.ceil(total / (4 * max(1, workers)))))
    parts = []
    for position, source, generator, plan, count, truncated in pieces:
        if plan is None:  # its packet times cannot place frames: one task walks it all, sending every JPEG
            ours = {i for i in already_encoded if i.startswith(generator.name + "_")}
            parts.append(Part(position, source, generator.name, sampling, None, False, frozenset(ours), frozenset()))
            continue
        for start in range(0, count, per_part):
            chunk = plan[start:start + per_part]
            numbers = [n + 1 for n in chunk] if isinstance(chunk, range) else [p.number for p in chunk]
            files = [WorkFolder.frame_file(generator.name, n) for n in numbers]
            # Only the part's own frame ids travel with it.
            encoded = frozenset(i for i, _ in files if i in already_encoded)
            saved = frozenset(i for i, path in files if os.path.exists(os.path.join(workdir, path)))
            parts.append(Part(position, source, generator.name, sampling, chunk,
                              truncated and start + per_part >= count, encoded, saved))
    return parts


# --- On the worker ------------------------------------------------------------------------------

_loaded = threading.local()  # each worker thread's engines: OpenCV's networks are not shared between threads


def _engine(encoding):
    cache = _loaded.__dict__.setdefault("engines", {})
    key = (encoding.detector, encoding.encoder, encoding.upsample, encoding.models)
    if key not in cache:
        engine = encoding.engine()
        cache[key] = (engine, engine.settings())
    return cache[key]


def _where():
    try:
        from distributed import get_worker

        return f"Dask worker {get_worker().address} ({socket.gethostname()})"
    except ValueError:  # not on a worker (called directly)
        return f"this computer ({socket.gethostname()})"


def encode_part(part, encoding, expected):
    """Decode, detect and encode one part; return {"frames": [(frame, jpeg, record, error)], "problems": [...]}.

    jpeg is None where this process has the frame's JPEG already; record is None where it has the
    pickle. expected: the engine settings of this process, which the worker's must equal.
    """
    if not os.path.exists(part.source):
        raise UserError(f"{_where()} cannot find {part.source}; every worker needs the footage at the same "
                        "path (a shared or mounted folder).")
    engine, settings = _engine(encoding)
    if settings != expected:
        raise UserError(f"{_where()} has other face models than this computer ({settings} instead of "
                        f"{expected}); install the same requirements on every worker.")
    generator = FramesGenerator(part.source, part.name, "", **part.sampling)
    wanted = lambda frame: not (frame.frame_id in part.encoded and frame.frame_id in part.saved)  # noqa: E731
    results = []
    try:
        for frame, image in generator.images(wanted, part.plan, part.to_the_end):
            if image is None:
                results.append((asdict(frame), None, None, None))
                continue
            jpeg = frame_jpeg(frame, image)
            record, error = None, None
            if frame.frame_id not in part.encoded:
                try:
                    # The faces of the saved JPEG, as a local run measures them.
                    record = frame_record(asdict(frame), engine.measure(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)))
                except Exception as failure:  # one bad frame must not stop the others
                    error = str(failure) or type(failure).__name__
            results.append((asdict(frame), None if frame.frame_id in part.saved else jpeg, record, error))
    except UserError as problem:
        raise UserError(f"{_where()}: {problem}") from None
    return {"frames": results, "problems": generator.problems}


# --- On the client --------------------------------------------------------------------------------

def connect(address):
    """(Dask client, the LocalCluster it started or None) for --dask local[:N] or a scheduler's address."""
    from distributed import Client, LocalCluster

    if address == "local" or address.startswith("local:"):
        count = address.partition(":")[2]  # checked by the command line
        cluster = LocalCluster(n_workers=int(count) if count else (os.cpu_count() or 1), threads_per_worker=1,
                               processes=True)
        return Client(cluster), cluster
    try:
        return Client(address, timeout="10s"), None
    except (OSError, TimeoutError, ValueError) as error:
        raise UserError(f"Cannot reach a Dask scheduler at {address} ({error}).") from None


def encode_on_dask(generators, workdir, already_encoded, engine, encoding, sampling, progress=None):
    """Stage 2 on Dask: like pipeline.encode_frames, returns (every sampled frame, in order; [(frame path, reason)])."""
    from distributed import KilledWorker, as_completed

    progress = progress or (lambda done: None)
    folder = WorkFolder(workdir)
    os.makedirs(folder.encodings, exist_ok=True)
    client, cluster = connect(encoding.dask)
    try:
        try:
            client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS)
        except TimeoutError:
            raise UserError(f"The Dask scheduler at {encoding.dask} has had no workers for {WAIT_FOR_WORKERS} s; "
                            f"start some (make worker SCHEDULER={encoding.dask}).") from None
        print(f"Dask: {sum(client.nthreads().values())} worker threads; dashboard at {client.dashboard_link}")
        parts = split(generators, workdir, already_encoded, sampling, encoding.dask_part_seconds,
                      sum(client.nthreads().values()))
        futures = client.map(encode_part, parts, encoding=encoding, expected=engine.settings(), pure=False)
        part_of = {future.key: part for future, part in zip(futures, parts)}
        order = {future.key: n for n, future in enumerate(futures)}
        received, failures, done = {}, [], 0
        try:
            for future, result in as_completed(futures, with_results=True, raise_errors=False):
                part = part_of[future.key]
                if future.status == "error":
                    raise _stopped(part, result[1], KilledWorker)
                frames = []
                for frame, jpeg, record, error in result["frames"]:
                    frames.append(Frame(**frame))
                    error = error or _save(folder, workdir, frame, jpeg, record)
                    if error:
                        failures.append((frame["frame_path"], error))
                    if frame["frame_id"] not in already_encoded:
                        done += 1
                received[order[future.key]] = frames
                generators[part.position].problems.extend(result["problems"])
                future.release()  # written: the cluster need not keep the part's JPEGs any longer
                progress(done)
        finally:
            client.cancel(futures)
        return [frame for n in sorted(received) for frame in received[n]], failures
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _save(folder, workdir, frame, jpeg, record):
    """Write one frame's JPEG and pickle (atomically, as a local run); the reason it failed, or None."""
    try:
        if jpeg is not None:
            target = os.path.join(workdir, frame["frame_path"])
            if not os.path.exists(target):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                write_bytes(target, jpeg)
        if record is not None:
            save_pickle(folder.frame_pickle(frame["frame_id"]), record)
    except OSError as failure:  # e.g. a full disk
        return f"could not save it ({failure.strerror or failure})"
    return None


def _stopped(part, error, killed_worker):
    """The one sentence that ends the run when a task failed on the workers."""
    if isinstance(error, UserError):  # the worker's own sentence
        return error
    saved = "the frames received so far are saved and a rerun resumes"
    if isinstance(error, killed_worker):
        return UserError(f"Dask gave up on {part.describe()}: the workers running it died again and again; {saved}.")
    cannot_import = isinstance(error, ModuleNotFoundError) and (error.name or "").startswith("facecluster")
    if cannot_import or "deserializ" in str(error):  # the scheduler unpickles tasks too
        return UserError("The Dask scheduler or a worker cannot load this program's tasks: start them with this "
                         "project on their PYTHONPATH and the same requirements, as make scheduler and make worker "
                         f"do (see the README, 'Many machines'); {saved}.")
    return UserError(f"A Dask worker failed on {part.describe()} ({type(error).__name__}: {error}); {saved}.")
