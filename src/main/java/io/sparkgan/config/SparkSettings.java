package io.sparkgan.config;

import java.io.Serializable;
import java.util.Map;

/**
 * How to reach Spark (the {@code spark} section).
 *
 * @param master the master URL from the config
 * @param masterExplicit whether the user set the master in --config or --set (not just the default)
 */
public record SparkSettings(String master, boolean masterExplicit, String appName, Map<String, String> conf)
        implements Serializable {}
