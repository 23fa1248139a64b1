"""Illustrations for the demo site, drawn with Pillow so that seeding needs no network.

Everything is deterministic: colours and motif placement derive from a seed string (a doctor's
name, a specialization's slug), so re-running the seed on another machine yields the same
pictures. Shapes are drawn at twice the target size and scaled down, which gives smooth edges
without any anti-aliasing support in ``ImageDraw``.

Each public ``*_image`` function returns JPEG bytes ready to wrap in a Django ``File``. Being
deterministic, they are cached: a test suite that seeds several databases draws each picture once.
"""

from __future__ import annotations

import colorsys
import functools
import hashlib
import math
import random
from io import BytesIO

from PIL import Image, ImageChops, ImageDraw, ImageFilter

RGB = tuple[int, int, int]

SUPERSAMPLE = 2
PORTRAIT_SIZE = (640, 640)
BANNER_SIZE = (1200, 630)
HERO_SIZE = (1600, 900)

# Skin and hair tones for the portrait silhouettes: a varied, natural range.
SKIN_TONES: tuple[RGB, ...] = (
    (250, 221, 196),
    (241, 194, 160),
    (224, 172, 132),
    (198, 134, 96),
    (160, 102, 70),
    (112, 70, 48),
)
HAIR_COLOURS: tuple[RGB, ...] = (
    (38, 30, 28),
    (74, 50, 36),
    (122, 84, 52),
    (176, 140, 92),
    (150, 150, 156),
)
HAIR_STYLES = ("short", "long", "bun", "crop", "curly")
COAT = (250, 251, 253)
COAT_SHADE = (222, 228, 236)
STETHOSCOPE = (58, 66, 80)


def _seed(text: str) -> int:
    """A stable integer from a string (``hash()`` is salted per process, so it would not do)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _hls(hue: float, lightness: float, saturation: float) -> RGB:
    r, g, b = colorsys.hls_to_rgb(hue % 1.0, lightness, saturation)
    return round(r * 255), round(g * 255), round(b * 255)


def palette(seed: str) -> tuple[RGB, RGB, RGB]:
    """Two soft gradient colours and a deeper accent, all from one hue picked by ``seed``.

    Hues are drawn from calm blues, teals, greens and violets: the brand's clinical palette,
    never alarm reds or muddy yellows.
    """
    rng = random.Random(_seed(seed))
    hue = rng.choice((0.47, 0.52, 0.56, 0.60, 0.64, 0.70, 0.76, 0.40, 0.34, 0.88))
    hue += rng.uniform(-0.02, 0.02)
    start = _hls(hue, 0.86, 0.55)
    end = _hls(hue + 0.06, 0.70, 0.45)
    accent = _hls(hue + 0.02, 0.38, 0.50)
    return start, end, accent


def _diagonal_gradient(size: tuple[int, int], start: RGB, end: RGB) -> Image.Image:
    """Top-right ``start`` to bottom-left ``end``: the average of a horizontal and a vertical ramp."""
    width, height = size
    vertical = Image.linear_gradient("L").resize(size, Image.Resampling.BILINEAR)
    horizontal = Image.linear_gradient("L").rotate(90).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    horizontal = horizontal.resize(size, Image.Resampling.BILINEAR)
    mask = ImageChops.add(vertical, horizontal, scale=2.0)
    return Image.composite(Image.new("RGB", (width, height), end), Image.new("RGB", (width, height), start), mask)


def _glow(canvas: Image.Image, centre: tuple[int, int], radius: int, colour: RGB, strength: float) -> None:
    """Lay a soft radial glow over ``canvas`` in place."""
    # Pillow's radial gradient reaches 181 (not 255) at the middle of each edge: fade out by then.
    falloff = Image.radial_gradient("L").resize((radius * 2, radius * 2), Image.Resampling.BILINEAR)
    alpha = falloff.point(lambda v: round(max(0.0, 1 - v / 181) ** 1.5 * 255 * strength))
    layer = Image.new("RGBA", canvas.size, (*colour, 0))
    spot = Image.new("RGBA", alpha.size, (*colour, 255))
    spot.putalpha(alpha)
    layer.alpha_composite(spot, (centre[0] - radius, centre[1] - radius))
    canvas.alpha_composite(layer)


def _finish(canvas: Image.Image, size: tuple[int, int], *, quality: int = 88) -> bytes:
    """Scale the supersampled drawing down and encode it as a progressive JPEG."""
    image = canvas.convert("RGB").resize(size, Image.Resampling.LANCZOS)
    buffer = BytesIO()
    image.save(buffer, format="JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()


# --- Portraits ------------------------------------------------------------------------------


@functools.cache
def portrait_image(name: str) -> bytes:
    """A friendly head-and-shoulders avatar in a white coat, with colours chosen by ``name``."""
    rng = random.Random(_seed(f"portrait:{name}"))
    start, end, accent = palette(name)
    width, height = (side * SUPERSAMPLE for side in PORTRAIT_SIZE)
    canvas = _diagonal_gradient((width, height), start, end).convert("RGBA")
    _glow(canvas, (width // 2, int(height * 0.40)), int(width * 0.55), (255, 255, 255), 0.6)

    skin = rng.choice(SKIN_TONES)
    hair = rng.choice(HAIR_COLOURS)
    style = rng.choice(HAIR_STYLES)
    shirt = _hls(rng.random(), 0.55, 0.45)

    figure = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(figure)
    cx = width // 2
    head_w, head_h = int(width * 0.28), int(height * 0.34)
    head_top = int(height * 0.15)
    head = (cx - head_w // 2, head_top, cx + head_w // 2, head_top + head_h)

    _draw_hair_back(draw, head, hair, style, width)
    _draw_body(draw, width, height, skin, shirt, head, accent)
    _draw_head(draw, head, skin, width)
    _draw_hair_front(draw, head, hair, style)

    shadow = figure.split()[3].filter(ImageFilter.GaussianBlur(width * 0.015))
    shade = Image.new("RGBA", (width, height), (*accent, 0))
    shade.putalpha(shadow.point(lambda v: v * 35 // 100))
    canvas.alpha_composite(shade, (int(width * 0.012), int(height * 0.015)))
    canvas.alpha_composite(figure)
    return _finish(canvas, PORTRAIT_SIZE)


def _darker(colour: RGB, factor: float = 0.88) -> RGB:
    return tuple(round(c * factor) for c in colour)  # type: ignore[return-value]


def _draw_head(draw: ImageDraw.ImageDraw, head, skin: RGB, width: int) -> None:
    """A rounded face with ears; no features, so the avatar stays neutral and friendly."""
    left, top, right, bottom = head
    head_h = bottom - top
    ear_w, ear_h = width * 0.035, head_h * 0.2
    ear_y = top + head_h * 0.45
    for x in (left + ear_w * 0.3, right - ear_w * 0.3):
        draw.ellipse((x - ear_w, ear_y, x + ear_w, ear_y + ear_h), fill=_darker(skin, 0.94))
    # A rounded rectangle reads as a friendlier face shape than a pure ellipse.
    draw.rounded_rectangle(head, radius=int((right - left) * 0.48), fill=skin)


def _draw_body(draw: ImageDraw.ImageDraw, width: int, height: int, skin: RGB, shirt: RGB, head, accent: RGB) -> None:
    """Shoulders in a white coat, an open collar with a coloured shirt, neck and stethoscope."""
    cx = width // 2
    neck_w = int(width * 0.13)
    neck_top = head[3] - int(height * 0.06)
    collar_y = int(height * 0.60)
    draw.rectangle((cx - neck_w // 2, neck_top, cx + neck_w // 2, collar_y + 40), fill=_darker(skin, 0.9))
    # Shoulders: a wide ellipse running off the bottom edge.
    draw.ellipse((int(width * 0.08), collar_y, int(width * 0.92), int(height * 1.5)), fill=COAT)
    # Shirt showing in the open collar, and the lapels' shading either side.
    v_depth = int(height * 0.20)
    draw.polygon([(cx - neck_w, collar_y), (cx + neck_w, collar_y), (cx, collar_y + v_depth)], fill=shirt)
    draw.polygon(
        [(cx - neck_w, collar_y), (cx - int(neck_w * 1.8), collar_y + 30), (cx, collar_y + v_depth)], fill=COAT_SHADE
    )
    draw.polygon(
        [(cx + neck_w, collar_y), (cx + int(neck_w * 1.8), collar_y + 30), (cx, collar_y + v_depth)], fill=COAT_SHADE
    )
    draw.polygon(
        [(cx - neck_w // 2, collar_y), (cx + neck_w // 2, collar_y), (cx, collar_y + v_depth // 3)],
        fill=_darker(skin, 0.9),
    )
    # Stethoscope: a loop round the neck and a chest piece on one side.
    line = max(6, width // 110)
    loop = (cx - int(neck_w * 1.3), collar_y - int(height * 0.02), cx + int(neck_w * 1.3), collar_y + v_depth)
    draw.arc(loop, start=0, end=180, fill=STETHOSCOPE, width=line)
    tube_end = (cx + int(neck_w * 1.05), collar_y + int(v_depth * 1.3))
    draw.line([(loop[2] - line // 2, (loop[1] + loop[3]) // 2), tube_end], fill=STETHOSCOPE, width=line)
    radius = int(width * 0.028)
    draw.ellipse(
        (tube_end[0] - radius, tube_end[1] - radius, tube_end[0] + radius, tube_end[1] + radius),
        fill=STETHOSCOPE,
        outline=accent,
        width=line,
    )


def _draw_hair_back(draw: ImageDraw.ImageDraw, head, hair: RGB, style: str, width: int) -> None:
    """Hair volume behind the face: it shows round the sides and on top."""
    left, top, right, bottom = head
    head_w, head_h = right - left, bottom - top
    if style == "long":
        draw.rounded_rectangle(
            (left - width * 0.04, top + head_h * 0.1, right + width * 0.04, top + head_h * 1.3),
            radius=int(width * 0.1),
            fill=hair,
        )
    if style == "curly":
        for i in range(13):
            angle = math.pi * 0.92 + i * math.pi * 1.16 / 12
            x = (left + right) / 2 + math.cos(angle) * head_w * 0.52
            y = top + head_h * 0.4 + math.sin(angle) * head_h * 0.42
            r = head_w * 0.15
            draw.ellipse((x - r, y - r, x + r, y + r), fill=hair)
        return
    pad = width * (0.008 if style == "crop" else 0.02)
    draw.ellipse(
        (left - pad, top - head_h * 0.05, right + pad, top + head_h * (0.62 if style == "crop" else 0.8)), fill=hair
    )
    if style == "bun":
        size = head_w * 0.42
        cx = (left + right) / 2
        draw.ellipse((cx - size / 2, top - size * 0.75, cx + size / 2, top + size * 0.25), fill=hair)


def _draw_hair_front(draw: ImageDraw.ImageDraw, head, hair: RGB, style: str) -> None:
    """A fringe over the forehead, swept from a side parting (curls and crops have none)."""
    left, top, right, bottom = head
    head_w, head_h = right - left, bottom - top
    if style in ("curly", "crop"):
        draw.chord((left, top - head_h * 0.02, right, top + head_h * 0.42), 180, 360, fill=hair)
        return
    draw.ellipse((left - head_w * 0.03, top - head_h * 0.1, right - head_w * 0.12, top + head_h * 0.34), fill=hair)
    draw.ellipse((left + head_w * 0.3, top - head_h * 0.06, right + head_w * 0.01, top + head_h * 0.26), fill=hair)


# --- Specialization banners -----------------------------------------------------------------


@functools.cache
def banner_image(seed: str, motif: str) -> bytes:
    """A gradient banner with a light geometric ``motif`` (see ``MOTIFS``) on its right side."""
    start, end, accent = palette(seed)
    width, height = (side * SUPERSAMPLE for side in BANNER_SIZE)
    canvas = _diagonal_gradient((width, height), start, end).convert("RGBA")
    _glow(canvas, (int(width * 0.78), int(height * 0.45)), int(height * 0.75), (255, 255, 255), 0.45)
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    MOTIFS[motif](draw, width, height, random.Random(_seed(f"motif:{seed}")), accent)
    canvas.alpha_composite(layer)
    return _finish(canvas, BANNER_SIZE)


def _white(alpha: int) -> tuple[int, int, int, int]:
    return (255, 255, 255, alpha)


def _tint(colour: RGB, alpha: int) -> tuple[int, int, int, int]:
    return (*colour, alpha)


def _motif_pulse(draw, width, height, rng, accent) -> None:
    """A heart-monitor trace across the banner, with soft rings behind it."""
    for i in range(3):
        r = int(height * (0.22 + 0.14 * i))
        cx, cy = int(width * 0.76), int(height * 0.5)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=_white(70 - 15 * i), width=6)
    y = height * 0.55
    points: list[tuple[float, float]] = []
    x = 0.0
    beat = [(0, 0), (0.02, -0.05), (0.035, 0), (0.05, 0.06), (0.065, -0.32), (0.08, 0.18), (0.095, 0), (0.13, -0.06)]
    while x < width:
        points.extend((x + dx * width, y + dy * height) for dx, dy in beat)
        x += width * 0.22
    draw.line(points, fill=_white(210), width=10, joint="curve")
    draw.line(points, fill=_tint(accent, 120), width=4, joint="curve")


def _motif_network(draw, width, height, rng, accent) -> None:
    """Nodes joined by thin lines: a nod to neurons without drawing one."""
    nodes = [(rng.uniform(0.45, 0.97) * width, rng.uniform(0.08, 0.92) * height) for _ in range(22)]
    for i, (x1, y1) in enumerate(nodes):
        for x2, y2 in nodes[i + 1 :]:
            if math.hypot(x2 - x1, y2 - y1) < height * 0.32:
                draw.line([(x1, y1), (x2, y2)], fill=_white(110), width=4)
    for x, y in nodes:
        r = rng.uniform(0.012, 0.03) * height
        draw.ellipse((x - r, y - r, x + r, y + r), fill=_white(220), outline=_tint(accent, 140), width=4)


def _motif_cells(draw, width, height, rng, accent) -> None:
    """Overlapping translucent circles, like cells under a microscope."""
    for _ in range(26):
        r = rng.uniform(0.05, 0.16) * height
        x, y = rng.uniform(0.42, 1.0) * width, rng.uniform(-0.05, 1.05) * height
        draw.ellipse((x - r, y - r, x + r, y + r), fill=_white(rng.randint(30, 70)), outline=_white(120), width=4)
        draw.ellipse((x - r * 0.25, y - r * 0.25, x + r * 0.25, y + r * 0.25), fill=_tint(accent, 60))


def _motif_bubbles(draw, width, height, rng, accent) -> None:
    """Playful dots of many sizes drifting upwards, for the children's clinic."""
    for _ in range(40):
        r = rng.uniform(0.01, 0.07) * height
        x, y = rng.uniform(0.38, 1.0) * width, rng.uniform(0, 1) * height
        colour = _white(rng.randint(90, 200)) if rng.random() < 0.7 else _tint(accent, 110)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)


def _motif_blocks(draw, width, height, rng, accent) -> None:
    """Stacked rounded bars, like vertebrae or a spine seen from the side."""
    cx = width * 0.76
    count = 9
    for i in range(count):
        y = height * (0.06 + i * 0.1)
        half = width * (0.07 + 0.02 * math.sin(i / (count - 1) * math.pi))
        offset = math.sin(i * 0.6) * width * 0.03
        draw.rounded_rectangle(
            (cx - half + offset, y, cx + half + offset, y + height * 0.07), radius=int(height * 0.03), fill=_white(170)
        )
    for i in range(4):
        x = width * (0.50 + 0.13 * i)
        draw.line([(x, height), (x + width * 0.2, 0)], fill=_white(45), width=8)


def _motif_crosses(draw, width, height, rng, accent) -> None:
    """A grid of medical plus signs, some bold, most faint."""
    step = height * 0.2
    arm, thick = step * 0.28, step * 0.1
    y = step * 0.5
    while y < height:
        x = width * 0.45
        while x < width:
            alpha = 200 if rng.random() < 0.18 else 70
            draw.rectangle((x - arm, y - thick, x + arm, y + thick), fill=_white(alpha))
            draw.rectangle((x - thick, y - arm, x + thick, y + arm), fill=_white(alpha))
            x += step
        y += step


def _motif_waves(draw, width, height, rng, accent) -> None:
    """Concentric arcs spreading out from one side, like sound."""
    cx, cy = width * 0.62, height * 0.5
    for i in range(1, 9):
        r = height * 0.09 * i
        draw.arc((cx - r, cy - r, cx + r, cy + r), start=-55, end=55, fill=_white(max(40, 220 - i * 22)), width=10)
    r = height * 0.05
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=_tint(accent, 170))


def _motif_petals(draw, width, height, rng, accent) -> None:
    """Rings overlapping in a flower: soft and round."""
    cx, cy = width * 0.76, height * 0.5
    r = height * 0.2
    for i in range(6):
        angle = i * math.pi / 3
        x, y = cx + math.cos(angle) * r, cy + math.sin(angle) * r
        draw.ellipse((x - r, y - r, x + r, y + r), outline=_white(170), width=8, fill=_white(28))
    draw.ellipse((cx - r * 0.3, cy - r * 0.3, cx + r * 0.3, cy + r * 0.3), fill=_tint(accent, 120))


MOTIFS = {
    "pulse": _motif_pulse,
    "network": _motif_network,
    "cells": _motif_cells,
    "bubbles": _motif_bubbles,
    "blocks": _motif_blocks,
    "crosses": _motif_crosses,
    "waves": _motif_waves,
    "petals": _motif_petals,
}


# --- Hero -----------------------------------------------------------------------------------


@functools.cache
def hero_image(seed: str = "riverside") -> bytes:
    """A wide, calm picture for the home page: teal to blue, soft light, a rounded cross, water."""
    width, height = (side * SUPERSAMPLE for side in HERO_SIZE)
    canvas = _diagonal_gradient((width, height), (196, 236, 232), (92, 150, 204)).convert("RGBA")
    _glow(canvas, (int(width * 0.70), int(height * 0.30)), int(height * 0.8), (255, 255, 255), 0.6)
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    rng = random.Random(_seed(f"hero:{seed}"))
    for _ in range(14):
        r = rng.uniform(0.03, 0.12) * height
        x, y = rng.uniform(0.45, 1.0) * width, rng.uniform(0.0, 0.65) * height
        draw.ellipse((x - r, y - r, x + r, y + r), fill=_white(rng.randint(25, 60)))
    # A rounded medical cross.
    cx, cy, arm, thick = width * 0.72, height * 0.38, height * 0.2, height * 0.075
    radius = int(thick * 0.6)
    draw.rounded_rectangle((cx - arm, cy - thick, cx + arm, cy + thick), radius=radius, fill=_white(225))
    draw.rounded_rectangle((cx - thick, cy - arm, cx + thick, cy + arm), radius=radius, fill=_white(225))
    # The river: three layered sine bands along the bottom.
    for band, (alpha, level) in enumerate(((70, 0.74), (110, 0.81), (170, 0.88))):
        phase = band * 1.3
        points = [
            (x, height * level + math.sin(x / width * math.pi * 3 + phase) * height * 0.025)
            for x in range(0, width + 40, 40)
        ]
        draw.polygon([*points, (width, height), (0, height)], fill=_white(alpha))
    canvas.alpha_composite(layer)
    return _finish(canvas, HERO_SIZE)
