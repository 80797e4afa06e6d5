#!/usr/bin/env python3
"""Reference points for the pix2pix recipe's table (docs/recipes.md, "pix2pix"): predictors that ignore
the sketch or copy it, scored on the held-out pairs as the FID stage scores a generator (each pair's L1
on [0, 1], PSNR in dB on 0-255 and SSIM with an 11x11 Gaussian window, sigma 1.5, then the mean).
Argument: a prepared aligned dataset's local directory (a run's provenance.json names it, "shards").
Needs NumPy and scikit-image (Debian: python3-numpy, python3-skimage)."""
import glob
import sys

import numpy as np
from skimage.metrics import structural_similarity


def pairs(directory):
    files = sorted(glob.glob(f"{directory}/part-*.npy"))
    if not files:
        sys.exit(f"pix2pix-reference-points: no part-*.npy shards in {directory}")
    return np.concatenate([np.load(f) for f in files])["image"]  # [n, 2·c, h, w]: A then B


def score(name, outputs, targets):
    diff = outputs.astype(np.float64) - targets
    mse = (diff ** 2).reshape(len(targets), -1).mean(1)
    psnr = np.where(mse == 0, 100.0, 10 * np.log10(255.0 ** 2 / np.maximum(mse, 1e-300)))
    ssim = [structural_similarity(o, t, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                  data_range=255, channel_axis=0) for o, t in zip(outputs, targets)]
    print(f"| {name} | {np.abs(diff).mean() / 255:.3g} | {psnr.mean():.3g} | {np.mean(ssim):.3g} |")


directory = sys.argv[1].removeprefix("file:")
train, held_out = pairs(directory), pairs(f"{directory}/held-out")
c = held_out.shape[1] // 2
inputs, targets = held_out[:, :c], held_out[:, c:]
mean_target = np.rint(train[:, c:].astype(np.float64).mean(0)).astype(np.uint8)
print("| output | L1 | PSNR dB | SSIM |\n|---|---|---|---|")
score("the mean training target, for every input", np.broadcast_to(mean_target, targets.shape), targets)
score("all black", np.zeros_like(targets), targets)
score("the input sketch itself", inputs, targets)
