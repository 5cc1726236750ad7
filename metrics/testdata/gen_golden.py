"""Golden values for metrics tests, from scikit-image.

Run from this folder with numpy, scipy and scikit-image installed:
    python gen_golden.py > golden.json
It writes morphological thinning cases (skimage.morphology.thin, the same
lookup tables as MATLAB's bwmorph 'thin', Inf) and SSIM/PSNR cases
(skimage.metrics.structural_similarity / peak_signal_noise_ratio).
"""
import json

import numpy as np
import scipy.ndimage as ndi
import skimage
from skimage.metrics import peak_signal_noise_ratio, structural_similarity
from skimage.morphology import thin

rng = np.random.default_rng(20261130)


def bits(a):
    return ["".join("1" if v else "0" for v in row) for row in a]


thin_cases = []
for i in range(12):
    h, w = int(rng.integers(8, 30)), int(rng.integers(8, 30))
    if i % 3 == 0:  # random noise
        a = rng.random((h, w)) < 0.45
    elif i % 3 == 1:  # blobs: smoothed noise thresholded
        a = ndi.gaussian_filter(rng.random((h, w)), 1.5) > 0.5
    else:  # thick strokes
        a = np.zeros((h, w), bool)
        for _ in range(4):
            y0, x0 = rng.integers(0, h), rng.integers(0, w)
            y1, x1 = rng.integers(0, h), rng.integers(0, w)
            n = max(abs(y1 - y0), abs(x1 - x0)) + 1
            for t in np.linspace(0, 1, n):
                y, x = int(round(y0 + t * (y1 - y0))), int(round(x0 + t * (x1 - x0)))
                a[max(0, y - 1):y + 2, max(0, x - 1):x + 2] = True
    thin_cases.append({"h": h, "w": w, "in": bits(a), "out": bits(thin(a))})



def ssim_pair(c, h, w):
    """The image pair of an SSIM case; ssim_test.go builds the same pair."""
    cc, yy, xx = np.meshgrid(np.arange(c), np.arange(h), np.arange(w), indexing="ij")
    cc, yy, xx = cc.astype(np.float64), yy.astype(np.float64), xx.astype(np.float64)
    ref = 0.5 + 0.45 * np.sin(0.37 * xx + 0.23 * yy * (cc + 1) + cc)
    x = ref + 0.2 * np.sin(1.7 * xx * yy + 0.5 * cc) - 0.05
    return x.astype(np.float32), ref.astype(np.float32)


ssim_cases = []
for c, h, w in [(3, 24, 29), (1, 16, 13), (3, 40, 33)]:
    x, ref = ssim_pair(c, h, w)
    # skimage clips nothing: clip here as the Go code does.
    x64, r64 = np.clip(x, 0, 1).astype(np.float64), np.clip(ref, 0, 1).astype(np.float64)
    gauss = structural_similarity(x64, r64, data_range=1, channel_axis=0, gaussian_weights=True,
                                  sigma=1.5, use_sample_covariance=False)
    uni = structural_similarity(x64, r64, data_range=1, channel_axis=0)
    psnr = peak_signal_noise_ratio(r64, x64, data_range=1)
    ssim_cases.append({"c": c, "h": h, "w": w,
                       "ssim_gaussian": float(gauss), "ssim_uniform7": float(uni), "psnr": float(psnr)})

print(json.dumps({"skimage": skimage.__version__, "thin": thin_cases, "ssim": ssim_cases}))
