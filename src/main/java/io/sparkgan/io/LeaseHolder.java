package io.sparkgan.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Who holds a lease (the writer lease of {@link DirectoryLease}, the readers' of {@link ReaderLease}):
 * the holder record every lease file starts with, how a holder is named in messages, and the daemon
 * thread that renews a lease. Liveness is read from a heartbeat counter by the watcher's own clock,
 * never by comparing clocks across hosts.
 */
final class LeaseHolder {
    private LeaseHolder() {
    }

    /** The heartbeat interval for a timeout: several beats fit in it, so one late write is no expiry. */
    static Duration heartbeatInterval(Duration timeout) {
        return Duration.ofMillis(Math.max(200, timeout.toMillis() / 6));
    }

    /** How long a watcher waits for a holder's heartbeat to move before it counts the holder dead. */
    static Duration expiry(JsonNode holder, Duration timeout) {
        // the holder renews at its own pace: never count it dead before it missed three renewals
        return Duration.ofMillis(Math.max(timeout.toMillis(), 3 * holder.path("heartbeat_ms").asLong(0)));
    }

    static ObjectNode json(String what, String owner, Duration heartbeat) {
        ObjectNode holder = Json.object();
        holder.put("owner", owner);
        holder.put("heartbeat_ms", heartbeat.toMillis());
        holder.put("what", what);
        holder.put("host", hostName());
        holder.put("pid", ProcessHandle.current().pid());
        holder.put("jvm", ManagementFactory.getRuntimeMXBean().getName());
        holder.put("since", Instant.now().toString());
        return holder;
    }

    static byte[] bytes(ObjectNode holder) {
        return Json.pretty(holder).getBytes(StandardCharsets.UTF_8);
    }

    static String describe(JsonNode holder) {
        return "sparkgan " + holder.path("what").asText("?") + " on " + holder.path("host").asText("?") + " (pid "
                + holder.path("pid").asText("?") + ")";
    }

    /** A holder that was a process of this host which no longer exists: certainly gone, no need to wait. */
    static boolean deadOnThisHost(JsonNode holder) {
        return holder.path("host").asText().equals(hostName())
                && ProcessHandle.of(holder.path("pid").asLong(-1)).isEmpty();
    }

    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Runs {@code beat} now and then every {@code interval} on a daemon thread named after the lease. */
    static ScheduledExecutorService renewing(String name, Runnable beat, Duration interval) {
        ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        beat.run();
        heartbeat.scheduleWithFixedDelay(beat, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        return heartbeat;
    }
}
