"""The offline sample set: generated NCD-like images for when NCD cannot be had.

Each image is one fruit or vegetable with its characteristic colour on a white
background, like NCD: a shaded, slightly textured body (round, oval, curved or
tapered), sometimes a green stem or cap, a soft shadow, and a specular highlight.
Shapes, sizes, positions, rotations and colours vary from image to image, and
everything follows from a seed, so two runs give the same files.

It is NOT NCD. The folder carries a marker file, :data:`~course_lib.layout.SAMPLE_MARKER_NAME`,
so that :func:`~course_lib.layout.is_sample_dataset` (and through it ``get_dataset`` and
``inspect``) can say so, loudly, wherever it is used. Numbers measured on it say nothing about NCD.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_lib.errors import CourseError, OutputPathError, describe_exception
from course_lib.layout import SAMPLE_MARKER_NAME, is_sample_dataset


@dataclass(frozen=True)
class ProduceSpec:
    """How to draw one category.

    ``color`` is the body's mean RGB (uint8 values); ``color_jitter`` its per-image
    spread. ``aspect`` is length / width; ``bend`` curves the body (a banana), ``taper``
    narrows one end (a carrot). ``cap`` is the RGB of a stem or cap at one end, if any.
    ``speckle`` is the fraction of the body covered by small darker spots (pores, seeds).
    """

    color: tuple[int, int, int]
    color_jitter: float
    aspect: tuple[float, float]
    bend: float = 0.0
    taper: float = 0.0
    cap: tuple[int, int, int] | None = None
    speckle: float = 0.0
    roughness: float = 0.06


#: Category names as in NCD, with colours an observer would expect of them.
CATEGORIES: dict[str, ProduceSpec] = {
    "Tomato": ProduceSpec((205, 35, 25), 12, (0.85, 1.0), cap=(45, 110, 30), roughness=0.04),
    "Banana": ProduceSpec((235, 200, 55), 10, (3.2, 4.0), bend=0.55, taper=0.25, cap=(95, 75, 35)),
    "Lemon": ProduceSpec((245, 220, 50), 8, (1.25, 1.45), speckle=0.03),
    "Cucumber": ProduceSpec((45, 105, 40), 10, (3.0, 3.8), bend=0.12, speckle=0.04, roughness=0.09),
    "Carrot": ProduceSpec((235, 115, 25), 10, (3.5, 4.5), taper=0.8, cap=(60, 140, 40), roughness=0.08),
    "Brinjal": ProduceSpec((75, 30, 85), 8, (1.6, 2.2), bend=0.1, taper=0.3, cap=(60, 115, 45), roughness=0.03),
    "Orange": ProduceSpec((245, 145, 25), 8, (0.95, 1.05), speckle=0.06, roughness=0.05),
    "CapsicumGreen": ProduceSpec((40, 140, 45), 12, (0.95, 1.2), cap=(70, 100, 40), roughness=0.05),
}


# ------------------------------------------------------------------------ drawing
def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cell: int) -> np.ndarray:
    """Zero-mean, unit-ish noise varying smoothly over about ``cell`` pixels, (H, W) float32."""
    from scipy import ndimage

    coarse = rng.standard_normal((shape[0] // cell + 2, shape[1] // cell + 2))
    fine = ndimage.zoom(coarse, cell, order=3)[: shape[0], : shape[1]]
    return (fine / (fine.std() + 1e-6)).astype(np.float32)


def _body_coords(height: int, width: int, rng: np.random.Generator, spec: ProduceSpec):
    """Pixel grid mapped into the object's frame: along ``u``, across ``v``; inside where r < 1.

    Returns (r, u, v, half_u): radial distance and normalised coordinates, each (H, W)
    float32, and the object's half-length in pixels.
    """
    short = min(height, width)
    aspect = rng.uniform(*spec.aspect)
    # Elongated objects fill the image diagonally; round ones fill ~60% of the short side.
    length = short * rng.uniform(0.55, 0.8) if aspect > 1.5 else short * rng.uniform(0.4, 0.65)
    half_u, half_v = length / 2, length / 2 / aspect
    half_u = min(half_u * (1.0 if aspect < 1.5 else 1.25), 0.48 * np.hypot(height, width))
    centre = (height / 2 + rng.uniform(-0.1, 0.1) * height, width / 2 + rng.uniform(-0.1, 0.1) * width)
    angle = rng.uniform(0, np.pi)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    y, x = y - centre[0], x - centre[1]
    u = (x * np.cos(angle) + y * np.sin(angle)) / half_u
    v = (-x * np.sin(angle) + y * np.cos(angle)) / half_v
    v = v - spec.bend * rng.uniform(0.7, 1.3) * (u**2 - 0.5) * (half_u / half_v) * 0.35  # bend along u
    thickness = 1.0 - spec.taper * (u + 1) / 2  # 1 at one end, (1 - taper) at the other
    v = v / np.maximum(thickness, 0.15)
    r = np.sqrt(u**2 + v**2)
    return r, u, v, half_u


def _draw_one(rng: np.random.Generator, spec: ProduceSpec, height: int, width: int) -> np.ndarray:
    """One NCD-like image, uint8 (H, W, 3)."""
    r, u, v, half_u = _body_coords(height, width, rng, spec)
    # Anti-aliased coverage: 1 inside, 0 outside, a ~1.5 px ramp at the edge.
    edge_px = 1.5 / max(half_u / 4, 1.0)
    coverage = np.clip((1.0 - r) / edge_px, 0.0, 1.0)[..., None]

    # Shading: a dome lit from the upper left, plus a soft specular highlight.
    dome = np.sqrt(np.clip(1.0 - r**2, 0.0, 1.0))
    light = 0.45 + 0.55 * dome + 0.15 * (-u - v) * dome
    highlight = 0.45 * np.exp(-((u + 0.35) ** 2 + (v + 0.4) ** 2) / 0.02)
    base = np.array(spec.color, np.float32) + rng.normal(0, spec.color_jitter, 3)
    texture = 1.0 + spec.roughness * _smooth_noise(rng, r.shape, cell=max(3, int(half_u // 6)))
    body = base * (light * texture)[..., None] + 255.0 * highlight[..., None]
    if spec.speckle:
        spots = rng.random(r.shape) < spec.speckle
        body[spots] *= 0.75
    if spec.cap is not None:
        # A stem / cap at the u = -1 end.
        cap_r = np.sqrt(((u + 0.95) / 0.18) ** 2 + (v / 0.35) ** 2)
        cap_cover = np.clip((1.0 - cap_r) / 0.2, 0.0, 1.0)[..., None]
        cap_color = np.array(spec.cap, np.float32) * (0.7 + 0.3 * dome[..., None])
        body = body * (1 - cap_cover) + cap_color * cap_cover
        coverage = np.maximum(coverage, cap_cover)

    # White background with a faint grey shadow below-right of the object.
    background = np.full(r.shape + (3,), 252.0, np.float32) + rng.normal(0, 1.5, r.shape + (1,))
    shadow_r = np.roll(np.roll(r, int(0.06 * half_u) + 1, axis=0), int(0.04 * half_u) + 1, axis=1)
    background *= 1.0 - 0.12 * np.clip(1.2 - shadow_r, 0.0, 1.0)[..., None]
    image = background * (1 - coverage) + body * coverage
    return np.clip(image + 0.5, 0, 255).astype(np.uint8)


def make_sample_image(category: str, seed: int = 0, size: tuple[int, int] = (240, 320)) -> np.ndarray:
    """One generated image of ``category`` (a key of :data:`CATEGORIES`).

    Returns
    -------
    ndarray of uint8, shape (height, width, 3) with ``size = (height, width)``
    """
    if category not in CATEGORIES:
        raise CourseError(f"unknown sample category {category!r}; choose one of {', '.join(CATEGORIES)}")
    index = list(CATEGORIES).index(category)
    rng = np.random.default_rng([seed, index])
    return _draw_one(rng, CATEGORIES[category], *size)


# ----------------------------------------------------------------------- the set
def default_sample_dir() -> Path:
    """``data/sample/`` in the repository."""
    from course_lib.config import data_dir

    return data_dir() / "sample"


def _marker_text(settings: dict) -> str:
    return (
        "OFFLINE SAMPLE SET -- generated images, NOT the Natural-Color Dataset (NCD).\n"
        "Made by course_lib.sample_data.make_sample_dataset so the course runs without NCD.\n"
        "Results measured on it say nothing about NCD. Delete this folder to regenerate it.\n"
        f"settings: {json.dumps(settings, sort_keys=True)}\n"
    )


def _settings_of(root: Path) -> dict | None:
    for line in (root / SAMPLE_MARKER_NAME).read_text().splitlines():
        if line.startswith("settings: "):
            return json.loads(line[len("settings: "):])
    return None


def make_sample_dataset(
    dest: str | os.PathLike | None = None,
    per_category: int = 24,
    seed: int = 0,
    categories: list[str] | None = None,
    min_side: int = 200,
    max_side: int = 360,
    overwrite: bool = False,
) -> Path:
    """Write the offline sample set (JPEGs in ``<dest>/<Category>/``) and return ``dest``.

    Reuses an existing set made with the same settings (fast no-op). A folder that
    exists but is not a sample set is never written into, so generated images cannot
    end up among real ones.

    Parameters
    ----------
    dest : path-like, optional
        Defaults to ``data/sample/``.
    per_category : int
        Images per category.
    seed : int
        Everything is determined by it.
    categories : list of str, optional
        A subset of :data:`CATEGORIES` (default all 8).
    min_side, max_side : int
        Each image's width and height are drawn from this range (pixels).
    overwrite : bool
        Regenerate even when a matching set exists.

    Returns
    -------
    Path
        ``dest``, whose category folders hold ``<Category><i>.jpg`` and whose
        :data:`~course_lib.layout.SAMPLE_MARKER_NAME` marks it as the sample set.
    """
    from PIL import Image
    from tqdm.auto import tqdm

    dest = Path(dest) if dest is not None else default_sample_dir()
    categories = list(categories or CATEGORIES)
    unknown = [c for c in categories if c not in CATEGORIES]
    if unknown:
        raise CourseError(f"unknown sample categories {unknown}; choose from {', '.join(CATEGORIES)}")
    if per_category < 1:
        raise CourseError(f"per_category must be at least 1, got {per_category}")
    settings = {"per_category": per_category, "seed": seed, "categories": categories,
                "min_side": min_side, "max_side": max_side, "version": 1}

    if dest.exists() and not dest.is_dir():
        raise OutputPathError(f"{dest} is a file, not a folder; choose a folder for the sample set with --dest")
    if dest.exists() and any(dest.iterdir()):
        if not is_sample_dataset(dest):
            raise OutputPathError(
                f"{dest} exists and is not the offline sample set; refusing to write generated images "
                "into it. Choose an empty or new folder with --dest"
            )
        if not overwrite and _settings_of(dest) == settings:
            return dest
        shutil.rmtree(dest)  # safe: the marker says we made it

    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # no permission, read-only disk, a file higher up the path
        raise OutputPathError(
            f"cannot create the folder {dest} ({describe_exception(exc)}); choose a writable folder with --dest"
        ) from None
    jobs = [(c, i) for c in categories for i in range(per_category)]
    for category, i in tqdm(jobs, desc="generating sample set", unit="img", disable=len(jobs) < 100, leave=False):
        rng = np.random.default_rng([seed, list(CATEGORIES).index(category), i])
        height, width = (int(s) for s in rng.integers(min_side, max_side + 1, size=2))
        image = _draw_one(rng, CATEGORIES[category], height, width)
        (dest / category).mkdir(exist_ok=True)
        Image.fromarray(image).save(dest / category / f"{category}{i + 1}.jpg", quality=92)
    # The marker goes last: a half-written set is not mistaken for a finished one.
    (dest / SAMPLE_MARKER_NAME).write_text(_marker_text(settings))
    return dest


# ------------------------------------------------------------------------ command
def configure_parser(parser) -> None:
    parser.add_argument("--dest", default=None, help="output folder (default: data/sample/)")
    parser.add_argument("--per-category", type=int, default=24, help="images per category (default 24)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--overwrite", action="store_true", help="regenerate even if a matching set exists")


def run_cli(args) -> int:
    root = make_sample_dataset(args.dest, per_category=args.per_category, seed=args.seed, overwrite=args.overwrite)
    n_files = sum(1 for _ in root.glob("*/*.jpg"))
    print(f"OFFLINE SAMPLE SET (generated images, NOT NCD): {n_files} images in {root}")
    return 0
