"""From a document camera's frame to an A4 image fit to attach to an application.

find_sheet: the page's four corners (a bright quadrilateral on a darker desk; found on a
    downscaled copy, so it costs a few milliseconds per frame).
rectify:    perspective-corrected to an upright A4 page, portrait or landscape as laid.
deskew:     the small rotation that remains, measured on the text lines, taken out.
quality:    sharpness (variance of the Laplacian) and glare (share of burnt-out pixels).
compress:   JPEG no larger than a byte budget (quality, then size, stepped down).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

A4_PORTRAIT = (1240, 1754)  # A4 at 150 dpi: legible for review, a few hundred KB as JPEG
DETECT_WIDTH = 480  # the sheet is found on a copy this wide
MIN_AREA = 0.15  # of the frame: smaller quadrilaterals are not a sheet laid on the camera
MAX_PAPER_SATURATION = 70  # HSV S of white or off-white paper under warm light stays below
MIN_SHARPNESS = 25.0  # Laplacian variance on the rectified page at 150 dpi (sharp: 70+)
MAX_GLARE = 0.01  # share of the page burnt out (>= 253 in every channel)
MAX_BYTES = 600 * 1024


@dataclass(frozen=True)
class PageCheck:
    sharpness: float
    glare: float

    @property
    def problems(self) -> tuple[str, ...]:
        found = []
        if self.sharpness < MIN_SHARPNESS:
            found.append("blurry")
        if self.glare > MAX_GLARE:
            found.append("glare")
        return tuple(found)


def order_corners(points: np.ndarray) -> np.ndarray:
    """tl, tr, br, bl by position (sum and difference of coordinates)."""
    pts = points.reshape(4, 2).astype(np.float32)
    s, d = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]],
                    np.float32)  # fmt: skip


def find_sheet(frame: np.ndarray) -> np.ndarray | None:
    """The sheet's corners in frame coordinates (4x2 float32, tl tr br bl), or None."""
    height, width = frame.shape[:2]
    scale = DETECT_WIDTH / width
    small = cv2.resize(frame, (DETECT_WIDTH, round(height * scale)), interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
    gray = cv2.GaussianBlur(gray, (5, 5), 0)
    # Paper is the bright region (Otsu separates it from a desk or a mat) that is also
    # nearly colourless: a light patch of wood grain is bright but brown.
    _, mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if small.ndim == 3:
        saturation = cv2.cvtColor(cv2.GaussianBlur(small, (5, 5), 0), cv2.COLOR_BGR2HSV)[..., 1]
        mask = cv2.bitwise_and(mask, (saturation < MAX_PAPER_SATURATION).astype(np.uint8) * 255)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    best = None
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:3]:
        area = cv2.contourArea(contour)
        if area < MIN_AREA * mask.size:
            break
        hull = cv2.convexHull(contour)
        if area < 0.85 * cv2.contourArea(hull):
            continue  # ragged: not a sheet's outline
        approx = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
        if len(approx) != 4:
            approx = cv2.boxPoints(cv2.minAreaRect(hull))  # a bent corner: the enclosing box
        best = approx
        break
    if best is None:
        return None
    corners = order_corners(np.asarray(best, np.float32)) / scale
    return refine_corners(frame, corners)


def refine_corners(frame: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """Each side refitted as a line through the strongest edge near it at full resolution;
    the corners are where the lines meet (sub-pixel, robust to a rounded corner)."""
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
    lines = []
    for i in range(4):
        a, b = corners[i], corners[(i + 1) % 4]
        length = float(np.hypot(*(b - a)))
        if length < 20:
            return corners
        direction = (b - a) / length
        normal = np.array([-direction[1], direction[0]], np.float32)
        points = []
        for t in np.linspace(0.1, 0.9, 24):
            centre = a + (b - a) * t
            offsets = np.arange(-12, 13, dtype=np.float32)
            samples = centre[None, :] + offsets[:, None] * normal[None, :]
            xs = np.clip(samples[:, 0], 0, gray.shape[1] - 1).astype(np.float32)
            ys = np.clip(samples[:, 1], 0, gray.shape[0] - 1).astype(np.float32)
            profile = cv2.remap(gray, xs.reshape(1, -1), ys.reshape(1, -1),
                                cv2.INTER_LINEAR).ravel().astype(np.float32)  # fmt: skip
            grad = np.abs(np.diff(cv2.GaussianBlur(profile.reshape(1, -1), (1, 5), 0).ravel()))
            k = int(np.argmax(grad))
            if grad[k] < 8:
                continue
            points.append(centre + normal * (offsets[k] + 0.5))
        if len(points) < 6:
            return corners
        vx, vy, x0, y0 = cv2.fitLine(
            np.array(points, np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01
        ).ravel()
        lines.append((np.array([x0, y0]), np.array([vx, vy])))
    refined = []
    for i in range(4):
        (p1, d1), (p2, d2) = lines[(i - 1) % 4], lines[i]
        matrix = np.array([d1, -d2]).T
        if abs(np.linalg.det(matrix)) < 1e-6:
            return corners
        t = np.linalg.solve(matrix, p2 - p1)
        refined.append(p1 + d1 * t[0])
    out = np.array(refined, np.float32)
    return out if np.abs(out - corners).max() < 25 else corners


def rectify(frame: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The sheet, flat and upright, at A4 150 dpi (landscape if it was laid sideways)."""
    tl, tr, br, bl = corners
    width = (np.hypot(*(tr - tl)) + np.hypot(*(br - bl))) / 2
    height = (np.hypot(*(bl - tl)) + np.hypot(*(br - tr))) / 2
    size = A4_PORTRAIT if height >= width else A4_PORTRAIT[::-1]
    dst = np.array([[0, 0], [size[0] - 1, 0], [size[0] - 1, size[1] - 1], [0, size[1] - 1]],
                   np.float32)  # fmt: skip
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), dst)
    return cv2.warpPerspective(frame, matrix, size, flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)  # fmt: skip


def skew_angle(page: np.ndarray) -> float:
    """Degrees the text lines are tilted (within +-5): the angle that makes the ink's row
    profile sharpest, i.e. lines of text fall on rows."""
    gray = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY) if page.ndim == 3 else page
    small = cv2.resize(gray, (gray.shape[1] // 2, gray.shape[0] // 2), interpolation=cv2.INTER_AREA)
    ink = cv2.adaptiveThreshold(
        small, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15
    )
    h, w = ink.shape
    ink = ink[h // 20 : -h // 20, w // 20 : -w // 20]  # not the page's edge
    centre = (ink.shape[1] / 2, ink.shape[0] / 2)

    def sharpness(angle: float) -> float:
        rotated = cv2.warpAffine(ink, cv2.getRotationMatrix2D(centre, angle, 1.0),
                                 (ink.shape[1], ink.shape[0]))  # fmt: skip
        profile = rotated.sum(axis=1, dtype=np.float64)
        return float(np.var(np.diff(profile)))

    coarse = max(np.arange(-5, 5.01, 1.0), key=sharpness)
    fine = max(np.arange(coarse - 0.8, coarse + 0.81, 0.2), key=sharpness)
    return float(fine)


def deskew(page: np.ndarray, angle: float) -> np.ndarray:
    if abs(angle) < 0.15:
        return page
    h, w = page.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(page, matrix, (w, h), flags=cv2.INTER_CUBIC,
                          borderMode=cv2.BORDER_REPLICATE)  # fmt: skip


def check(page: np.ndarray) -> PageCheck:
    gray = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY) if page.ndim == 3 else page
    _, deviation = cv2.meanStdDev(cv2.Laplacian(gray, cv2.CV_16S))
    darkest = cv2.min(cv2.min(page[..., 0], page[..., 1]), page[..., 2]) if page.ndim == 3 else page
    burnt = cv2.countNonZero(cv2.threshold(darkest, 252, 255, cv2.THRESH_BINARY)[1])
    return PageCheck(float(deviation[0, 0]) ** 2, burnt / darkest.size)


def compress(page: np.ndarray, max_bytes: int = MAX_BYTES) -> bytes:
    """JPEG within the budget: quality 85 down to 50, then smaller, until it fits."""
    image = page
    while True:
        for quality in (85, 75, 65, 50):
            ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality,
                                                    cv2.IMWRITE_JPEG_OPTIMIZE, 1])  # fmt: skip
            if ok and len(data) <= max_bytes:
                return data.tobytes()
        if image.shape[1] < 400:
            raise ValueError(f"cannot fit a page image in {max_bytes} bytes")
        image = cv2.resize(image, (image.shape[1] * 3 // 4, image.shape[0] * 3 // 4),
                           interpolation=cv2.INTER_AREA)  # fmt: skip


@dataclass(frozen=True)
class Scan:
    """One material captured: the JPEG to attach and what was found on the way."""

    jpeg: bytes | None
    corners: np.ndarray | None
    skew_degrees: float
    check: PageCheck | None

    @property
    def problems(self) -> tuple[str, ...]:
        if self.corners is None:
            return ("no_sheet",)
        return self.check.problems if self.check else ()

    @property
    def ok(self) -> bool:
        return self.jpeg is not None and not self.problems


def scan(frame: np.ndarray, max_bytes: int = MAX_BYTES) -> Scan:
    corners = find_sheet(frame)
    if corners is None:
        return Scan(None, None, 0.0, None)
    page = rectify(frame, corners)
    angle = skew_angle(page)
    page = deskew(page, angle)
    quality = check(page)
    return Scan(compress(page, max_bytes), corners, angle, quality)
