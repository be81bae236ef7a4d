"""Command line: `python main.py [footage ...] [options]`."""

import argparse
import os
import sys

from .errors import UserError

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DETECTORS = ("hog", "cnn")


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


def _jobs(text):
    value = _bounded(int)(text)
    if value == 0 or value < -1:
        raise argparse.ArgumentTypeError(f"{text} is out of range: use a count of 1 or more, or -1 for all cores")
    return value


def build_parser():
    from .run import Settings

    default = Settings()
    parser = _Parser(
        prog="main.py",
        description="Turn footage into folders of face portraits grouped by person, with YOLO annotations.",
    )
    parser.add_argument("inputs", nargs="*", metavar="FOOTAGE",
                        help="videos, images or folders of images (default: Footage.mp4)")
    parser.add_argument("--workdir", default=default.workdir,
                        help="folder for Frames/, Encodings/, encodings.pickle and ClusteredFaces/ (default: the current folder)")
    parser.add_argument("--every", type=_positive(float, unit="s"), default=default.every, metavar="SECONDS",
                        help="sample one frame per this many seconds of video, e.g. 1 or 0.5s (default: %(default)s)")
    parser.add_argument("--max-width", type=_bounded(int, 16), default=default.max_width,
                        help="frames are shrunk, aspect kept, to at most this width (default: %(default)s)")
    parser.add_argument("--max-height", type=_bounded(int, 16), default=default.max_height,
                        help="... and at most this height (default: %(default)s)")
    parser.add_argument("--workers", type=_bounded(int, 1, 256), default=default.workers,
                        help="processes that detect and encode faces (default: all cores, here %(default)s)")
    parser.add_argument("--detector", choices=DETECTORS, default=default.detector,
                        help="face detector: hog is fast on a CPU; cnn finds more faces (turned, small) at many times the cost, see the README (default: %(default)s)")
    parser.add_argument("--upsample", type=_bounded(int, 0, 4), default=default.upsample,
                        help="times to enlarge a frame 2x before detecting: finds smaller faces, at several times the cost (default: %(default)s)")
    parser.add_argument("--eps", type=_positive(float), default=default.eps,
                        help="largest encoding distance at which two faces are neighbours; dlib's same-person limit is 0.6 (default: %(default)s)")
    parser.add_argument("--min-samples", type=_bounded(int, 1), default=default.min_samples,
                        help="faces within --eps (itself included) a face needs to start a person's cluster (default: %(default)s)")
    parser.add_argument("--jobs", type=_jobs, default=default.jobs,
                        help="parallel jobs for clustering, -1 for all cores (default: %(default)s)")
    parser.add_argument("--fresh", action="store_true",
                        help="delete this work folder's frames and encodings and start over")
    parser.add_argument("--force", action="store_true",
                        help="replace a ClusteredFaces/ you have edited (it is moved aside, never deleted)")
    parser.add_argument("--no-progress", dest="progress", action="store_false",
                        help="hide the progress bars")
    return parser


def default_inputs():
    for candidate in ("Footage.mp4", os.path.join(HERE, "Footage.mp4")):
        if os.path.exists(candidate):
            return [candidate]
    return ["Footage.mp4"]


def main(argv=None):
    args = build_parser().parse_args(argv)
    from .run import Settings, run

    settings = Settings(**{k: v for k, v in vars(args).items() if k != "inputs"})
    try:
        return run(args.inputs or default_inputs(), settings)
    except UserError as error:
        print(error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted; the frames encoded so far are kept in Encodings/ and a rerun resumes from there.", file=sys.stderr)
        return 130
