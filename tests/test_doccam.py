"""The document camera (高拍仪) pipeline on the emulator's desk photos, whose true corners are
known: the sheet is found to within a pixel or two, flattened to an upright A4 page that
matches what was printed, deskewed, checked for blur and glare, and compressed within budget."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from kiosk.devices.base import DeviceState, EventHub
from kiosk.devices.doccam import pipeline
from kiosk.devices.doccam.adapter import DocumentCamera, EmulatedDesk
from kiosk.devices.doccam.synthetic import desk_photo


@pytest.fixture(scope="module")
def photos():
    return [desk_photo(seed) for seed in (11, 12, 13, 14)]


def ink(image: np.ndarray) -> np.ndarray:
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return (cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV,
                                  31, 20) > 0).astype(np.uint8)  # fmt: skip


def test_sheet_corners_found_within_two_pixels(photos):
    for photo in photos:
        found = pipeline.find_sheet(photo.frame)
        assert found is not None
        assert np.linalg.norm(found - photo.corners, axis=1).max() < 2.0


def test_scan_gives_the_printed_page_upright_within_budget(photos):
    scan = pipeline.scan(photos[0].frame, max_bytes=400 * 1024)
    assert scan.ok and scan.jpeg is not None and len(scan.jpeg) <= 400 * 1024
    page = cv2.imdecode(np.frombuffer(scan.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert page.shape[:2] == (1754, 1240)  # A4 portrait at 150 dpi
    printed = cv2.resize(photos[0].page, (1240, 1754), interpolation=cv2.INTER_AREA)
    got, want = ink(page), ink(printed)
    near = cv2.dilate(want, np.ones((7, 7), np.uint8))
    assert (got & near).sum() / got.sum() > 0.9  # the text is where it was printed
    upside_down = cv2.dilate(
        ink(np.ascontiguousarray(printed[::-1, ::-1])), np.ones((7, 7), np.uint8)
    )
    assert (got & upside_down).sum() / got.sum() < 0.6  # so the check above can fail


@pytest.mark.parametrize("angle", [-3.5, 1.2, 4.0])
def test_deskew_measures_the_remaining_tilt(photos, angle):
    page = pipeline.rectify(photos[1].frame, pipeline.find_sheet(photos[1].frame))
    h, w = page.shape[:2]
    tilted = cv2.warpAffine(page, cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0), (w, h),
                            borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
    assert pipeline.skew_angle(tilted) == pytest.approx(-angle, abs=0.3)


def test_blur_glare_and_an_empty_desk_are_named():
    assert pipeline.scan(desk_photo(21, blur=3.0).frame).problems == ("blurry",)
    assert pipeline.scan(desk_photo(22, glare=True).frame).problems == ("glare",)
    desk = EmulatedDesk(seed=5)
    desk.clear()
    empty = pipeline.scan(desk.read())
    assert empty.problems == ("no_sheet",) and empty.jpeg is None


def test_compress_keeps_to_a_small_budget(photos):
    page = pipeline.rectify(photos[2].frame, pipeline.find_sheet(photos[2].frame))
    assert len(pipeline.compress(page, 60 * 1024)) <= 60 * 1024


def test_the_device_captures_what_lies_under_it():
    desk = EmulatedDesk(seed=40)
    camera = DocumentCamera(EventHub(), desk, max_bytes=600 * 1024)
    camera.start()
    deadline = time.monotonic() + 30
    while camera.health().state != DeviceState.ONLINE:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert camera.health().details["resolution"] == "1600x1200"
    desk.place(kind=2)
    assert camera.capture().ok
    desk.place(kind=2, glare=True)
    assert camera.capture().problems == ("glare",)
    camera.stop()
