"""NumPy oracles shared by several test modules (imported as ``from oracles import …``)."""
import numpy as np


def ncc_oracle(r, s, g):
    """Direct spatial-domain weighted Pearson correlation at every integer lag (float64)."""
    h, w = r.shape
    La, Lr = s.shape[0] - h + 1, s.shape[1] - w + 1
    out = np.empty((La, Lr))
    rm = r - np.sum(g * r) / g.sum()
    for a in range(La):
        for b in range(Lr):
            x = s[a:a + h, b:b + w]
            xm = x - np.sum(g * x) / g.sum()
            out[a, b] = np.sum(g * rm * xm) / np.sqrt(np.sum(g * rm ** 2) * np.sum(g * xm ** 2))
    return out
