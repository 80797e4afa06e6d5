package io.sparkgan.cli;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A `sparkgan` command in a JVM of its own, with this JVM's module flags and the test classpath. */
final class OwnJvm {
    private OwnJvm() {
    }

    static List<String> command(String maxHeap, List<String> args) {
        return command(maxHeap, List.of(), args);
    }

    /** As {@link #command(String, List)}, with more JVM flags ({@code -D…}) before the main class. */
    static List<String> command(String maxHeap, List<String> jvmFlags, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String flag : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (flag.startsWith("--add-opens") || flag.startsWith("-Djdk.") || flag.startsWith("-Dorg.bytedeco")) {
                command.add(flag);
            }
        }
        command.add("-Xmx" + maxHeap);
        command.addAll(jvmFlags);
        command.add("-cp");
        command.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        command.add(Main.class.getName());
        command.addAll(args);
        return command;
    }
}
