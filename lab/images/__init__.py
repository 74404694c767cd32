"""Images without a registry: content-hashed, built offline when nothing can be pulled."""

from lab.images.archive import load_images, save_images
from lab.images.build import build_images, missing_images
from lab.images.specs import ImageSpec, image_specs

__all__ = ["ImageSpec", "build_images", "image_specs", "load_images", "missing_images", "save_images"]
