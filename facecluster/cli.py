"""Command line.

    python main.py [FOOTAGE ...] [options]        the whole job
    python main.py cluster [options]              cluster encodings.pickle again (--suggest-eps: a table)
    python main.py evaluate --truth T             score faces.csv against known identities
    python main.py export                         the reviewed folders as a YOLO training set
    python main.py review                         the review app (--list: likely merges and doubtful faces)
"""

import argparse
import errno
import math
import os
import sys

from .common.errors import UserError
from .common.workfolder import CLUSTERED, WorkFolder

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        """One sentence instead of argparse's usage block."""
        print(f"{self.prog}: {message.removeprefix('argument ')} (see --help).", file=sys.stderr)
        sys.exit(2)


def _bounded(kind, low=None, high=None, unit=""):
    def parse(text):
        value_text = text[: -len(unit)] if unit and text.endswith(unit) else text
        try:
            value = kind(value_text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {'whole ' if kind is int else ''}number") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text} is not a finite number")
        if (low is not None and value < low) or (high is not None and value > high):
            limits = {(True, True): f"from {low} to {high}", (True, False): f"at least {low}", (False, True): f"at most {high}"}
            raise argparse.ArgumentTypeError(f"{text} is out of range: it must be {limits[(low is not None, high is not None)]}")
        return value
    return parse


def _positive(kind, unit=""):
    def parse(text):
        value = _bounded(kind, unit=unit)(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text} is out of range: it must be greater than 0")
        return value
    return parse


def _dask_address(text):
    count = text.partition(":")[2] if text.startswith("local:") else "1"
    if text != "local" and not text.startswith("local:") and ":" not in text:
        raise argparse.ArgumentTypeError(f"{text!r} is not a scheduler address (tcp://host:8786) or local[:N]")
    if not count.isdigit() or int(count) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: after local: give a number of workers, e.g. local:4")
    return text


def _jobs(text):
    value = _bounded(int)(text)
    if value == 0 or value < -1:
        raise argparse.ArgumentTypeError(f"{text} is out of range: use a count of 1 or more, or -1 for all cores")
    return value


def _workdir_option(parser, default):
    parser.add_argument("--workdir", default=default.workdir,
                        help="folder for Frames/, Encodings/, encodings.pickle and ClusteredFaces/ (default: the current folder)")


def _cluster_options(parser, default):
    from .clustering.algorithms import ALGORITHMS
    from .clustering.people import FEATURES
    from .encoding.encoders import ENCODERS

    group = parser.add_argument_group("clustering")
    group.add_argument("--algorithm", choices=ALGORITHMS, default=default.clustering.algorithm,
                       help="how faces are grouped into people: "
                            + "; ".join(f"{name}: {a.summary}" for name, a in ALGORITHMS.items())
                            + " (default: %(default)s)")
    group.add_argument("--eps", type=_positive(float), default=default.clustering.eps,
                       help="largest encoding distance at which two faces count as one person, on the encoder's "
                            "scale (default: the encoder's own, "
                            + ", ".join(f"{name} {e.same_person}" for name, e in ENCODERS.items()) + ")")
    group.add_argument("--min-samples", type=_bounded(int, 1), default=default.clustering.min_samples,
                       help="faces a person needs to get a folder; for dbscan, faces within --eps (itself included) "
                            "a face needs to start one (default: %(default)s)")
    group.add_argument("--people", type=_bounded(int, 1), default=default.clustering.people,
                       help="the number of people, if known (for kmeans and gmm)")
    group.add_argument("--pca", type=_bounded(int, 1, 128), default=default.clustering.pca, metavar="N",
                       help="reduce features to N dimensions before clustering (default: keep all)")
    group.add_argument("--features", choices=FEATURES, default=default.clustering.features,
                       help="cluster on the encoder's encodings or on dlib's normalized 68-landmark shapes (default: %(default)s)")
    group.add_argument("--no-tracks", dest="tracks", action="store_false",
                       help="cluster every face on its own instead of following faces from one sampled frame to the next")
    group.add_argument("--min-face", type=_bounded(int, 0), default=default.clustering.min_face, metavar="PIXELS",
                       help="keep faces smaller than this out of clustering, in LowQuality/ (default: %(default)s, off)")
    group.add_argument("--min-sharpness", type=_bounded(float, 0), default=default.clustering.min_sharpness,
                       help="keep faces whose variance of the Laplacian is below this out of clustering, in "
                            "LowQuality/ (default: %(default)s, off)")
    group.add_argument("--jobs", type=_jobs, default=default.clustering.jobs,
                       help="parallel jobs for clustering, -1 for all cores (default: %(default)s)")


def _common_flags(parser):
    parser.add_argument("--force", action="store_true",
                        help="replace a ClusteredFaces/ you have edited (it is moved aside, never deleted)")
    parser.add_argument("--no-progress", dest="progress", action="store_false", help="hide the progress bars")


def run_parser(default):
    parser = _Parser(
        prog="main.py",
        description="Turn footage into folders of face portraits grouped by person, with YOLO annotations. "
                    "Also: 'main.py cluster --help', 'main.py evaluate --help', 'main.py export --help', "
                    "'main.py review --help'.",
    )
    parser.add_argument("inputs", nargs="*", metavar="FOOTAGE",
                        help="videos, images or folders of images (default: Footage.mp4)")
    _workdir_option(parser, default)
    parser.add_argument("--every", type=_positive(float, unit="s"), default=default.sampling.every, metavar="SECONDS",
                        help="sample one frame per this many seconds of video, e.g. 1 or 0.5s (default: %(default)s)")
    parser.add_argument("--max-width", type=_bounded(int, 16), default=default.sampling.max_width,
                        help="frames are shrunk, aspect kept, to at most this width (default: %(default)s)")
    parser.add_argument("--max-height", type=_bounded(int, 16), default=default.sampling.max_height,
                        help="... and at most this height (default: %(default)s)")
    parser.add_argument("--workers", type=_bounded(int, 1, 256), default=default.encoding.workers,
                        help="processes that detect and encode faces (default: all cores, here %(default)s)")
    from .encoding.detectors import DETECTORS
    from .encoding.encoders import ENCODERS

    parser.add_argument("--detector", choices=DETECTORS, default=default.encoding.detector,
                        help="face detector: yunet is fast and finds turned, small and dim faces; hog (dlib, the "
                             "design card's) finds frontal faces; cnn (dlib) finds more than hog at many times the "
                             "cost; see the README (default: %(default)s)")
    parser.add_argument("--encoder", choices=ENCODERS, default=default.encoding.encoder,
                        help="face encoder: sface tells people apart best and needs --detector yunet; dlib (the "
                             "design card's) works with every detector (default: %(default)s)")
    parser.add_argument("--models", metavar="DIR", default=default.encoding.models,
                        help="a folder with your own ONNX models, one *yunet*.onnx and one *sface*.onnx, e.g. the "
                             "float32 ones of the OpenCV model zoo (default: the ones installed with the program)")
    parser.add_argument("--upsample", type=_bounded(int, 0, 4), default=default.encoding.upsample,
                        help="times to enlarge a frame 2x before detecting: finds smaller faces, at several times "
                             "the cost (default: the detector's own, "
                            + ", ".join(f"{name} {d.default_upsample}" for name, d in DETECTORS.items()) + ")")
    parser.add_argument("--fresh", action="store_true",
                        help="delete this work folder's frames and encodings and start over")
    group = parser.add_argument_group("Dask (many machines)")
    group.add_argument("--dask", metavar="ADDRESS", type=_dask_address, default=default.encoding.dask,
                       help="detect and encode on a Dask cluster: a scheduler's address (tcp://host:8786), or local[:N] "
                            "for N worker processes on this computer; workers need the footage at the same path")
    group.add_argument("--dask-part", dest="dask_part_seconds", type=_positive(float, unit="s"),
                       default=default.encoding.dask_part_seconds, metavar="SECONDS",
                       help="seconds of video per Dask task; short footage is cut finer so every worker gets "
                            "parts (default: %(default)s)")
    _cluster_options(parser, default)
    _common_flags(parser)
    return parser


def cluster_parser(default):
    parser = _Parser(prog="main.py cluster",
                     description="Cluster encodings.pickle again with new settings, without encoding anything again.")
    _workdir_option(parser, default)
    parser.add_argument("--suggest-eps", action="store_true",
                        help="print how people found and unclustered faces change with --eps, and write nothing")
    _cluster_options(parser, default)
    _common_flags(parser)
    return parser


def evaluate_parser(default):
    parser = _Parser(prog="main.py evaluate",
                     description="Score ClusteredFaces/faces.csv against known identities.")
    _workdir_option(parser, default)
    parser.add_argument("--truth", required=True,
                        help="a folder of <person>/<image> (for image-folder input), or a JSON file of faces per "
                             "video frame (see the README)")
    parser.add_argument("--json", metavar="PATH",
                        help="where to write the scores as JSON (default: evaluation.json in the work folder)")
    parser.add_argument("--no-progress", dest="progress", action="store_false", help="accepted for symmetry; evaluate is quick")
    return parser


def export_parser(default):
    from .common.workfolder import CLUSTERED, DATASET
    from .export import FORMATS

    def formats(text):
        chosen = [f.strip() for f in text.split(",") if f.strip()]
        unknown = [f for f in chosen if f not in FORMATS]
        if unknown or not chosen:
            raise argparse.ArgumentTypeError(f"{text!r} is not a list of {' and '.join(FORMATS)}")
        return chosen

    parser = _Parser(prog="main.py export",
                     description="Turn the folders you reviewed into a YOLO training set (Darknet and Ultralytics).")
    _workdir_option(parser, default)
    parser.add_argument("--clustered", default=CLUSTERED, help="the reviewed folder (default: %(default)s)")
    parser.add_argument("--out", default=DATASET, help="the dataset folder to write or update (default: %(default)s)")
    parser.add_argument("--val", type=_bounded(float, 0, 0.9), default=0.2,
                        help="share of time blocks that go to validation (default: %(default)s)")
    names = parser.add_mutually_exclusive_group()
    names.add_argument("--named-only", dest="include_unnamed", action="store_false", default=False,
                       help="only folders you named are classes; frames holding other faces are left out (the default)")
    names.add_argument("--include-unnamed", dest="include_unnamed", action="store_true",
                       help="Face_<n> folders are classes too, and other faces take the class unknown_face")
    parser.add_argument("--format", dest="formats", type=formats, default=list(FORMATS),
                        help="darknet, ultralytics or both, comma-separated (default: both)")
    parser.add_argument("--negatives", type=_bounded(float, 0, 0.9), default=0.1,
                        help="at most this share of the images are frames with no face, with empty label files (default: %(default)s)")
    parser.add_argument("--block", type=_positive(float, unit="s"), default=10.0, metavar="SECONDS",
                        help="frames within one block of this many seconds of a video go to the same split (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the train/val split (default: %(default)s)")
    parser.add_argument("--no-progress", dest="progress", action="store_false", help="accepted for symmetry")
    return parser


def review_parser(default):
    parser = _Parser(prog="main.py review",
                     description="Open the review app in your browser: name people, answer 'same person?', move "
                                 "wrong faces, undo. It changes only ClusteredFaces/, as you could by hand.")
    _workdir_option(parser, default)
    parser.add_argument("--no-browser", dest="browser", action="store_false",
                        help="print the address without opening a browser (e.g. on a remote shell)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: %(default)s, this computer only; another one lets "
                             "other computers in, with a warning)")
    parser.add_argument("--port", type=_bounded(int, 0, 65535), default=0,
                        help="port to listen on (default: a free one)")
    parser.add_argument("--list", action="store_true",
                        help="print the likely merges and doubtful faces instead, and rewrite index.html")
    parser.add_argument("--no-progress", dest="progress", action="store_false", help="accepted for symmetry")
    return parser


def default_inputs():
    for candidate in ("Footage.mp4", os.path.join(HERE, "Footage.mp4")):
        if os.path.exists(candidate):
            return [candidate]
    return ["Footage.mp4"]


def _settings(args):
    from .clustering.algorithms import ALGORITHMS
    from .encoding.encoders import combination_problem
    from .settings import Settings

    settings = Settings.from_flags(**vars(args))
    if ALGORITHMS[settings.clustering.algorithm].needs_people and settings.clustering.people is None:
        _refuse(f"--algorithm {settings.clustering.algorithm} needs the number of people, --people K")
    problem = combination_problem(settings.encoding.detector, settings.encoding.encoder)
    if problem:
        _refuse(problem.rstrip("."))
    return settings


def _refuse(sentence):
    """A flag combination that cannot work: one sentence, exit 2 like any bad flag."""
    print(f"main.py: {sentence} (see --help).", file=sys.stderr)
    sys.exit(2)


def _recover(args):
    """Finish or remove what a killed run left half-added (under the work folder's lock)."""
    from .output.clustered import recover
    from .review.page import write_review_page

    clustered = os.path.join(args.workdir, getattr(args, "clustered", CLUSTERED))
    if recover(clustered):
        write_review_page(clustered)


def _command(command, args):
    _recover(args)
    if command == "cluster":
        from .run import recluster

        return recluster(_settings(args), suggest_eps=args.suggest_eps)
    if command == "evaluate":
        from .review.evaluate import evaluate_run

        return evaluate_run(args.workdir, args.truth, args.json)
    if command == "review":
        from .review.page import write_review_page
        from .review.suggest import suggestion_lines

        for line in suggestion_lines(args.workdir):
            print(line)
        write_review_page(WorkFolder(args.workdir).clustered)  # the page shows the same, with the faces
        return 0
    if command == "export":
        from .export import export
        from .review.page import write_review_page

        for line in export(args.workdir, args.clustered, args.out, args.val, args.include_unnamed, args.formats,
                           args.negatives, args.block, args.seed):
            print(line)
        write_review_page(os.path.join(args.workdir, args.clustered))  # the page shows the folders' new names
        return 0
    from .run import run

    return run(args.inputs or default_inputs(), _settings(args))


def main(argv=None):
    from .settings import Settings

    argv = sys.argv[1:] if argv is None else list(argv)
    command = argv[0] if argv and argv[0] in ("cluster", "evaluate", "export", "review") else None
    default = Settings()
    parsers = {"cluster": cluster_parser, "evaluate": evaluate_parser, "export": export_parser, "review": review_parser}
    parser = parsers.get(command, run_parser)
    args = parser(default).parse_args(argv[1:] if command else argv)
    try:
        # One command at a time per work folder; `run` makes the folder, the others need it to exist already.
        if command == "review" and not args.list:  # the app takes the lock for each change, not for its lifetime
            from .reviewapp.app import serve

            with WorkFolder(args.workdir).lock():
                _recover(args)
            return serve(args.workdir, args.host, args.port, args.browser)
        with WorkFolder(args.workdir).lock(create=command is None):
            return _command(command, args)
    except UserError as error:
        print(error, file=sys.stderr)
        return 1
    except BrokenPipeError:  # `main.py ... | head`: the reader has gone; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as error:  # a full disk, a folder that went away: what was finished is on disk
        where = error.filename or args.workdir
        what = "the disk is full" if error.errno == errno.ENOSPC else (error.strerror or str(error)).lower()
        print(f"Could not write {where}: {what}; what was finished before is kept in {args.workdir}, "
              "and a rerun resumes from there.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted; the frames encoded so far are kept in Encodings/ and a rerun resumes from there.", file=sys.stderr)
        return 130
