"""Draw the skill's store icons (108 and 512 px PNG) into skill/tools/icons/.

Run once after changing the design: `pip install -e '.[icons]' && python scripts/draw-icons.py`.
The PNGs are committed, so `halsporre package` needs no drawing library: a footprint
(heel and toes) in white on the clinic's dark teal, the heel marked with a warm dot.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "skill" / "tools" / "icons"
BACKGROUND = (0, 92, 99)
FOOT = (255, 255, 255)
SPOT = (255, 140, 66)
SCALE = 4  # draw large, then shrink: smooth edges without anti-aliasing support


def draw(size: int) -> Image.Image:
    big = size * SCALE
    u = big / 100  # drawing units: 100 x 100
    img = Image.new("RGB", (big, big), BACKGROUND)
    d = ImageDraw.Draw(img)

    def ellipse(cx: float, cy: float, rx: float, ry: float, fill: tuple[int, int, int]) -> None:
        d.ellipse([(cx - rx) * u, (cy - ry) * u, (cx + rx) * u, (cy + ry) * u], fill=fill)

    ellipse(50, 48, 17, 22, FOOT)          # forefoot
    ellipse(47, 74, 12, 14, FOOT)          # heel
    arch = [(37.5, 60), (62, 61), (55, 67), (36, 68)]
    d.polygon([(x * u, y * u) for x, y in arch], fill=FOOT)  # the arch joining them
    for cx, cy, r in ((37, 23, 5.5), (47, 20, 5), (56, 20.5, 4.5), (63.5, 23.5, 4), (69, 29, 3.5)):
        ellipse(cx, cy, r, r * 1.15, FOOT)  # toes
    ellipse(47, 78, 5, 5, SPOT)            # the sore spot under the heel
    return img.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (108, 512):
        draw(size).save(OUT / f"icon-{size}.png", optimize=True)
        print(OUT / f"icon-{size}.png")


if __name__ == "__main__":
    main()
