"""How a decoded photo becomes the pixels a viewer shows: turned upright as its EXIF orientation says, converted to
sRGB from the colour space of its ICC profile, transparency laid over white, 16-bit greyscale scaled to 8 bits."""

from __future__ import annotations

import io
from typing import Any

SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I")  # greyscale modes Pillow's convert("RGB") clips at level 255
EXIF_ORIENTATION = 0x0112
# How to turn a photo whose EXIF orientation is 2-8 (1: as stored) to show it upright, as viewers do (Pillow's names).
TURNS = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE", 6: "ROTATE_270",
         7: "TRANSVERSE", 8: "ROTATE_90"}  # fmt: skip


def exif_orientation(image: Any) -> int:
    """A photo's EXIF orientation, 1 (as stored) to 8: a phone stores a photo as its sensor saw it and says in EXIF
    how viewers are to turn it (``TURNS``). An EXIF block Pillow cannot read, or a value out of range, leaves the
    photo as stored: it says nothing of the pixels."""
    try:
        orientation = image.getexif().get(EXIF_ORIENTATION)
    except Exception:
        return 1
    return orientation if isinstance(orientation, int) and orientation in TURNS else 1


def in_srgb(image: Any) -> Any:
    """The image converted to sRGB from the colour space its embedded ICC profile says its numbers are in (a CMYK
    JPEG made for print, Adobe RGB from a camera, an iPhone's Display P3), as browsers and viewers show it: read as
    sRGB numbers, a print JPEG's colours came out shifted and a wide-gamut photo's washed out. None when it has no such
    profile (or an sRGB one), or the profile cannot be read: the numbers are then taken as sRGB."""
    data = image.info.get("icc_profile")
    if not data or image.mode not in ("RGB", "RGBA", "CMYK"):
        return None
    try:
        from PIL import ImageCms
    except ImportError:  # a Pillow built without LittleCMS
        return None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(data))
        if "srgb" in ImageCms.getProfileDescription(profile).lower():
            return None
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(image, profile, ImageCms.createProfile("sRGB"), outputMode=mode)
    except (OSError, ValueError, TypeError, ImageCms.PyCMSError):
        return None


def is_transparent(image: Any) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def rgb(image: Any, image_module: Any) -> Any:
    """An RGB copy; transparent pixels become white (product photos are cut out on white). A 16-bit greyscale PNG
    (mode ``I;16``, or ``I``) is scaled to 8 bits: Pillow's own conversion clips every level over 255 to white."""
    if image.mode in SIXTEEN_BIT:
        top = 65535 if image.mode != "I" or image.getextrema()[1] > 255 else 255
        return image.point(lambda level: level * 255 / top).convert("L").convert("RGB")
    if is_transparent(image):
        rgba = image.convert("RGBA")
        background = image_module.new("RGBA", rgba.size, (255, 255, 255, 255))
        return image_module.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")
