"""FID statistics with a reference answer from SciPy, for FrechetDistanceTest and docs/fid-scipy-check.sh.

    python3 fid_scipy_reference.py SEED D OUT_DIR

writes OUT_DIR/a.npz and OUT_DIR/b.npz (pytorch-fid's layout: mu [D], sigma [D, D], float64) and prints
one JSON object: {"d": D, "seed": SEED, "fid_sqrtm": ..., "fid_eigh": ...}.

The covariances are well conditioned and symmetric positive definite: Q diag(l) Q^T with Q the
orthogonal factor of a Gaussian matrix and l spread over a decade, so that neither reference is at
the edge of its accuracy. fid_sqrtm is pytorch-fid's formula (scipy.linalg.sqrtm of the product
sigma1 @ sigma2, real part); fid_eigh takes tr((S1^1/2 S2 S1^1/2)^1/2) from two symmetric
eigendecompositions (scipy.linalg.eigh, LAPACK through Debian's reference BLAS or OpenBLAS). The
script fails if the two disagree by more than 1e-9 relative, so a reference is only given when it
is not in doubt. Needs Debian's python3-numpy and python3-scipy.
"""
import json
import os
import sys

import numpy as np
import scipy.linalg


def spd(rng, d):
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    q = q * np.sign(np.diag(r))  # a Haar-distributed orthogonal matrix
    eigenvalues = np.exp(rng.uniform(np.log(0.1), np.log(1.0), d))
    sigma = (q * eigenvalues) @ q.T
    return (sigma + sigma.T) / 2


def fid_sqrtm(mu1, s1, mu2, s2):
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    covmean = np.real(covmean)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def fid_eigh(mu1, s1, mu2, s2):
    w, v = scipy.linalg.eigh(s1)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = root @ s2 @ root
    lam = scipy.linalg.eigh((m + m.T) / 2, eigvals_only=True)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.sum(np.sqrt(np.clip(lam, 0, None))))


def main():
    seed, d, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rng = np.random.default_rng(seed)
    mu1 = rng.standard_normal(d) * 0.5
    mu2 = rng.standard_normal(d) * 0.5
    s1 = spd(rng, d)
    s2 = spd(rng, d)
    os.makedirs(out, exist_ok=True)
    np.savez(os.path.join(out, "a.npz"), mu=mu1, sigma=s1)
    np.savez(os.path.join(out, "b.npz"), mu=mu2, sigma=s2)
    a = fid_sqrtm(mu1, s1, mu2, s2)
    b = fid_eigh(mu1, s1, mu2, s2)
    if abs(a - b) > 1e-9 * abs(a):
        sys.exit("the references disagree: sqrtm %.15g, eigh %.15g" % (a, b))
    print(json.dumps({"d": d, "seed": seed, "fid_sqrtm": a, "fid_eigh": b}))


if __name__ == "__main__":
    main()
