"""FaceTable: every face of a run as columns, the one form faces take from the collator to the portraits.

Row i is face i, faces in frame order. Clustering, tracks, the quality gate,
portraits and incremental runs all read these columns; encodings.pickle is
this table on disk. (faces.csv, for people, keeps its own columns: clustered.py.)
"""

from dataclasses import asdict, dataclass, field

import numpy as np

from ..sampling.frames import Frame

FORMAT = "facecluster.encodings/2"
LEGACY_FORMAT = "facecluster.encodings/1"  # one dict per face; read, never written


@dataclass
class FaceTable:
    """frames: the sampled frames (frames.Frame), in sampling order; the other fields are columns of N faces.

    frame: (N,) index into frames of each face's frame.
    boxes: (N, 4) ints, (top, right, bottom, left) in the saved frame's pixels.
    encodings: (N, D) floats, made by the encoder named `encoder` (encoders.py).
    scores: (N,) the detector's confidence.  sharpness: (N,) variance of the Laplacian over the face.
    """

    frames: list
    frame: np.ndarray
    boxes: np.ndarray
    encodings: np.ndarray
    scores: np.ndarray
    sharpness: np.ndarray
    encoder: str = "dlib"
    dimension: int = field(default=128, repr=False)

    def __post_init__(self):
        self.frame = np.asarray(self.frame, dtype=np.int64).reshape(-1)
        self.boxes = np.asarray(self.boxes, dtype=np.int64).reshape(-1, 4)
        self.encodings = np.asarray(self.encodings, dtype=np.float64).reshape(len(self.frame), -1) \
            if len(self.frame) else np.zeros((0, self.dimension))
        self.scores = np.asarray(self.scores, dtype=np.float64).reshape(-1)
        self.sharpness = np.asarray(self.sharpness, dtype=np.float64).reshape(-1)

    def __len__(self):
        return len(self.frame)

    @classmethod
    def from_frames(cls, frames_and_faces, encoder):
        """A table from (Frame, [face dicts as FaceEngine.measure gives them]) pairs, in order."""
        frames, rows = [], []
        for frame, faces in frames_and_faces:
            rows.extend((len(frames), face) for face in faces)
            frames.append(frame)
        return cls(
            frames=frames,
            frame=[number for number, _ in rows],
            boxes=[face["box"] for _, face in rows],
            encodings=[face["encoding"] for _, face in rows],
            scores=[face.get("score", 1.0) for _, face in rows],
            sharpness=[face.get("sharpness", 0.0) for _, face in rows],
            encoder=encoder,
        )

    def take(self, rows):
        """The faces at `rows` (indexes or a boolean mask), with the same frames."""
        return FaceTable(self.frames, self.frame[rows], self.boxes[rows], self.encodings[rows], self.scores[rows],
                         self.sharpness[rows], self.encoder, self.encodings.shape[1])

    def frame_of(self, i):
        """The Frame face i is in."""
        return self.frames[self.frame[i]]

    def box(self, i):
        """Face i's box as a tuple of ints."""
        return tuple(int(v) for v in self.boxes[i])

    def faces_by_frame(self, rows=None):
        """{frame number: [face indexes]} for the faces at `rows` (default: all), each list in face order."""
        by_frame = {}
        for i in (range(len(self)) if rows is None else rows):
            by_frame.setdefault(int(self.frame[i]), []).append(i)
        return by_frame

    def to_record(self):
        """Plain data for encodings.pickle: builtin containers and numpy arrays only."""
        return {"format": FORMAT, "encoder": self.encoder, "frames": [asdict(f) for f in self.frames],
                "frame": self.frame, "boxes": self.boxes, "encodings": self.encodings,
                "scores": self.scores, "sharpness": self.sharpness}

    @classmethod
    def from_record(cls, record):
        """The table of an encodings.pickle record (this format, or the older one-dict-per-face format)."""
        frames = [Frame(**f) for f in record["frames"]]
        if record.get("format") == LEGACY_FORMAT:
            faces = record["faces"]
            return cls(frames, [f["frame"] for f in faces], [f["box"] for f in faces], [f["encoding"] for f in faces],
                       [f.get("score", 1.0) for f in faces], [f.get("sharpness", 0.0) for f in faces],
                       record.get("encoder", "dlib"))
        return cls(frames, record["frame"], record["boxes"], record["encodings"], record["scores"],
                   record["sharpness"], record["encoder"])
