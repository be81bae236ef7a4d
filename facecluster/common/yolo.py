"""The YOLO label line (Darknet and Ultralytics): `class x_center y_center width height`, normalized, 6 decimals.

Portrait annotations and the exported dataset's label files are written with
`yolo_box(...).line()`; box arithmetic lives in boxes.py.
"""

from dataclasses import dataclass

from . import boxes


@dataclass(frozen=True)
class YoloBox:
    class_id: int
    x_center: float
    y_center: float
    width: float
    height: float

    def line(self):
        return f"{self.class_id} {self.x_center:.6f} {self.y_center:.6f} {self.width:.6f} {self.height:.6f}"

    @classmethod
    def parse(cls, line):
        class_id, *numbers = line.split()
        if len(numbers) != 4:
            raise ValueError(f"a YOLO line has 5 fields, not {len(numbers) + 1}: {line!r}")
        return cls(int(class_id), *(float(n) for n in numbers))

    def to_pixels(self, image_width, image_height):
        """(top, right, bottom, left) in pixels of an image of that size."""
        return boxes.from_yolo(self.x_center, self.y_center, self.width, self.height, image_width, image_height)


def yolo_box(class_id, box, image_width, image_height):
    """The YOLO box of a (top, right, bottom, left) pixel box in an image of that size."""
    return YoloBox(class_id, *boxes.to_yolo(box, image_width, image_height))
