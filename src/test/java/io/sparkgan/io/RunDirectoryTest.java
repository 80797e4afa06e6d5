package io.sparkgan.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparkgan.train.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Readers see only committed checkpoints: an interrupted write leaves a directory without the marker. */
class RunDirectoryTest {
    @TempDir
    Path tmp;

    @Test
    void listsOnlyCommittedCheckpointsInStepOrder() throws Exception {
        RunDirectory run = RunDirectory.of(tmp.toString(), "r");
        Storage storage = Storage.local();
        assertEquals(List.of(), Checkpoint.committed(storage, run), "no checkpoints directory yet");
        for (long step : new long[] {1500, 500, 1000}) {
            Path dir = tmp.resolve("r/checkpoints").resolve(RunDirectory.stepName(step));
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("params.npz"), "x");
            Files.writeString(dir.resolve(Checkpoint.COMMIT_MARKER), step + "\n");
        }
        Path interrupted = tmp.resolve("r/checkpoints/step-00002000");
        Files.createDirectories(interrupted);
        Files.writeString(interrupted.resolve("params.npz"), "half");
        Files.createDirectories(tmp.resolve("r/checkpoints/not-a-step"));
        assertEquals(List.of(500L, 1000L, 1500L), Checkpoint.committed(storage, run));
    }
}
