package io.sparkgan.train;

import io.sparkgan.config.ConfigException;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.data.DatasetInfo;
import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.SpectralNorm;
import io.sparkgan.model.networks.GanNetwork;
import java.util.Arrays;
import java.util.List;

/** A run's networks, from its configuration and the dataset it trains on. */
public final class RunNetworks {
    private RunNetworks() {
    }

    /** The run's networks: conditioned on the dataset's classes with model.conditional = true. */
    public static GanArchitecture architecture(SparkganConfig config, DatasetInfo info) {
        if (info != null && info.paired() && !config.model().family().translates()) {
            throw new ConfigException(List.of("data.layout = aligned: " + config.data().shards() + " holds pairs (an"
                    + " input and its target), which train an image-to-image model (model.architecture = pix2pix);"
                    + " model.architecture = " + config.model().family().key() + " generates images from noise"));
        }
        if (config.model().conditional() && info != null && info.classes().size() >= 2) {
            long labelled = Arrays.stream(info.labelCounts()).sum();
            if (labelled < info.count()) {
                throw new ConfigException(List.of("model.conditional = true needs a label for every image, and "
                        + (info.count() - labelled) + " of the " + info.count() + " images in " + config.data().shards()
                        + " have none (an image folder labels only the files inside its class subfolders, a CSV"
                        + " manifest only rows with a label); label them or set model.conditional = false"));
            }
        }
        return config.architecture(info == null ? 0 : info.classes().size());
    }

    /** D's spectral normalisation for this run's model (vectors not started yet), or null when it is off. */
    public static SpectralNorm spectralNorm(SparkganConfig config, GanArchitecture architecture) {
        return config.model().spectralNorm() ? SpectralNorm.forWeights(GanNetwork.of(architecture).discriminatorLayout()) : null;
    }
}
