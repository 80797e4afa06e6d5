"""PSNR and SSIM of image pairs by scikit-image (Debian's python3-skimage), the reference for
PairedMetricsTest: reads uint8 images [n, c, s, s] from two raw files, prints one JSON line."""
import json
import sys

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

n, c, s = (int(v) for v in sys.argv[3:6])
a = np.fromfile(sys.argv[1], dtype=np.uint8).reshape(n, c, s, s)
b = np.fromfile(sys.argv[2], dtype=np.uint8).reshape(n, c, s, s)
psnr = [float(peak_signal_noise_ratio(a[i], b[i], data_range=255)) for i in range(n)]
psnr = [p if np.isfinite(p) else None for p in psnr]  # identical images: infinite, JSON null
ssim = [float(structural_similarity(a[i], b[i], gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                    data_range=255, channel_axis=0)) for i in range(n)]
print(json.dumps({"psnr": psnr, "ssim": ssim}))
