"""The whole job: footage in, ClusteredFaces/ out. main.py parses flags and calls `run`."""

import hashlib
import importlib
import os
import sys
import threading
from dataclasses import asdict, replace

import numpy as np
from tqdm import tqdm

from .clustering.algorithms import ALGORITHMS, UNCLUSTERED, silhouette
from .clustering.people import assign_people, encoder_of
from .common.errors import UserError
from .common.words import plural
from .common.workfolder import WorkFolder
from .encoding.datastore import (
    PicklesListCollator,
    check_settings,
    encoded_frame_ids,
    load_collated,
    recorded_sources,
)
from .encoding.pipeline import WorkerDied, encode_frames
from .output.clustered import check_replaceable, is_edited
from .output.portraits import FaceImageGenerator
from .review.incremental import add_new_faces
from .review.page import write_review_page
from .sampling.frames import FramesGenerator, list_images, source_names, write_index


def next_steps(workdir):
    """The run's last line: what a person does next."""
    where = "" if os.path.abspath(workdir) == os.path.abspath(".") else f" --workdir {workdir}"
    return (f"Next: 'python main.py review{where}' opens the review app in your browser (name people, merge, fix), "
            f"then 'python main.py export{where}' writes the training set.")


def run(sources, settings):
    """Run every stage on `sources`; return the process exit code (0, or 1 if some input was only partly usable)."""
    workdir = settings.workdir
    folder = WorkFolder(workdir)
    folder.prepare()
    estimate = sum(FramesGenerator(source, "", workdir, **asdict(settings.sampling)).probe() for source in sources)
    engine = settings.encoding.engine()
    if settings.fresh:
        folder.forget_encodings()
    # Two cameras often both write clip.mp4: a source takes the name an earlier run gave the same content,
    # else the first free one (clip, clip_2, ...), in this run or a later one alike.
    fingerprints = [fingerprint(source) for source in sources]
    names = source_names(sources, [content_of(f) for f in fingerprints],
                         {name: content_of(f) for name, f in recorded_sources(workdir).items()})
    generators = [FramesGenerator(source, name, workdir, **asdict(settings.sampling)) for source, name in zip(sources, names)]
    check_settings(workdir, dict(asdict(settings.sampling), **engine.settings(), sources=dict(zip(names, fingerprints))))
    already_encoded = encoded_frame_ids(workdir)

    frames, failures = encode_with_progress(generators, already_encoded, estimate, engine, settings)
    problems = [problem for generator in generators for problem in generator.problems]
    if not frames:
        raise UserError("No frame could be read from the input; nothing was encoded.")
    if failures:
        first, reason = failures[0]
        raise UserError(
            f"{len(failures)} of {len(frames)} frames could not be encoded (first: {first}: {reason}); "
            "the others are saved in Encodings/ and a rerun retries only these."
        )

    frames = earlier_frames(workdir, frames) + frames
    write_index(workdir, frames)
    table = PicklesListCollator(
        [folder.frame_pickle(frame.frame_id) for frame in frames], encoder=engine.encoder.name,
        progress=settings.progress,
    ).collate(folder.collated)
    return cluster_and_write(table, settings, problems)


def earlier_frames(workdir, frames):
    """Frames of footage an earlier run in this work folder encoded, other than this run's, in their order.

    A work folder accumulates footage: running main.py on day2.mp4 after day1.mp4
    clusters both days together.
    """
    folder = WorkFolder(workdir)
    if not os.path.exists(folder.collated):
        return []
    current = {frame.frame_id for frame in frames}
    return [
        frame for frame in load_collated(folder.collated).frames
        if frame.frame_id not in current and os.path.exists(folder.frame_pickle(frame.frame_id))
    ]


def recluster(settings, suggest_eps=False):
    """`main.py cluster`: cluster encodings.pickle again with new settings, without encoding anything."""
    folder = WorkFolder(settings.workdir)
    path = folder.collated
    if not os.path.exists(path):
        raise UserError(f"There is no {path}; run main.py on your footage first.")
    table = load_collated(path)
    if suggest_eps:
        print_eps_table(table, settings)
        return 0
    check_replaceable(folder.clustered, settings.force)
    return cluster_and_write(table, settings)


def cluster_and_write(table, settings, problems=()):
    """Cluster the faces of a FaceTable and write ClusteredFaces/; return the exit code."""
    if not len(table):
        print(f"No faces found in {plural(len(table.frames), 'frame')}; no clusters written.")
        return report(problems)
    clustered = WorkFolder(settings.workdir).clustered
    if os.path.exists(clustered) and is_edited(clustered) and not settings.force:
        print(add_new_faces(table, settings, settings.progress))
        print(next_steps(settings.workdir))
        return report(problems)
    assignment = assign_people(table, settings.clustering, settings.workdir)
    unclustered = sum(1 for c, r in zip(assignment.clusters.tolist(), assignment.rejected) if c == UNCLUSTERED and not r)
    rejected = sum(1 for r in assignment.rejected if r)
    print(f"Found {plural(len(table), 'face')} in {plural(len(table.frames), 'frame')}: "
          f"{plural(assignment.people, 'person', 'people')}, {plural(unclustered, 'face')} unclustered"
          + (f", {plural(rejected, 'face')} below the quality gate." if rejected else "."))
    score = silhouette(assignment.features, assignment.clusters)
    if score is not None:
        print(f"Silhouette of the clusters: {score:.3f} (1 is best; near 0, clusters overlap).")
    FaceImageGenerator(progress=settings.progress).generate(table, assignment, settings.workdir, settings.force)
    write_review_page(clustered)
    print(f"Portraits, annotations and montages are in {clustered}/.")
    print(next_steps(settings.workdir))
    return report(problems)


def print_eps_table(table, settings):
    """--suggest-eps: how people found and unclustered faces change with eps, over the encoder's range."""
    encoder = encoder_of(table)
    low, high = encoder.eps_range
    clustering = settings.clustering
    print(f"{plural(len(table), 'face')}, --encoder {encoder.name}, --algorithm {clustering.algorithm}, "
          f"--min-samples {clustering.min_samples} (default eps {encoder.same_person})")
    print("eps   people  unclustered")
    for eps in np.arange(low, high + 0.001, 0.05):
        assignment = assign_people(table, replace(clustering, eps=round(float(eps), 2)), settings.workdir)
        share = float((assignment.clusters == UNCLUSTERED).mean()) if len(table) else 0.0
        print(f"{eps:4.2f}  {assignment.people:6d}  {share:10.1%}")


def report(problems):
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


def content_of(fingerprint):
    """The part of a fingerprint that is the content: a file moved elsewhere is the same source."""
    return {k: v for k, v in fingerprint.items() if k != "path"}


def fingerprint(source):
    """Identifies a source's content cheaply (and where it was), so a rerun never reuses frames of a different file."""
    if os.path.isdir(source):
        listing = "\n".join(f"{os.path.relpath(p, source)}:{os.path.getsize(p)}" for p in list_images(source))
        return {"path": os.path.abspath(source), "images": hashlib.sha1(listing.encode()).hexdigest()}
    digest = hashlib.sha1()
    with open(source, "rb") as f:
        digest.update(f.read(1 << 16))
    return {"path": os.path.abspath(source), "size": os.path.getsize(source), "head": digest.hexdigest()}


def warm_up_clustering(algorithm):
    """Import what clustering with `algorithm` needs in a background thread, while the workers encode.

    Started only once the workers exist: a process must not fork while another
    of its threads may hold the import lock.
    """
    def load():
        for name in ("scipy.spatial", *ALGORITHMS[algorithm].modules):
            importlib.import_module(name)

    threading.Thread(target=load, daemon=True).start()


def encode_with_progress(generators, already_encoded, estimate, engine, settings):
    todo = max(0, estimate - len(already_encoded))
    bar = tqdm(total=todo, desc="Encoding frames", unit="frame", disable=not settings.progress)
    warming = []

    def update(done):
        if not warming:
            warming.append(warm_up_clustering(settings.clustering.algorithm))
        bar.total = max(bar.total, done)
        bar.update(done - bar.n)

    try:
        if settings.encoding.dask:
            from .encoding.dask_workers import encode_on_dask  # Dask is imported only when asked for

            return encode_on_dask(generators, settings.workdir, already_encoded, engine, settings.encoding,
                                  asdict(settings.sampling), update)
        return encode_frames(
            generators, settings.workdir, already_encoded, engine, settings.encoding.workers, update
        )
    except WorkerDied as error:
        raise UserError(f"Encoding stopped because {error}; the frames encoded so far are kept and a rerun resumes.") from None
    finally:
        bar.total = bar.n
        bar.close()
