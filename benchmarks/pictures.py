"""What a rate does to an image: one slice at rates 10, 100 and 500, original / decoded / difference.

run.py keeps the job's output of the middle slice at each picture rate; this draws one PNG grid
(a row per rate) at a CT window, converting stored values to HU with Rescale Slope/Intercept.
"""

from __future__ import annotations

import math
import pathlib

WINDOW, LEVEL = 400, 40  # HU: a soft-tissue window
DIFF_SCALE = 50  # HU: the difference's colour scale spans ±DIFF_SCALE


def draw(ctx, data, kept: pathlib.Path, out: pathlib.Path) -> dict | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import pydicom

    files = sorted(kept.glob("rate-*.dcm"), key=lambda p: float(p.stem.split("-")[1])) if kept.exists() else []
    if not files:
        return None
    original = ctx.originals[ctx.middle]["pixels"].astype(np.float64)
    peak = float((1 << ctx.bits_stored) - 1)
    to_hu = lambda stored: stored * ctx.slope + ctx.intercept  # noqa: E731
    low, high = LEVEL - WINDOW / 2, LEVEL + WINDOW / 2
    rows = []
    fig, axes = plt.subplots(len(files), 3, figsize=(12, 4.1 * len(files)), squeeze=False)
    for i, path in enumerate(files):
        rate = int(float(path.stem.split("-")[1]))
        ds = pydicom.dcmread(path)
        decoded = ds.pixel_array.astype(np.float64).reshape(original.shape)
        codestream = sum(len(f) for f in pydicom.encaps.generate_fragments(ds.PixelData))
        ratio = ctx.originals[ctx.middle]["pixelBytes"] / codestream
        mse = float(np.mean((decoded - original) ** 2))
        psnr = math.inf if mse == 0 else 10 * math.log10(peak * peak / mse)
        diff = to_hu(decoded) - to_hu(original)
        max_hu = float(np.abs(diff).max())
        rows.append({"rate": rate, "ratio": ratio, "psnr": psnr, "maxErrorHU": max_hu})
        panels = [
            (to_hu(original), "gray", low, high, "original"),
            (to_hu(decoded), "gray", low, high, f"decoded, rate {rate}:1"),
            (diff, "seismic", -DIFF_SCALE, DIFF_SCALE, f"decoded − original (±{DIFF_SCALE} HU)"),
        ]
        for ax, (image, cmap, vmin, vmax, title) in zip(axes[i], panels):
            shown = ax.imshow(image, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
            ax.set_title(title, fontsize=10)
            ax.axis("off")
            if cmap == "seismic":
                fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.02, label="HU")
        axes[i][1].text(
            0.02, 0.02, f"ratio {ratio:.1f}:1, PSNR {psnr:.2f} dB", transform=axes[i][1].transAxes,
            color="yellow", fontsize=10, va="bottom", bbox={"facecolor": "black", "alpha": 0.6, "pad": 3},
        )
    fig.suptitle(f"Slice {ctx.middle}: W {WINDOW} / L {LEVEL} HU; difference amplified to ±{DIFF_SCALE} HU", fontsize=12)
    fig.tight_layout()
    name = "pictures.png"
    fig.savefig(out / name, dpi=80)
    plt.close(fig)
    return {"file": name, "window": WINDOW, "level": LEVEL, "diffScale": DIFF_SCALE, "rows": rows}
