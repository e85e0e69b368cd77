"""Turn a stored frame into a viewable JPEG/PNG, and make thumbnails in the background.

Greyscale: modality LUT (rescale), then the window asked for, else the file's window or VOI
LUT, else the frame's full range; MONOCHROME1 is inverted. Colour: YBR is converted to RGB,
palette colour through its LUT. Decoders are pydicom's plugins (GDCM, pylibjpeg-openjpeg,
pylibjpeg-rle, pyjpegls, Pillow), all permissively licensed. The periodic job renders each
new instance's first frame (full size and thumbnail) after it was stored, never on the
C-STORE path; a file that cannot be decoded is marked failed with the reason.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

import numpy as np
from django.core.files.base import ContentFile
from PIL import Image
from pydicom import Dataset, dcmread
from pydicom.pixels import apply_color_lut, apply_modality_lut, apply_voi_lut, pixel_array
from pydicom.uid import DeflatedExplicitVRLittleEndian

from .choices import RenderState
from .models import Instance
from .storage import dicom_storage, rendering_file_name

log = logging.getLogger(__name__)
THUMBNAIL_SIZE = 128


class RenderError(ValueError):
    """The frame cannot be rendered; the message says why."""


@dataclass(frozen=True)
class Window:
    center: float
    width: float


def read_frame(instance: Instance, index: int) -> tuple[np.ndarray, Dataset]:
    header = Dataset()
    with dicom_storage().open(instance.file_name, "rb") as source:
        try:
            if instance.transfer_syntax_uid == DeflatedExplicitVRLittleEndian:
                # pydicom inflates whole datasets only
                header = dcmread(source)
                array = pixel_array(header, index=index)
            else:
                array = pixel_array(source, index=index, ds_out=header)
        except Exception as error:  # noqa: BLE001 - decoders raise anything; report it
            raise RenderError(f"cannot decode frame {index + 1}: {error}") from error
    return array, header


def to_eight_bits(array: np.ndarray, header: Dataset, window: Window | None) -> np.ndarray:
    photometric = str(header.get("PhotometricInterpretation", "MONOCHROME2"))
    if photometric == "PALETTE COLOR":
        array = apply_color_lut(array, header)
        return scale(array, 0, float(array.max()) or 1.0)
    if array.ndim == 3:  # RGB (pydicom already converted YBR)
        top = float(2 ** int(header.get("BitsStored", 8)) - 1)
        return scale(array, 0, top)
    values = apply_modality_lut(array, header).astype(np.float64)
    if window is not None:
        grey = linear_window(values, window)
    elif "WindowCenter" in header or "VOILUTSequence" in header:
        values = apply_voi_lut(values, header, index=0)
        grey = scale(values, float(values.min()), float(values.max()))
    else:
        grey = scale(values, float(values.min()), float(values.max()))
    if photometric == "MONOCHROME1":
        grey = 255 - grey
    return grey


def linear_window(values: np.ndarray, window: Window) -> np.ndarray:
    """PS3.3 C.11.2.1.2.1: the linear VOI function, to 0..255."""
    width = max(window.width, 1.0)
    low = window.center - 0.5 - (width - 1) / 2
    return scale(values, low, low + width - 1)


def scale(values: np.ndarray, low: float, high: float) -> np.ndarray:
    if high <= low:
        return np.zeros(values.shape, np.uint8)
    clipped = np.clip((values.astype(np.float64) - low) / (high - low), 0.0, 1.0)
    return (clipped * 255 + 0.5).astype(np.uint8)


def render(
    instance: Instance,
    index: int = 0,
    *,
    window: Window | None = None,
    max_size: tuple[int, int] | None = None,
    image_format: str = "JPEG",
    quality: int = 90,
) -> bytes:
    """Render frame `index` (0-based) of a stored file as JPEG or PNG bytes."""
    array, header = read_frame(instance, index)
    try:
        picture = Image.fromarray(to_eight_bits(array, header, window))
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
        raise RenderError(f"cannot apply the LUTs of frame {index + 1}: {error}") from error
    if max_size:
        picture.thumbnail(max_size)
    out = io.BytesIO()
    if image_format == "PNG":
        picture.save(out, "PNG")
    else:
        picture.save(out, "JPEG", quality=quality)
    return out.getvalue()


def render_instance_files(instance: Instance) -> None:
    storage = dicom_storage()
    for kind, size in (("rendered", None), ("thumbnail", (THUMBNAIL_SIZE, THUMBNAIL_SIZE))):
        picture = render(instance, max_size=size)
        storage.save(rendering_file_name(instance.file_name, kind), ContentFile(picture))


def render_pending(limit: int = 20) -> int:
    """Periodic job: render the first frame of instances stored since the last run."""
    done = 0
    pending = Instance.objects.filter(render_state=RenderState.PENDING).order_by("id")[:limit]
    for instance in pending:
        if not instance.has_pixels:
            state, error = RenderState.DONE, ""  # nothing to show (SR, KOS, ...)
        else:
            try:
                render_instance_files(instance)
                state, error = RenderState.DONE, ""
            except RenderError as failure:
                state, error = RenderState.FAILED, str(failure)[:500]
                log.warning("instance %s cannot be rendered: %s", instance.id, error)
        Instance.objects.filter(pk=instance.pk).update(render_state=state, render_error=error)
        done += 1
    return done


def cached_rendering(instance: Instance, kind: str) -> bytes | None:
    """The background job's JPEG (`rendered` or `thumbnail`), or None if not made yet."""
    storage = dicom_storage()
    name = rendering_file_name(instance.file_name, kind)
    if instance.render_state != RenderState.DONE or not storage.exists(name):
        return None
    with storage.open(name, "rb") as source:
        return source.read()
