"""The design card's public classes, importable from one place.

    FramesGenerator -> [FramesProvider -> FaceEncoder -> DatastoreManager] -> PicklesListCollator
    -> FaceClusterUtility -> FaceImageGenerator

Each lives in its own module under facecluster/; see facecluster/__init__.py.
"""

from facecluster.clustering import FaceClusterUtility
from facecluster.datastore import PicklesListCollator, load_pickle
from facecluster.frames import Frame, FramesGenerator
from facecluster.pipeline import DatastoreManager, FaceEncoder, FacePipeline, FramesProvider
from facecluster.portraits import FaceImageGenerator
from facecluster.run import run
from facecluster.settings import Settings
from facecluster.yolo import YoloBox

__all__ = [
    "Frame", "FramesGenerator", "FramesProvider", "FaceEncoder", "DatastoreManager", "FacePipeline",
    "PicklesListCollator", "load_pickle", "FaceClusterUtility", "FaceImageGenerator", "YoloBox", "Settings", "run",
]
