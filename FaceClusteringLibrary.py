"""The design card's public classes, importable from one place.

    FramesGenerator -> [FramesProvider -> FaceEncoder -> DatastoreManager] -> PicklesListCollator
    -> FaceClusterUtility -> FaceImageGenerator

FaceEngine (the detector and encoder each worker runs) and FaceTable (the faces as columns, what the
collator returns) are the pieces between them. Each lives in its own module under facecluster/; see
facecluster/__init__.py.
"""

from facecluster.clustering.algorithms import FaceClusterUtility
from facecluster.common.table import FaceTable
from facecluster.common.yolo import YoloBox
from facecluster.encoding.datastore import PicklesListCollator, load_pickle
from facecluster.encoding.faces import FaceEngine
from facecluster.encoding.pipeline import (
    DatastoreManager,
    FaceEncoder,
    FacePipeline,
    FramesProvider,
)
from facecluster.output.portraits import FaceImageGenerator
from facecluster.run import run
from facecluster.sampling.frames import Frame, FramesGenerator
from facecluster.settings import Settings

__all__ = [
    "Frame", "FramesGenerator", "FramesProvider", "FaceEncoder", "DatastoreManager", "FacePipeline",
    "FaceEngine", "PicklesListCollator", "FaceTable", "load_pickle", "FaceClusterUtility", "FaceImageGenerator",
    "YoloBox", "Settings", "run",
]
