package io.sparkgan.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The all-reduce over real loopback sockets, W tasks as W threads, addresses exchanged through a real
 * {@link Rendezvous}: sums are bit-identical to adding the tasks' vectors in task order, and a task
 * that fails or hangs fails the others promptly with its cause.
 */
class ChainAllReduceTest {
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    private interface TaskBody {
        Object run(ChainAllReduce net) throws Exception;
    }

    /** Runs {@code body} as W connected tasks; returns each task's outcome (its value or its exception). */
    private List<Object> runTasks(int size, AtomicBoolean[] killed, TaskBody body, long stallMillis)
            throws Exception {
        byte[] token = new byte[32];
        new Random(size).nextBytes(token);
        try (Rendezvous rendezvous = new Rendezvous("127.0.0.1", "127.0.0.1")) {
            rendezvous.expect(token, size);
            List<Future<Object>> futures = new ArrayList<>();
            for (int rank = 0; rank < size; rank++) {
                int r = rank;
                futures.add(pool.submit(() -> {
                    ChainAllReduce.AddressExchange exchange = mine ->
                            Rendezvous.exchange(rendezvous.address(), token, r, mine, killed[r]::get, 30_000);
                    try (ChainAllReduce net = ChainAllReduce.connect(r, size, "127.0.0.1", token, exchange,
                            killed[r]::get, stallMillis)) {
                        return body.run(net);
                    } catch (Exception e) {
                        return e;
                    }
                }));
            }
            List<Object> outcomes = new ArrayList<>();
            for (Future<Object> f : futures) {
                outcomes.add(f.get(60, TimeUnit.SECONDS));
            }
            return outcomes;
        }
    }

    private static AtomicBoolean[] notKilled(int size) {
        AtomicBoolean[] flags = new AtomicBoolean[size];
        for (int i = 0; i < size; i++) {
            flags[i] = new AtomicBoolean();
        }
        return flags;
    }

    private static float[] vector(int rank, int round, int length) {
        Random random = new Random(1000L * rank + round);
        float[] v = new float[length];
        for (int i = 0; i < length; i++) {
            // mixed magnitudes, so that the order of addition shows in the last bits
            v[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(7) - 3));
        }
        return v;
    }

    @ParameterizedTest(name = "{0} tasks")
    @ValueSource(ints = {1, 2, 3, 5})
    void everyTaskEndsWithTheSumsAddedInTaskOrderBitForBit(int size) throws Exception {
        // two vectors, one longer than a chunk and not a multiple of it, one empty; three rounds
        int[] lengths = {ChainAllReduce.CHUNK_FLOATS * 2 + 17, 0, 5};
        List<Object> outcomes = runTasks(size, notKilled(size), net -> {
            List<float[][]> rounds = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                float[][] vectors = {vector(net.rank(), round, lengths[0]), new float[lengths[1]],
                        vector(net.rank(), round + 10, lengths[2])};
                double[] sums = {net.rank() + 0.25, 1};
                double[] maxima = {net.rank() == 1 ? 99 : net.rank()};
                net.allReduce(vectors, sums, maxima);
                rounds.add(new float[][] {vectors[0], vectors[2],
                        {(float) sums[0], (float) sums[1], (float) maxima[0]}});
            }
            return rounds;
        }, 30_000);

        for (int round = 0; round < 3; round++) {
            float[] expected0 = vector(0, round, lengths[0]);
            float[] expected2 = vector(0, round + 10, lengths[2]);
            for (int r = 1; r < size; r++) { // the driver's order: ((v0 + v1) + v2) + ...
                float[] a = vector(r, round, lengths[0]);
                float[] b = vector(r, round + 10, lengths[2]);
                for (int i = 0; i < a.length; i++) {
                    expected0[i] += a[i];
                }
                for (int i = 0; i < b.length; i++) {
                    expected2[i] += b[i];
                }
            }
            double sum = 0;
            for (int r = 0; r < size; r++) {
                sum += r + 0.25;
            }
            for (int r = 0; r < size; r++) {
                Object outcome = outcomes.get(r);
                assertTrue(outcome instanceof List<?>, "task " + r + ": " + outcome);
                float[][] got = (float[][]) ((List<?>) outcome).get(round);
                assertArrayEquals(expected0, got[0], 0f, "task " + r + ", round " + round);
                assertArrayEquals(expected2, got[1], 0f);
                assertEquals((float) sum, got[2][0]);
                assertEquals(size, got[2][1]);
                assertEquals(size > 1 ? 99 : 0, got[2][2], "maxima");
            }
        }
    }

    @Test
    void aTaskThatFailsTellsTheOthersWhyAndTheyFailWithItsCause() throws Exception {
        List<Object> outcomes = runTasks(4, notKilled(4), net -> {
            net.allReduce(new float[][] {new float[10]}, new double[1], new double[0]);
            if (net.rank() == 2) {
                net.abort("task 2 failed: java.lang.IllegalStateException: out of GPU memory");
                throw new IllegalStateException("out of GPU memory");
            }
            net.allReduce(new float[][] {new float[10]}, new double[1], new double[0]);
            return "finished";
        }, 30_000);
        for (int r = 0; r < 4; r++) {
            Object outcome = outcomes.get(r);
            assertInstanceOf(Exception.class, outcome, "task " + r + " cannot finish without task 2");
            if (r != 2) {
                Throwable root = (Throwable) outcome;
                String messages = root + " / " + root.getCause();
                // the neighbours hear the cause itself; the rest learn it by relay in production
                // (CollectiveWorker re-sends it) or see the closed connection
                assertTrue(messages.contains("out of GPU memory") || messages.contains("closed the connection"),
                        "task " + r + ": " + messages);
            }
        }
        assertTrue(String.valueOf(outcomes.get(1)).contains("out of GPU memory"), String.valueOf(outcomes.get(1)));
        assertTrue(String.valueOf(outcomes.get(3)).contains("out of GPU memory"), String.valueOf(outcomes.get(3)));
    }

    @Test
    void aKilledTaskUnblocksAtOnceInsteadOfWaitingForAPeerThatNeverComes() throws Exception {
        AtomicBoolean[] killed = notKilled(2);
        long started = System.nanoTime();
        List<Object> outcomes = runTasks(2, killed, net -> {
            if (net.rank() == 1) {
                Thread.sleep(600); // a long step; meanwhile Spark kills task 0, which waits for this one
                killed[0].set(true);
                Thread.sleep(3000); // still holding its sockets open: only task 0's watchdog can free it
                return "killed";
            }
            net.allReduce(new float[][] {new float[10]}, new double[0], new double[0]); // waits for task 1
            return "finished";
        }, 600_000);
        double seconds = (System.nanoTime() - started) / 1e9;
        assertInstanceOf(IOException.class, outcomes.get(0));
        assertTrue(((Exception) outcomes.get(0)).getMessage().contains("the task was killed"),
                ((Exception) outcomes.get(0)).getMessage());
        assertTrue(seconds < 20, "unblocked by the watchdog, not by the 10-minute stall limit: " + seconds + " s");
    }

    @Test
    void aPeerThatHangsIsGivenUpOnAfterTheStallLimit() throws Exception {
        List<Object> outcomes = runTasks(2, notKilled(2), net -> {
            if (net.rank() == 1) {
                Thread.sleep(3000); // hung: never joins the all-reduce
                return "hung";
            }
            net.allReduce(new float[][] {new float[10]}, new double[0], new double[0]);
            return "finished";
        }, 1000);
        assertTrue(String.valueOf(outcomes.get(0)).contains("no data moved between neighbouring tasks"),
                String.valueOf(outcomes.get(0)));
    }

    @Test
    void aConnectionWithoutTheJobsTokenIsRefused() throws Exception {
        byte[] token = new byte[32];
        byte[] wrong = new byte[32];
        wrong[0] = 1;
        try (Rendezvous rendezvous = new Rendezvous("127.0.0.1", "127.0.0.1")) {
            rendezvous.expect(token, 2);
            Future<Object> stranger = pool.submit(() -> {
                try {
                    return Rendezvous.exchange(rendezvous.address(), wrong, 0, "127.0.0.1:1", () -> false, 30_000);
                } catch (IOException e) {
                    return e;
                }
            });
            Object outcome = stranger.get(30, TimeUnit.SECONDS);
            assertInstanceOf(IOException.class, outcome);
            assertTrue(((IOException) outcome).getMessage().contains("turned task 0 away"),
                    ((IOException) outcome).getMessage());
        }
    }
}
