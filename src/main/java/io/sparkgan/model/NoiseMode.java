package io.sparkgan.model;

import java.util.Locale;

/**
 * Where a StyleGAN2 generator's per-pixel noise comes from (Karras et al. 2019, section 3.2): fresh
 * draws per image, the constant buffers drawn once at initialisation and kept in the checkpoint (so
 * that a seed always gives the same image), or none.
 */
public enum NoiseMode {
    RANDOM, CONST, NONE;

    /** The command line's and the reports' word for it. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The mode {@code key} names, or an error that lists the choices. */
    public static NoiseMode of(String key) {
        for (NoiseMode m : values()) {
            if (m.key().equals(key)) {
                return m;
            }
        }
        throw new IllegalArgumentException("noise mode '" + key + "' is not one of const, random, none");
    }
}
