package io.sparkgan.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Configurator;
import org.junit.jupiter.api.Test;

/**
 * Under spark-submit the cluster's log4j2 configuration names no io.sparkgan logger; after
 * setLogLevel("WARN") our progress lines must still show.
 */
class SparkContextsLoggingTest {
    @Test
    void progressStaysVisibleWhenTheClustersLoggingConfigDoesNotMentionUs() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Configuration configuration = context.getConfiguration();
        Level root = configuration.getRootLogger().getLevel();
        try {
            configuration.removeLogger("io.sparkgan"); // as with Spark's own log4j2 defaults
            Configurator.setRootLevel(Level.WARN);       // what sc.setLogLevel("WARN") does
            context.updateLoggers();
            assertFalse(LogManager.getLogger("io.sparkgan.train.TrainingJob").isInfoEnabled(), "the problem");

            SparkContexts.keepOurProgressVisible();
            assertTrue(LogManager.getLogger("io.sparkgan.train.TrainingJob").isInfoEnabled());
            assertFalse(LogManager.getLogger("org.apache.spark.SparkContext").isInfoEnabled(), "Spark stays quiet");

            Configurator.setLevel("io.sparkgan", Level.ERROR); // a cluster config that names us wins
            SparkContexts.keepOurProgressVisible();
            assertFalse(LogManager.getLogger("io.sparkgan.train.TrainingJob").isWarnEnabled());
        } finally {
            Configurator.setRootLevel(root);
            Configurator.setLevel("io.sparkgan", Level.INFO);
        }
    }
}
