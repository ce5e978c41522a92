"""`kiosk camera`: the technician's camera tools (snapshot, face check, QR decode, status).

Without an IMAGE argument the commands use the configured camera (devices.camera in the
config), so the same command checks a real camera on site and the emulated one in the lab.
Exit codes: 0 success, 1 nothing found (no good face / no QR code / no frame), 2 bad input.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kiosk.commands import config_from, fail, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("camera", help="camera: snapshot, face check, QR decode, status")
    csub = p.add_subparsers(dest="camera_command", metavar="ACTION", required=True)

    snap = csub.add_parser("snapshot", help="save one frame from the camera")
    snap.add_argument("out", metavar="OUT.png", help="where to write the frame (.png or .jpg)")
    snap.add_argument("--timeout", type=float, default=5.0, help="seconds to wait (default 5)")
    snap.set_defaults(handler=handle_snapshot)

    face = csub.add_parser("check-face", help="face quality check as JSON (exit 1 if not ok)")
    face.add_argument("image", nargs="?", help="an image file; default: a camera frame")
    face.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for a frame")
    face.set_defaults(handler=handle_check_face)

    qr = csub.add_parser("qr", help="decode a QR code (exit 1 if none)")
    qr.add_argument("image", nargs="?", help="an image file; default: scan the camera")
    qr.add_argument("--timeout", type=float, default=10.0, help="seconds to scan (default 10)")
    qr.set_defaults(handler=handle_qr)

    status = csub.add_parser("status", help="health and self-test of the configured camera")
    status.add_argument("--timeout", type=float, default=5.0)
    status.set_defaults(handler=handle_status)


def _read_image(path: str) -> Any:
    import cv2
    import numpy as np

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise _InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise _InputError(f"{path}: not an image OpenCV can decode")
    return image


class _InputError(Exception):
    pass


def _open_camera(args: argparse.Namespace) -> Any:
    from kiosk.devices.base import EventHub
    from kiosk.devices.camera import create

    config = config_from(args)
    if config.devices.camera.mode == "off":
        raise _InputError("the camera is off in the config (devices.camera.mode)")
    camera = create(config.devices.camera, EventHub(), config.terminal.data_path)
    camera.start()
    return camera


def _frame(args: argparse.Namespace) -> Any:
    """An image from the IMAGE argument or one camera frame."""
    if args.image:
        return _read_image(args.image)
    from kiosk.devices.base import DeviceError

    camera = _open_camera(args)
    try:
        return camera.snapshot(args.timeout).image
    except DeviceError as exc:
        raise _InputError(str(exc)) from None
    finally:
        camera.stop()


def handle_snapshot(args: argparse.Namespace) -> int:
    import cv2

    try:
        args.image = None
        image = _frame(args)
    except _InputError as exc:
        return fail(str(exc))
    out = Path(args.out)
    try:
        ok, buf = cv2.imencode(out.suffix or ".png", image)
    except cv2.error:
        ok = False
    if not ok:
        return fail(f"{out}: unsupported image type (use .png or .jpg)", 2)
    try:
        out.write_bytes(buf.tobytes())
    except OSError as exc:
        return fail(f"{out}: cannot be written ({exc.strerror or exc})", 2)
    h, w = image.shape[:2]
    print(f"saved {w}x{h} frame to {out}")
    return 0


def handle_check_face(args: argparse.Namespace) -> int:
    from kiosk.devices.camera.face import check_face

    try:
        image = _frame(args)
    except _InputError as exc:
        return fail(str(exc), 2 if args.image else 1)
    result = check_face(image)
    print_json(result.to_json())
    return 0 if result.ok else 1


def handle_qr(args: argparse.Namespace) -> int:
    from kiosk.devices.camera.qr import decode_qr

    try:
        if args.image:
            text = decode_qr(_read_image(args.image))
        else:
            camera = _open_camera(args)
            try:
                text = camera.scan_qr(args.timeout)
            finally:
                camera.stop()
    except _InputError as exc:
        return fail(str(exc), 2)
    print_json({"found": text is not None, "text": text})
    return 0 if text is not None else 1


def handle_status(args: argparse.Namespace) -> int:
    try:
        camera = _open_camera(args)
    except _InputError as exc:
        return fail(str(exc), 2)
    try:
        test = camera.self_test(args.timeout)
        print_json({"health": camera.health().to_json(), "self_test": test.to_json()})
    finally:
        camera.stop()
    return 0 if test.passed else 1
