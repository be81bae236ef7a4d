"""The work folder: every path a run reads or writes, spelt in one place.

    Frames/<source>/frame_000001.jpg   sampled frames          Frames/index.csv   their index
    Encodings/encodings_<id>.pickle    one per frame           Encodings/settings.json
    encodings.pickle                   all faces, collated
    ClusteredFaces/                    the people (its inside: clustered.py)
    Dataset/                           `main.py export` (its inside: export/)
    evaluation.json                    `main.py evaluate`
    review-answers.json                the review app's "different people" answers (common/answers.py)
    .cache/faces/                      the review app's face crops, derived from Frames/
    .workfolder-id                     this folder's identity, which copies of it share
"""

import contextlib
import fcntl
import glob
import os
import uuid

from .errors import UserError
from .files import write_text

FRAMES = "Frames"
ENCODINGS = "Encodings"
CLUSTERED = "ClusteredFaces"
DATASET = "Dataset"


class WorkFolder:
    """The folder given by --workdir; every path below it comes from here."""

    def __init__(self, path="."):
        self.path = str(path)

    def __repr__(self):
        return f"WorkFolder({self.path!r})"

    def __truediv__(self, relative):
        return os.path.join(self.path, relative)

    # Frames: paths relative to the work folder are what index.csv and faces.csv hold.
    @property
    def frames(self):
        return self / FRAMES

    @property
    def frames_index(self):
        return self / os.path.join(FRAMES, "index.csv")

    @staticmethod
    def frame_folder(source_name):
        """Frames/<source name>, relative to the work folder."""
        return f"{FRAMES}/{source_name}"

    @staticmethod
    def frame_file(source_name, number):
        """(frame id, frame path relative to the work folder) of sample `number` of a source."""
        return f"{source_name}_{number:06d}", f"{FRAMES}/{source_name}/frame_{number:06d}.jpg"

    # Encodings
    @property
    def encodings(self):
        return self / ENCODINGS

    @property
    def settings(self):
        return self / os.path.join(ENCODINGS, "settings.json")

    def frame_pickle(self, frame_id):
        return self / os.path.join(ENCODINGS, f"encodings_{frame_id}.pickle")

    def frame_pickle_ids(self):
        """The frame ids that have a pickle in Encodings/ (sorted)."""
        try:
            names = os.listdir(self.encodings)
        except FileNotFoundError:
            return []
        except PermissionError:
            raise UserError(f"Cannot read the folder {self.encodings}: permission denied.") from None
        return sorted(n[len("encodings_"):-len(".pickle")] for n in names
                      if n.startswith("encodings_") and n.endswith(".pickle"))

    @property
    def collated(self):
        return self / "encodings.pickle"

    # Results
    @property
    def clustered(self):
        return self / CLUSTERED

    @property
    def dataset(self):
        return self / DATASET

    @property
    def answers(self):
        """What a person answered in the review app (common/answers.py)."""
        return self / "review-answers.json"

    @property
    def review_cache(self):
        """Face crops the review app cut from the frames (derived: safe to delete)."""
        return self / os.path.join(".cache", "faces")

    @property
    def evaluation(self):
        return self / "evaluation.json"

    def identity(self):
        """A random id made once for this work folder; a copy of the folder has the same one, another folder not."""
        path = self / ".workfolder-id"
        try:
            with open(path, encoding="utf-8") as f:
                return f.read().strip()
        except FileNotFoundError:
            os.makedirs(self.path, exist_ok=True)
            write_text(path, uuid.uuid4().hex + "\n")
            return self.identity()

    @contextlib.contextmanager
    def lock(self, create=False):
        """Hold this work folder for one command. The OS releases the lock when the process ends, however it ends,
        so a killed run never leaves a stale lock. A missing folder is not locked unless `create`."""
        if not os.path.isdir(self.path):
            if not create:
                yield
                return
            try:
                os.makedirs(self.path, exist_ok=True)
            except OSError as error:
                raise UserError(f"Cannot write to {error.filename or self.path}: {error.strerror.lower()}.") from None
        path = self / ".lock"
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as error:
            raise UserError(f"Cannot write to {self.path}: {error.strerror.lower()}.") from None
        try:
            try:
                # A POSIX lock (lockf) belongs to this process alone: forked workers do not hold it, so it is
                # free the moment this process dies, however it dies.
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
                raise UserError(f"Another run (process {holder}) is using {self.path}; wait for it to finish, "
                                "or use another --workdir.") from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            yield
        finally:
            os.close(fd)

    def prepare(self):
        """Create the folder and check, before any work, that it and its Frames/ and Encodings/ can be written."""
        try:
            for folder in (self.path, self.frames, self.encodings):
                os.makedirs(folder, exist_ok=True)
                probe = os.path.join(folder, f".write-test-{os.getpid()}")
                with open(probe, "w"):
                    pass
                os.unlink(probe)
                os.listdir(folder)
        except OSError as error:
            raise UserError(f"Cannot write to {error.filename or self.path}: {error.strerror.lower()}.") from None

    def forget_encodings(self):
        """--fresh: remove this program's frames and encodings (never ClusteredFaces/, Dataset/ or anything else)."""
        owned = glob.glob(os.path.join(glob.escape(self.encodings), "encodings_*.pickle"))
        owned += glob.glob(os.path.join(glob.escape(self.frames), "*", "frame_*.jpg"))
        owned += [self.settings, self.frames_index, self.collated]
        for path in owned:
            if os.path.isfile(path):
                os.unlink(path)
