"""Background rendering: every decodable test file gets a thumbnail and a rendered frame."""

import io

import numpy as np
import pytest
from PIL import Image
from pydicom import dcmread

from radbridge.imaging.choices import RenderState
from radbridge.imaging.indexing import store_instance
from radbridge.imaging.models import Instance
from radbridge.imaging.rendering import Window, cached_rendering, render, render_pending

from .conftest import copy_with_new_uids, dcmtk, sample

DECODABLE = [
    "CT_small.dcm", "MR_small.dcm", "MR_small_bigendian.dcm", "MR_small_implicit.dcm",
    "MR_small_RLE.dcm", "MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm",
    "JPEG2000.dcm", "SC_rgb_jpeg_dcmtk.dcm", "SC_rgb_dcmtk_+eb+cy+np.dcm",
    "SC_rgb_rle_2frame.dcm", "SC_rgb_rle_16bit.dcm", "SC_ybr_full_422_uncompressed.dcm",
    "examples_palette.dcm", "examples_ybr_color.dcm", "examples_jpeg2k.dcm",
    "SC_rgb_jpeg_gdcm.dcm", "rtdose_rle.dcm", "image_dfl.dcm", "liver_1frame.dcm",
]
# 12-bit JPEG Extended: only GPL-licensed decoders read it; it is stored but not rendered.
NOT_DECODABLE = ["JPEG-lossy.dcm"]


def store(path, actor=None):
    return Instance.objects.get(pk=store_instance(path.read_bytes(), "dicom:TEST").instance_id)


def picture(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_rendering_happens_in_the_background_not_when_stored(actor, db):
    instance = store(sample("CT_small.dcm"))
    assert instance.render_state == RenderState.PENDING
    assert cached_rendering(instance, "thumbnail") is None
    assert render_pending() == 1
    instance.refresh_from_db()
    thumbnail = picture(cached_rendering(instance, "thumbnail"))
    assert instance.render_state == RenderState.DONE and max(thumbnail.size) <= 128


def test_every_decodable_test_file_renders_and_undecodable_ones_say_why(actor, db):
    for name in DECODABLE + NOT_DECODABLE:
        store(sample(name))
    render_pending(limit=100)
    states = dict(Instance.objects.values_list("sop_instance_uid", "render_state"))
    for name in DECODABLE:
        uid = dcmread(sample(name), stop_before_pixels=True).SOPInstanceUID
        assert states[uid] == RenderState.DONE, name
    failed = Instance.objects.get(render_state=RenderState.FAILED)
    assert "JPEG Extended" in failed.render_error


def test_jpeg_lossless_from_dcmtk_renders_like_the_original(actor, db, tmp_path):
    original = copy_with_new_uids(sample("CT_small.dcm"), tmp_path / "ct.dcm")
    lossless = tmp_path / "ct_jpeg_lossless.dcm"
    assert dcmtk("dcmcjpeg", "+e1", str(original), str(lossless)).returncode == 0
    other = dcmread(lossless)
    other.SOPInstanceUID = other.file_meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.99"
    other.save_as(lossless)
    plain, compressed = store(original), store(lossless)
    assert compressed.transfer_syntax_uid == "1.2.840.10008.1.2.4.70"
    assert render(plain, image_format="PNG") == render(compressed, image_format="PNG")


def test_monochrome1_is_inverted(actor, db, tmp_path):
    mono2 = copy_with_new_uids(sample("CT_small.dcm"), tmp_path / "m2.dcm")
    mono1 = copy_with_new_uids(mono2, tmp_path / "m1.dcm", PhotometricInterpretation="MONOCHROME1")
    window = Window(center=0, width=2000)
    a = np.asarray(picture(render(store(mono2), window=window, image_format="PNG")), np.int16)
    b = np.asarray(picture(render(store(mono1), window=window, image_format="PNG")), np.int16)
    assert np.array_equal(a, 255 - b)


def test_window_from_the_request_changes_the_picture(actor, db):
    instance = store(sample("CT_small.dcm"))
    narrow = render(instance, window=Window(40, 80), image_format="PNG")
    wide = render(instance, window=Window(40, 4000), image_format="PNG")
    assert narrow != wide


def test_colour_and_second_frame_of_a_multiframe_file(actor, db):
    instance = store(sample("SC_rgb_rle_2frame.dcm"))
    first, second = (picture(render(instance, index, image_format="PNG")) for index in (0, 1))
    assert first.mode == "RGB" and first.tobytes() != second.tobytes()


@pytest.mark.parametrize("name", ["SC_rgb_jpeg_dcmtk.dcm", "SC_rgb_dcmtk_+eb+cy+np.dcm",
                                  "SC_rgb_rle.dcm"])
def test_colour_files_show_their_red_top_band_in_rgb(actor, db, name):
    image = picture(render(store(sample(name)), image_format="PNG"))
    red, green, blue = (int(v) for v in np.asarray(image)[2, 50])
    assert image.mode == "RGB" and red > 200 and green < 60 and blue < 60
