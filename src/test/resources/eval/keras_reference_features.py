#!/usr/bin/python3
"""Features of a Keras .h5 CNN computed with numpy alone, by Keras/TensorFlow semantics, for
InceptionExtractorTest: an implementation independent of DL4J and ND4J.

Reads the model as Keras would (model_config JSON, model_weights/<layer>/<weight>), supports the
layers InceptionV3 uses (InputLayer, Conv2D, BatchNormalization, Activation relu, MaxPooling2D,
AveragePooling2D, Concatenate, GlobalAveragePooling2D), channels_last, with TensorFlow's rules:
'same' padding puts the odd extra row/column at the bottom/right; average pooling with 'same'
padding divides by the number of real (unpadded) cells.

The input is a fixed 299x299x3 pattern in [-1, 1] that the test rebuilds in Java:
    x[0, h, w, c] = 0.9 * sin(0.05 * (c + 1) * h + 0.3 * c) * cos(0.07 * w - 0.2 * c)

    /usr/bin/python3 keras_reference_features.py narrow_inception_v3.h5 > narrow_inception_v3_features.txt
"""
import json
import sys

import h5py
import numpy as np


def pattern(size=299):
    h = np.arange(size, dtype=np.float64)[:, None, None]
    w = np.arange(size, dtype=np.float64)[None, :, None]
    c = np.arange(3, dtype=np.float64)[None, None, :]
    x = 0.9 * np.sin(0.05 * (c + 1) * h + 0.3 * c) * np.cos(0.07 * w - 0.2 * c)
    return x.astype(np.float32).astype(np.float64)  # the test feeds float32


def pads(size, k, s, padding):
    if padding == "valid":
        return (size - k) // s + 1, 0, 0
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return out, total // 2, total - total // 2


def windows(x, kh, kw, sh, sw, padding, fill):
    """[oh, ow, kh, kw, c] windows of x [h, w, c] (padded with `fill`)."""
    h, w, c = x.shape
    oh, top, bottom = pads(h, kh, sh, padding)
    ow, left, right = pads(w, kw, sw, padding)
    xp = np.pad(x, ((top, bottom), (left, right), (0, 0)), constant_values=fill)
    out = np.empty((oh, ow, kh, kw, c))
    for i in range(kh):
        for j in range(kw):
            out[:, :, i, j, :] = xp[i:i + sh * oh:sh, j:j + sw * ow:sw, :]
    return out


def run(path):
    with h5py.File(path, "r") as f:
        config = json.loads(f.attrs["model_config"])
        weights = {}
        for name in f["model_weights"]:
            g = f["model_weights"][name]
            weights[name] = {n.decode().split("/")[-1].split(":")[0]: np.array(g[n.decode()], np.float64)
                             for n in g.attrs["weight_names"]}
    values = {}
    for layer in config["config"]["layers"]:
        kind, cfg, name = layer["class_name"], layer["config"], layer["name"]
        inputs = [values[node[0]] for node in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
        w = weights.get(name, {})
        if kind == "InputLayer":
            y = pattern()
        elif kind == "Conv2D":
            x = inputs[0]
            k = w["kernel"]  # [kh, kw, cin, cout]
            win = windows(x, k.shape[0], k.shape[1], cfg["strides"][0], cfg["strides"][1], cfg["padding"], 0.0)
            y = np.tensordot(win, k, axes=([2, 3, 4], [0, 1, 2]))
            if cfg["use_bias"]:
                y = y + w["bias"]
            assert cfg["activation"] == "linear"
        elif kind == "BatchNormalization":
            gamma = w.get("gamma", 1.0)
            y = (inputs[0] - w["moving_mean"]) / np.sqrt(w["moving_variance"] + cfg["epsilon"]) * gamma + w["beta"]
        elif kind == "Activation":
            assert cfg["activation"] == "relu"
            y = np.maximum(inputs[0], 0)
        elif kind in ("MaxPooling2D", "AveragePooling2D"):
            x = inputs[0]
            kh, kw = cfg["pool_size"]
            sh, sw = cfg["strides"]
            if kind == "MaxPooling2D":
                y = windows(x, kh, kw, sh, sw, cfg["padding"], -np.inf).max(axis=(2, 3))
            else:
                total = windows(x, kh, kw, sh, sw, cfg["padding"], 0.0).sum(axis=(2, 3))
                count = windows(np.ones_like(x[:, :, :1]), kh, kw, sh, sw, cfg["padding"], 0.0).sum(axis=(2, 3))
                y = total / count
        elif kind == "Concatenate":
            y = np.concatenate(inputs, axis=-1)
        elif kind == "GlobalAveragePooling2D":
            y = inputs[0].mean(axis=(0, 1))
        else:
            raise ValueError("no reference for " + kind)
        values[name] = y
    out = config["config"]["output_layers"][0][0]
    return values[out]


if __name__ == "__main__":
    features = run(sys.argv[1])
    print("# " + " ".join(sys.argv) + ": %d features of the pattern input" % len(features))
    print(" ".join(repr(float(v)) for v in features))
