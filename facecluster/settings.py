"""A run's settings, one group per stage, each named as on the command line; each stage takes only its own."""

import os
from dataclasses import dataclass, field, fields
from typing import Optional

from .clustering.algorithms import DEFAULT_ALGORITHM
from .encoding.faces import DEFAULT_DETECTOR, DEFAULT_ENCODER, FaceEngine


@dataclass
class SamplingSettings:
    """Stage 1, FramesGenerator: which frames of a video are kept, and their size."""

    every: float = 1.0
    max_width: int = 700
    max_height: int = 500


@dataclass
class EncodingSettings:
    """Stage 2, the pyPiper graph: the face engine and its worker processes."""

    detector: str = DEFAULT_DETECTOR
    encoder: str = DEFAULT_ENCODER
    upsample: Optional[int] = None  # None: the detector's own default
    models: Optional[str] = None  # a folder of the user's ONNX models; None: the installed ones
    workers: int = os.cpu_count() or 1
    dask: Optional[str] = None  # a Dask scheduler's address, or local[:N]; None: this computer's workers
    dask_part_seconds: float = 120.0  # video time per Dask task

    def engine(self):
        """The loaded face engine these settings ask for (a missing model or bad combination: one sentence)."""
        return FaceEngine(self.detector, self.encoder, self.upsample, self.models).load()


@dataclass
class ClusteringSettings:
    """Stage 4: how faces become people (clustering/)."""

    algorithm: str = DEFAULT_ALGORITHM
    eps: Optional[float] = None  # None: the encoder's own same-person threshold
    min_samples: int = 2
    people: Optional[int] = None
    pca: Optional[int] = None
    features: str = "encodings"
    tracks: bool = True
    min_face: int = 0
    min_sharpness: float = 0.0
    jobs: int = -1


@dataclass
class Settings:
    """Every knob of a run: the work folder, one group per stage, and how the run behaves."""

    workdir: str = "."
    sampling: SamplingSettings = field(default_factory=SamplingSettings)
    encoding: EncodingSettings = field(default_factory=EncodingSettings)
    clustering: ClusteringSettings = field(default_factory=ClusteringSettings)
    fresh: bool = False
    force: bool = False
    progress: bool = True

    GROUPS = ("sampling", "encoding", "clustering")

    @classmethod
    def from_flags(cls, **flags):
        """Settings from command-line names (every=..., eps=..., workdir=...); names of no group are ignored."""
        groups = {}
        for name in cls.GROUPS:
            kind = {f.name: f for f in fields(cls)}[name].default_factory
            groups[name] = kind(**{f.name: flags[f.name] for f in fields(kind) if f.name in flags})
        top = {f.name: flags[f.name] for f in fields(cls) if f.name in flags and f.name not in cls.GROUPS}
        return cls(**top, **groups)
