package io.sparkgan.model.layers;

/**
 * How parameters are named: {@code <layer>/<W|b|gamma|beta>}, in layouts, graphs and checkpoints
 * alike. A layer's name is its path in the network, e.g. {@code g/up1} or {@code d/block2/conv1}.
 */
public final class Names {
    private Names() {
    }

    public static String weights(String layer) {
        return layer + "/W";
    }

    public static String bias(String layer) {
        return layer + "/b";
    }

    public static String gamma(String layer) {
        return layer + "/gamma";
    }

    public static String beta(String layer) {
        return layer + "/beta";
    }
}
