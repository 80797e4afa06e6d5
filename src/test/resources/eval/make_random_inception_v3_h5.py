#!/usr/bin/python3
"""Writes Keras's InceptionV3 architecture (include_top=False, pooling='avg', 299x299x3) with
random weights as a Keras 2 .h5, without Keras: a manual check that DL4J imports the whole real
architecture (every layer type and name InceptionV3 uses) and a way to time InceptionExtractor.
The features it gives are meaningless; FID needs the real ImageNet weights.

    /usr/bin/python3 make_random_inception_v3_h5.py /tmp/inception_v3_random.h5   (about 87 MB)
    /usr/bin/python3 make_random_inception_v3_h5.py narrow_inception_v3.h5 0.03

The second, every layer 3% as wide and one block of each kind (mixed0, mixed3, mixed4, mixed8,
mixed9: every layer type, kernel shape and padding of InceptionV3, in a small file), is the test
resource narrow_inception_v3.h5 that InceptionExtractorTest runs through both DL4J's
ComputationGraph and the SameDiff translation.

The layer graph follows keras.applications.inception_v3 (Keras 2), with Keras's automatic names
(conv2d, conv2d_1, ..., batch_normalization_N, activation_N, mixed0..mixed10).
"""
import json
import sys
from collections import defaultdict

import h5py
import numpy as np

layers = []
weights = {}
counts = defaultdict(int)
rng = np.random.RandomState(0)


def auto_name(base):
    n = counts[base]
    counts[base] += 1
    return base if n == 0 else "%s_%d" % (base, n)


def add(class_name, config, inputs, name=None, base=None):
    name = name or auto_name(base)
    config = dict(config, name=name, trainable=True, dtype="float32")
    nodes = [[[i, 0, 0, {}] for i in inputs]] if inputs else []
    layers.append({"class_name": class_name, "config": config, "name": name, "inbound_nodes": nodes})
    return name


channels = {}


SEPARATORS = None  # json.dumps's default, as Keras writes
LIBVER = "earliest"  # the layout h5py (and so Keras) writes by default
BLOCKS = (3, 4, 2)  # how many of the repeated 35x35, 17x17 and 8x8 blocks; (3, 4, 2) is InceptionV3
WIDTH = 1.0  # filters are scaled by this (at least 1); 1.0 is InceptionV3


def conv2d_bn(x, filters, rows, cols, padding="same", strides=(1, 1)):
    filters = max(1, int(round(filters * WIDTH)))
    fan_in = rows * cols * channels[x]
    conv = add("Conv2D", {"filters": filters, "kernel_size": [rows, cols], "strides": list(strides),
                          "padding": padding, "data_format": "channels_last", "dilation_rate": [1, 1],
                          "groups": 1, "activation": "linear", "use_bias": False,
                          "kernel_initializer": {"class_name": "GlorotUniform", "config": {}},
                          "bias_initializer": {"class_name": "Zeros", "config": {}},
                          "kernel_regularizer": None, "bias_regularizer": None,
                          "activity_regularizer": None, "kernel_constraint": None,
                          "bias_constraint": None}, [x], base="conv2d")
    weights[conv] = [(conv + "/kernel:0",
                      (rng.standard_normal((rows, cols, channels[x], filters)) * np.sqrt(2.0 / fan_in))
                      .astype(np.float32))]
    bn = add("BatchNormalization", {"axis": [3], "momentum": 0.99, "epsilon": 0.001, "center": True,
                                    "scale": False, "beta_initializer": {"class_name": "Zeros", "config": {}},
                                    "gamma_initializer": {"class_name": "Ones", "config": {}},
                                    "moving_mean_initializer": {"class_name": "Zeros", "config": {}},
                                    "moving_variance_initializer": {"class_name": "Ones", "config": {}},
                                    "beta_regularizer": None, "gamma_regularizer": None,
                                    "beta_constraint": None, "gamma_constraint": None}, [conv],
             base="batch_normalization")
    weights[bn] = [(bn + "/beta:0", rng.uniform(-0.1, 0.1, filters).astype(np.float32)),
                   (bn + "/moving_mean:0", rng.uniform(-0.1, 0.1, filters).astype(np.float32)),
                   (bn + "/moving_variance:0", rng.uniform(0.8, 1.2, filters).astype(np.float32))]
    act = add("Activation", {"activation": "relu"}, [bn], base="activation")
    channels[act] = filters
    return act


def pool(kind, x, strides, padding):
    name = add(kind, {"pool_size": [3, 3], "padding": padding, "strides": list(strides),
                      "data_format": "channels_last"}, [x],
               base="max_pooling2d" if kind == "MaxPooling2D" else "average_pooling2d")
    channels[name] = channels[x]
    return name


def concat(xs, name=None):
    name = add("Concatenate", {"axis": 3}, xs, name=name, base="concatenate")
    channels[name] = sum(channels[x] for x in xs)
    return name


def build():
    layers.append({"class_name": "InputLayer",
                   "config": {"batch_input_shape": [None, 299, 299, 3], "dtype": "float32",
                              "sparse": False, "ragged": False, "name": "input_1"},
                   "name": "input_1", "inbound_nodes": []})
    channels["input_1"] = 3
    x = conv2d_bn("input_1", 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = pool("MaxPooling2D", x, (2, 2), "valid")
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = pool("MaxPooling2D", x, (2, 2), "valid")
    for i, pool_filters in enumerate([32, 64, 64][:BLOCKS[0]]):  # mixed0..2: 35x35
        b1 = conv2d_bn(x, 64, 1, 1)
        b5 = conv2d_bn(conv2d_bn(x, 48, 1, 1), 64, 5, 5)
        b3 = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3)
        bp = conv2d_bn(pool("AveragePooling2D", x, (1, 1), "same"), pool_filters, 1, 1)
        x = concat([b1, b5, b3, bp], "mixed%d" % i)
    b3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")  # mixed3: 17x17
    bd = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3, strides=(2, 2), padding="valid")
    x = concat([b3, bd, pool("MaxPooling2D", x, (2, 2), "valid")], "mixed3")
    for i, c in enumerate([128, 160, 160, 192][:BLOCKS[1]]):  # mixed4..7
        b1 = conv2d_bn(x, 192, 1, 1)
        b7 = conv2d_bn(conv2d_bn(conv2d_bn(x, c, 1, 1), c, 1, 7), 192, 7, 1)
        bd = conv2d_bn(x, c, 1, 1)
        bd = conv2d_bn(bd, c, 7, 1)
        bd = conv2d_bn(bd, c, 1, 7)
        bd = conv2d_bn(bd, c, 7, 1)
        bd = conv2d_bn(bd, 192, 1, 7)
        bp = conv2d_bn(pool("AveragePooling2D", x, (1, 1), "same"), 192, 1, 1)
        x = concat([b1, b7, bd, bp], "mixed%d" % (4 + i))
    b3 = conv2d_bn(conv2d_bn(x, 192, 1, 1), 320, 3, 3, strides=(2, 2), padding="valid")  # mixed8: 8x8
    b7 = conv2d_bn(conv2d_bn(conv2d_bn(x, 192, 1, 1), 192, 1, 7), 192, 7, 1)
    b7 = conv2d_bn(b7, 192, 3, 3, strides=(2, 2), padding="valid")
    x = concat([b3, b7, pool("MaxPooling2D", x, (2, 2), "valid")], "mixed8")
    for i in range(BLOCKS[2]):  # mixed9, mixed10: 8x8x2048
        b1 = conv2d_bn(x, 320, 1, 1)
        b3 = conv2d_bn(x, 384, 1, 1)
        b3 = concat([conv2d_bn(b3, 384, 1, 3), conv2d_bn(b3, 384, 3, 1)], "mixed9_%d" % i)
        bd = conv2d_bn(conv2d_bn(x, 448, 1, 1), 384, 3, 3)
        bd = concat([conv2d_bn(bd, 384, 1, 3), conv2d_bn(bd, 384, 3, 1)])
        bp = conv2d_bn(pool("AveragePooling2D", x, (1, 1), "same"), 192, 1, 1)
        x = concat([b1, b3, bd, bp], "mixed%d" % (9 + i))
    out = add("GlobalAveragePooling2D", {"data_format": "channels_last", "keepdims": False}, [x],
              base="global_average_pooling2d")
    return {"class_name": "Functional",
            "config": {"name": "inception_v3", "layers": layers,
                       "input_layers": [["input_1", 0, 0]], "output_layers": [[out, 0, 0]]}}


def main(path):
    config = build()
    names = [l["name"] for l in layers]
    with h5py.File(path, "w", libver=LIBVER) as f:
        f.attrs["keras_version"] = "2.12.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config, separators=SEPARATORS).encode("utf8")
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = np.array([n.encode("utf8") for n in names])
        g.attrs["backend"] = b"tensorflow"
        g.attrs["keras_version"] = b"2.12.0"
        for name in sorted(names):
            lg = g.create_group(name)
            entries = weights.get(name, [])
            lg.attrs["weight_names"] = np.array([n.encode("utf8") for n, _ in entries])
            for n, value in entries:
                lg.create_dataset(n, data=value)
    params = sum(v.size for e in weights.values() for _, v in e)
    print("%s: %d layers, %d weights" % (path, len(names), params))


if __name__ == "__main__":
    if len(sys.argv) > 2:
        WIDTH = float(sys.argv[2])
        # a small test file: compact HDF5 groups and JSON, one block of each kind (every layer type,
        # padding and kernel shape of InceptionV3 is still there)
        LIBVER = "latest"
        SEPARATORS = (",", ":")
        BLOCKS = (1, 1, 1)
    main(sys.argv[1] if len(sys.argv) > 1 else "inception_v3_random.h5")
