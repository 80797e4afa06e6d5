package io.sparkgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.TestSpark;
import io.sparkgan.data.DatasetInfo;
import io.sparkgan.io.Json;
import io.sparkgan.io.Storage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scenario at the command line: with data.shards left to its default, other settings get
 * a folder of their own; pointed at a folder that holds a dataset of other settings, prepare is
 * refused with exit code 1 and one message, and the folder is left as it was; with --replace it
 * writes the next generation beside the first and says where.
 */
class PrepareCommandTest {
    @TempDir
    Path tmp;

    private static CliRun prepare(String... sets) {
        List<String> args = new ArrayList<>(List.of("prepare", "--set", "spark.master=local[2]",
                "--set", "spark.conf.\"spark.ui.enabled\"=false", "--set", "data.limit=200"));
        for (String set : sets) {
            if (set.startsWith("--")) {
                args.add(set);
            } else {
                args.add("--set");
                args.add(set);
            }
        }
        return CliRun.of(args);
    }

    @Test
    void otherSettingsGetTheirOwnFolderOrAreRefusedUntilReplaced() throws Exception {
        TestSpark.stop(); // the CLI starts (and stops) its own Spark context
        String root = "data.shards-root=" + tmp.resolve("shards");
        CliRun first = prepare(root);
        assertEquals(0, first.code(), first.err());
        CliRun other = prepare(root, "data.image-size=32");
        assertEquals(0, other.code(), other.err());
        try (Stream<Path> folders = Files.list(tmp.resolve("shards"))) {
            List<String> names = folders.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(2, names.size(), names.toString());
            assertTrue(names.get(0).matches("fashion-mnist-28px-grey-[0-9a-f]{8}"), names.toString());
            assertTrue(names.get(1).matches("fashion-mnist-32px-grey-[0-9a-f]{8}"), names.toString());
        }

        Path shards = tmp.resolve("mine");
        assertEquals(0, prepare("data.shards=" + shards).code());
        String before = Files.readString(shards.resolve(DatasetInfo.FILE));
        CliRun refused = prepare("data.shards=" + shards, "data.image-size=32");
        assertEquals(1, refused.code());
        assertTrue(refused.err().startsWith("sparkgan: data.shards " + Storage.qualify(shards.toString())
                + " (generation 0) holds another dataset than the one asked for"), refused.err());
        assertTrue(refused.err().contains("differing: data.image-size 28 there, 32 asked for"), refused.err());
        assertEquals(before, Files.readString(shards.resolve(DatasetInfo.FILE)));

        CliRun replaced = prepare("data.shards=" + shards, "data.image-size=32", "--replace");
        assertEquals(0, replaced.code(), replaced.err());
        assertTrue(replaced.err().contains("sparkgan: the dataset is " + Storage.qualify(shards.toString())
                + "/generation-000001 (generation 1 of "), replaced.err());
        assertEquals(32, Json.parse(replaced.out()).path("shape").get(1).asInt(), "dataset.json on stdout");
        assertFalse(Files.exists(shards.resolve(DatasetInfo.FILE)), "generation 0 went: no job read it");
    }
}
