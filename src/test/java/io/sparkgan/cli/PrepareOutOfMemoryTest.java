package io.sparkgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A prepare task whose shard cannot fit in its heap (`sparkgan prepare` in a JVM of 320 MB, shards of
 * up to 1 GB of 128×128 RGB records): one message naming the settings to change, no stack trace, and
 * no dataset.json.
 */
class PrepareOutOfMemoryTest {
    @TempDir
    Path tmp;

    @Test
    void aShardTooLargeForTheHeapStopsPrepareWithOneMessageNamingTheSettings() throws Exception {
        List<String> args = List.of("prepare", "--config", "conf/local.conf", "--set", "spark.master=local[1]",
                // Spark refuses a heap under 450 MB unless told how much it may assume
                "--set", "spark.conf.\"spark.testing.memory\"=536870912",
                "--set", "data.shards=" + tmp.resolve("shards"), "--set", "data.limit=44000",
                "--set", "data.image-size=128", "--set", "data.channels=3", "--set", "data.convert-channels=true",
                "--set", "data.shard-size=1G");
        Process process = new ProcessBuilder(OwnJvm.command("320m", args)).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(3, TimeUnit.MINUTES));
        assertEquals(1, process.exitValue(), out);
        List<String> failure = out.lines().filter(l -> l.startsWith("sparkgan: ")).toList();
        assertEquals(1, failure.size(), out);
        assertTrue(failure.get(0).matches("sparkgan: .*prepare: the task for shard 0 ran out of memory holding its"
                + " shard \\(21,843 images of 49,156 bytes, 1074 MB\\) in a heap of \\d+ MB: lower data.shard-size, or"
                + " give the executors more memory .*"), failure.get(0));
        assertFalse(out.contains("java.lang.OutOfMemoryError"), out);
        assertFalse(Files.exists(tmp.resolve("shards/dataset.json")));
    }
}
