package io.sparkgan.runtime;

import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.GanLoss;
import io.sparkgan.model.GanReplica;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One {@link GanReplica} per executor thread and model, reused every round instead of built per
 * round. Building one is cheap (parameter layouts; the kernels need no graph), but the key also
 * holds the device: a thread bound to another GPU gets a replica of its own. Tasks run one per
 * thread, so a thread-local replica is never shared.
 */
public final class ReplicaCache {
    /** The device is part of the key: a replica's arrays live on the GPU its thread was bound to. */
    private record Key(GanArchitecture architecture, GanLoss loss, double realTarget, int device) {}

    private static final ThreadLocal<Key> KEY = new ThreadLocal<>();
    private static final ThreadLocal<GanReplica> REPLICA = new ThreadLocal<>();

    private ReplicaCache() {
    }

    public static GanReplica get(GanArchitecture architecture, GanLoss loss, double realTarget) {
        Key key = new Key(architecture, loss, realTarget,
                Nd4j.getAffinityManager().getDeviceForCurrentThread());
        if (!Objects.equals(KEY.get(), key)) {
            Nd4jSetup.quietLogs();
            REPLICA.set(new GanReplica(architecture, loss, realTarget, DataType.FLOAT));
            KEY.set(key);
        }
        return REPLICA.get();
    }
}
