"""YOLO (Darknet / Ultralytics) box annotations: `class x_center y_center width height`, normalized."""

from dataclasses import dataclass


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
        half_w, half_h = self.width * image_width / 2, self.height * image_height / 2
        cx, cy = self.x_center * image_width, self.y_center * image_height
        return cy - half_h, cx + half_w, cy + half_h, cx - half_w


def yolo_box(class_id, box, image_width, image_height):
    """The YOLO box of a (top, right, bottom, left) pixel box in an image of that size."""
    top, right, bottom, left = box
    return YoloBox(
        class_id,
        (left + right) / 2 / image_width,
        (top + bottom) / 2 / image_height,
        (right - left) / image_width,
        (bottom - top) / image_height,
    )
