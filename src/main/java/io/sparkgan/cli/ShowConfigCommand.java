package io.sparkgan.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "config", mixinStandardHelpOptions = true,
        description = "Check the configuration and print it resolved (secrets redacted), without starting Spark.")
final class ShowConfigCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Override
    public Integer call() {
        System.out.print(options.load().renderedForRunDirectory());
        return 0;
    }
}
