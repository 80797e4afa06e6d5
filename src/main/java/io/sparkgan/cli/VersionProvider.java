package io.sparkgan.cli;

import io.sparkgan.io.BuildInfo;
import picocli.CommandLine.IVersionProvider;

final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[] {"sparkgan " + BuildInfo.version(),
                "Spark " + BuildInfo.get("spark.version") + ", DL4J/ND4J " + BuildInfo.get("dl4j.version")
                        + ", backend " + BuildInfo.get("nd4j.backend")};
    }
}
