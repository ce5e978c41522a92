"""The document camera's emulator: photographs of a document lying on a desk, made the way
the real ones look: an A4 page with printed text (hanzi, a table, a stamp), placed skewed and
in perspective on a wood-grain desk, with uneven light, lens blur and sensor noise; optionally
a glare spot or motion blur. Each photo comes with the page's true corners, so the detector
can be measured (kiosk bench doccam) and tested.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
PAGE_W, PAGE_H = 840, 1188  # A4 at ~100 dpi: enough for legible text in a 1600x1200 frame
LINES = (
    "居民户口簿", "户主姓名：测试一    户号：110101000901", "住址：示例市示范区幸福路18号",
    "姓名  测试一   性别  男   民族  汉", "出生日期  1990年1月1日   出生地  示例市",
    "公民身份号码  1101**********901X", "何时由何地迁来本址  2005年 示例市", "承办人签章  示例派出所",
)  # fmt: skip


@dataclass(frozen=True)
class DeskPhoto:
    frame: np.ndarray  # BGR, what the camera delivers
    corners: np.ndarray  # 4x2 float32: the page's corners in the frame (tl, tr, br, bl)
    page: np.ndarray  # the flat page as printed (for checking the rectification)


@functools.lru_cache(maxsize=8)
def page_image(kind: int = 0) -> np.ndarray:
    """A printed A4 page (BGR): title, lines of text, a ruled table and a red stamp."""
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("RGB", (PAGE_W, PAGE_H), (236, 236, 231))
    draw = ImageDraw.Draw(page)
    title_font: ImageFont.FreeTypeFont | ImageFont.ImageFont
    body_font: ImageFont.FreeTypeFont | ImageFont.ImageFont
    try:
        title_font = ImageFont.truetype(FONT_PATH, 46)
        body_font = ImageFont.truetype(FONT_PATH, 24)
    except OSError:
        title_font = body_font = ImageFont.load_default(24)
    draw.text((PAGE_W // 2, 90), ["居民户口簿", "房屋租赁合同", "出生医学证明"][kind % 3],
              font=title_font, fill=(20, 20, 25), anchor="mm")  # fmt: skip
    y = 170
    for line in LINES[1:]:
        draw.text((80, y), line, font=body_font, fill=(25, 25, 30))
        y += 52
    top = y + 20
    for row in range(7):
        draw.line((80, top + row * 60, PAGE_W - 80, top + row * 60), fill=(40, 40, 45), width=2)
    for x in (80, 300, 560, PAGE_W - 80):
        draw.line((x, top, x, top + 360), fill=(40, 40, 45), width=2)
    for row in range(6):
        for col, x in enumerate((95, 315, 575)):
            draw.text((x, top + row * 60 + 16), f"{['项目', '内容', '备注'][col]}{row + 1}",
                      font=body_font, fill=(30, 30, 35))  # fmt: skip
    draw.ellipse((PAGE_W - 300, PAGE_H - 300, PAGE_W - 100, PAGE_H - 100),
                 outline=(200, 30, 30), width=7)  # fmt: skip
    draw.text((PAGE_W - 200, PAGE_H - 200), "★", font=title_font, fill=(200, 30, 30), anchor="mm")
    return cv2.cvtColor(np.array(page), cv2.COLOR_RGB2BGR)


def desk_texture(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """Wood grain: stretched noise in warm browns, different for every seed."""
    coarse = rng.normal(0, 1, (height // 8 + 1, width // 64 + 1)).astype(np.float32)
    grain = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    fine = cv2.GaussianBlur(rng.normal(0, 1, (height, width)).astype(np.float32), (0, 0), 1.5)
    wood = 0.6 * grain + 0.25 * fine
    base = np.array([48, 92, 140], np.float32)  # BGR brown
    desk = base + wood[..., None] * np.array([10, 16, 22], np.float32)
    return np.clip(desk, 0, 255).astype(np.uint8)


def desk_photo(
    seed: int,
    width: int = 1600,
    height: int = 1200,
    *,
    glare: bool = False,
    blur: float = 0.0,
    kind: int = 0,
) -> DeskPhoto:
    """One photo: the page's corners moved at random (skew up to ~12 degrees, perspective,
    scale 65-85% of the frame height), lit unevenly, slightly soft and noisy."""
    rng = np.random.default_rng(seed)
    page = page_image(kind)
    frame = desk_texture(width, height, rng).astype(np.float32)
    scale = rng.uniform(0.65, 0.85) * height / PAGE_H
    w, h = PAGE_W * scale, PAGE_H * scale
    angle = np.radians(rng.uniform(-12, 12))
    cx = width / 2 + rng.uniform(-0.1, 0.1) * width
    cy = height / 2 + rng.uniform(-0.05, 0.05) * height
    local = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    local += rng.uniform(-0.04, 0.04, (4, 2)) * [w, h]  # perspective: the camera is not square-on
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    corners = (local @ rot.T + [cx, cy]).astype(np.float32)
    src = np.array([[0, 0], [PAGE_W - 1, 0], [PAGE_W - 1, PAGE_H - 1], [0, PAGE_H - 1]],
                   np.float32)  # fmt: skip
    matrix = cv2.getPerspectiveTransform(src, corners)
    warped = cv2.warpPerspective(page, matrix, (width, height), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((PAGE_H, PAGE_W), 255, np.uint8), matrix, (width, height))
    alpha = (cv2.GaussianBlur(mask, (3, 3), 0).astype(np.float32) / 255.0)[..., None]
    shadow = cv2.GaussianBlur(mask, (0, 0), 12).astype(np.float32)[..., None] / 255.0
    frame = frame * (1 - 0.35 * shadow * (1 - alpha))  # a soft shadow around the sheet
    frame = frame * (1 - alpha) + warped.astype(np.float32) * alpha
    # Uneven light: brighter towards one side, as under a desk lamp (smooth: computed small).
    sw, sh = width // 8, height // 8
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32) * 8
    lx, ly = rng.uniform(0, width), rng.uniform(0, height)
    light = 0.8 + 0.22 * np.exp(-((xx - lx) ** 2 + (yy - ly) ** 2) / (2 * (0.6 * width) ** 2))
    if glare:  # a lamp's reflection burning out part of the page
        point = np.array([[[PAGE_W * 0.5, PAGE_H * 0.4]]], np.float32)
        gx, gy = cv2.perspectiveTransform(point, matrix)[0, 0]
        light = light + 1.6 * np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * (0.09 * width) ** 2))
    frame *= cv2.resize(light, (width, height), interpolation=cv2.INTER_LINEAR)[..., None]
    frame = cv2.GaussianBlur(frame, (0, 0), 0.8)
    if blur > 0:
        frame = cv2.GaussianBlur(frame, (0, 0), blur)
    # Sensor noise in every channel, from the seed (cv2.randn with a scalar 3.0 fills only the
    # first channel, and from OpenCV's global state).
    frame += rng.normal(0, 3.0, frame.shape).astype(np.float32)
    return DeskPhoto(np.clip(frame, 0, 255).astype(np.uint8), corners, page)
