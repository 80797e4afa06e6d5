#!/usr/bin/python3
"""Writes tiny stand-ins for Keras's InceptionV3 .h5 (model.save('x.h5') with TF 2.x / Keras 2).

Keras and TensorFlow are not needed: the file is written with h5py in the layout Keras 2's
legacy HDF5 saving uses (root attrs keras_version, backend, model_config; group model_weights
with layer_names, one group per layer with weight_names and datasets <layer>/<weight>:0).

Each model is the shape of InceptionV3's first and last blocks: a 299x299x3 input, one
conv2d_bn unit (Conv2D without bias, BatchNormalization with scale=False, ReLU), and a
GlobalAveragePooling2D:
  tiny_inception_top.h5    include_top=True style: pooling named "avg_pool", then a Dense
                           "predictions" softmax as the model's output;
  tiny_inception_notop.h5  include_top=False, pooling='avg' style: the pooling layer (default
                           name "global_average_pooling2d") is the model's output.
The weights are fixed pseudo-random numbers; InceptionExtractorTest recomputes the features by
hand from the same numbers (it reads them from tiny_inception_weights.txt, written here too).

Run from this directory:  /usr/bin/python3 make_tiny_inception_h5.py   (needs python3-h5py)
"""
import json

import h5py
import numpy as np

FILTERS = 4
KERNEL = 3
STRIDE = 2
EPSILON = 0.001
CLASSES = 3


def weights():
    rng = np.random.RandomState(20261121)
    return {
        "kernel": rng.uniform(-0.5, 0.5, (KERNEL, KERNEL, 3, FILTERS)).astype(np.float32),  # HWIO
        "beta": rng.uniform(0.1, 0.4, (FILTERS,)).astype(np.float32),
        "moving_mean": rng.uniform(-0.1, 0.1, (FILTERS,)).astype(np.float32),
        "moving_variance": rng.uniform(0.5, 1.5, (FILTERS,)).astype(np.float32),
        "dense_kernel": rng.uniform(-1, 1, (FILTERS, CLASSES)).astype(np.float32),
        "dense_bias": rng.uniform(-0.1, 0.1, (CLASSES,)).astype(np.float32),
    }


def layer(class_name, name, config, inbound):
    config = dict(config, name=name, trainable=True, dtype="float32")
    nodes = [] if inbound is None else [[[inbound, 0, 0, {}]]]
    return {"class_name": class_name, "config": config, "name": name, "inbound_nodes": nodes}


def initializer(name):
    return {"class_name": name, "config": {}}


def model_config(top):
    pool_name = "avg_pool" if top else "global_average_pooling2d"
    layers = [
        {"class_name": "InputLayer",
         "config": {"batch_input_shape": [None, 299, 299, 3], "dtype": "float32", "sparse": False,
                    "ragged": False, "name": "input_1"},
         "name": "input_1", "inbound_nodes": []},
        layer("Conv2D", "conv2d", {
            "filters": FILTERS, "kernel_size": [KERNEL, KERNEL], "strides": [STRIDE, STRIDE],
            "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1,
            "activation": "linear", "use_bias": False,
            "kernel_initializer": initializer("GlorotUniform"), "bias_initializer": initializer("Zeros"),
            "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
            "kernel_constraint": None, "bias_constraint": None}, "input_1"),
        # As saved after build: axis is a list, scale=False (no gamma), as in InceptionV3's conv2d_bn.
        layer("BatchNormalization", "batch_normalization", {
            "axis": [3], "momentum": 0.99, "epsilon": EPSILON, "center": True, "scale": False,
            "beta_initializer": initializer("Zeros"), "gamma_initializer": initializer("Ones"),
            "moving_mean_initializer": initializer("Zeros"),
            "moving_variance_initializer": initializer("Ones"),
            "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None,
            "gamma_constraint": None}, "conv2d"),
        layer("Activation", "activation", {"activation": "relu"}, "batch_normalization"),
        layer("GlobalAveragePooling2D", pool_name,
              {"data_format": "channels_last", "keepdims": False}, "activation"),
    ]
    output = pool_name
    if top:
        layers.append(layer("Dense", "predictions", {
            "units": CLASSES, "activation": "softmax", "use_bias": True,
            "kernel_initializer": initializer("GlorotUniform"), "bias_initializer": initializer("Zeros"),
            "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
            "kernel_constraint": None, "bias_constraint": None}, pool_name))
        output = "predictions"
    return {"class_name": "Functional",
            "config": {"name": "inception_v3", "layers": layers,
                       "input_layers": [["input_1", 0, 0]], "output_layers": [[output, 0, 0]]}}


def write(path, top):
    w = weights()
    config = model_config(top)
    per_layer = {
        "conv2d": [("conv2d/kernel:0", w["kernel"])],
        "batch_normalization": [("batch_normalization/beta:0", w["beta"]),
                                ("batch_normalization/moving_mean:0", w["moving_mean"]),
                                ("batch_normalization/moving_variance:0", w["moving_variance"])],
    }
    if top:
        per_layer["predictions"] = [("predictions/kernel:0", w["dense_kernel"]),
                                    ("predictions/bias:0", w["dense_bias"])]
    names = [l["name"] for l in config["config"]["layers"]]
    with h5py.File(path, "w") as f:
        # saving_utils.model_metadata: strings as str, the config as utf-8 bytes of its JSON
        f.attrs["keras_version"] = "2.12.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config).encode("utf8")
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = np.array([n.encode("utf8") for n in names])
        g.attrs["backend"] = b"tensorflow"
        g.attrs["keras_version"] = b"2.12.0"
        for name in sorted(names):
            lg = g.create_group(name)
            entries = per_layer.get(name, [])
            lg.attrs["weight_names"] = np.array([n.encode("utf8") for n, _ in entries])
            for n, value in entries:
                lg.create_dataset(n, data=value)


def write_reference():
    """The same numbers as text, for the test's hand computation (HWIO kernel, flattened C-order)."""
    w = weights()
    with open("tiny_inception_weights.txt", "w") as out:
        out.write("# written by make_tiny_inception_h5.py: name, shape, values (C order)\n")
        for key in ["kernel", "beta", "moving_mean", "moving_variance", "dense_kernel", "dense_bias"]:
            v = w[key]
            out.write("%s %s %s\n" % (key, "x".join(str(d) for d in v.shape),
                                      " ".join(repr(float(x)) for x in v.reshape(-1))))
        out.write("epsilon %r\nstride %d\n" % (EPSILON, STRIDE))


if __name__ == "__main__":
    write("tiny_inception_top.h5", top=True)
    write("tiny_inception_notop.h5", top=False)
    write_reference()
