"""Face quality check on synthetic faces (no real person's face is used anywhere)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kiosk.config import CameraConfig
from kiosk.devices.camera import face as face_module
from kiosk.devices.camera.face import FaceCode, FaceRules, check_face, crop_face, encode_jpeg
from kiosk.devices.camera.synthetic import blank_frame, draw_face, face_frame, faces_frame


def test_a_good_centred_face_is_ok():
    result = check_face(face_frame(size=240))
    assert result.code == FaceCode.OK and result.ok
    assert result.faces == 1
    x, y, w, h = result.box
    # The box is on the drawn face: centred in the 640x480 frame, about 240 px across.
    assert abs(x + w / 2 - 320) < 20 and abs(y + h / 2 - 240) < 25
    assert 200 < w < 290
    assert result.frame_size == (640, 480)
    assert result.sharpness > face_module.MIN_SHARPNESS


@pytest.mark.parametrize(
    ("name", "frame", "code"),
    [
        ("empty frame", blank_frame(), FaceCode.NO_FACE),
        (
            "two faces side by side",
            faces_frame([(160, 240), (480, 240)], 200),
            FaceCode.SEVERAL_FACES,
        ),
        ("face far away", face_frame(size=90), FaceCode.TOO_SMALL),
        ("face at the right", face_frame(centre=(480, 240), size=200), FaceCode.OFF_CENTRE),
        ("face low in the frame", face_frame(centre=(320, 345), size=200), FaceCode.OFF_CENTRE),
        ("out of focus", cv2.GaussianBlur(face_frame(size=240), (0, 0), 4), FaceCode.TOO_BLURRY),
        ("in shadow", (face_frame(size=240) * 0.3).astype(np.uint8), FaceCode.TOO_DARK),
    ],
)
def test_each_problem_is_named(name, frame, code):
    result = check_face(frame)
    assert result.code == code, name
    assert not result.ok


def test_several_faces_counts_both_and_reports_the_larger():
    frame = faces_frame([(160, 240)], 160)
    draw_face(frame, (480, 240), 220)
    result = check_face(frame)
    assert result.code == FaceCode.SEVERAL_FACES and result.faces == 2
    assert result.box[0] > 320  # the bigger face, on the right


def test_a_small_face_far_behind_the_resident_is_ignored():
    frame = face_frame(size=240)
    draw_face(frame, (580, 420), 80)
    result = check_face(frame)
    assert result.code == FaceCode.OK and result.faces == 1


def test_grey_and_hd_frames_are_accepted():
    assert check_face(cv2.cvtColor(face_frame(size=240), cv2.COLOR_BGR2GRAY)).ok
    assert check_face(face_frame(size=480, width=1280, height=720)).ok


def test_rules_can_be_tuned_per_camera():
    frame = cv2.GaussianBlur(face_frame(size=240), (0, 0), 3)
    assert check_face(frame).code == FaceCode.TOO_BLURRY
    assert check_face(frame, FaceRules(min_sharpness=10)).ok
    assert check_face(face_frame(size=140)).ok
    assert (
        check_face(face_frame(size=140), FaceRules(min_face_width_ratio=0.3)).code
        == FaceCode.TOO_SMALL
    )


def test_config_defaults_match_the_documented_constants():
    cfg = CameraConfig()
    assert cfg.face_min_width_ratio == face_module.MIN_FACE_WIDTH_RATIO
    assert cfg.face_max_centre_offset == face_module.MAX_CENTRE_OFFSET
    assert cfg.face_min_sharpness == face_module.MIN_SHARPNESS
    assert cfg.face_min_brightness == face_module.MIN_BRIGHTNESS


def test_the_result_carries_numbers_never_pixels():
    result = check_face(face_frame(size=240))
    data = result.to_json()
    assert data["code"] == "ok" and data["ok"] is True
    assert set(data) == {
        "code", "ok", "faces", "box", "frame_size", "width_ratio", "offset", "sharpness", "brightness"
    }  # fmt: skip
    assert not any(isinstance(v, np.ndarray | bytes) for v in vars(result).values())


def test_accepted_frame_encodes_to_jpeg_and_crops_to_head_and_shoulders():
    frame = face_frame(size=240)
    result = check_face(frame)
    jpeg = encode_jpeg(frame)
    assert jpeg[:2] == b"\xff\xd8" and jpeg[-2:] == b"\xff\xd9"
    back = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert back.shape == frame.shape
    assert check_face(back).ok  # JPEG quality 90 keeps the frame good enough
    crop = crop_face(frame, result.box, margin=0.5)
    x, y, w, h = result.box
    assert crop.shape[0] == min(480, y + h + h // 2) - max(0, y - h // 2)
    assert check_face(crop).faces == 1
