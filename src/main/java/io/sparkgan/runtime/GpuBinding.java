package io.sparkgan.runtime;

import io.sparkgan.config.ConfigException;
import java.io.IOException;
import java.net.InetAddress;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds the current task's thread to the GPU that Spark's scheduler assigned the task
 * ({@code spark.task.resource.gpu.amount}), so that two tasks on a multi-GPU executor never share a
 * device and ND4J's default (device 0 for every thread) does not pile them all onto one.
 *
 * <p>The address is the device index the executor's discovery script reported (see
 * {@code deploy/getGpusResources.sh}), which is the CUDA index inside the executor's container. In
 * {@code local[N]} mode no GPU resources are configured (they hang local mode), tasks carry none, and
 * ND4J keeps the driver's default device. A device that cannot be used is a configuration error of
 * the cluster (its discovery script), reported as such.
 */
public final class GpuBinding {
    private static final Logger LOG = LoggerFactory.getLogger(GpuBinding.class);
    private static volatile boolean warnedCpuBackend;

    private GpuBinding() {
    }

    /** Binds this thread to the running task's assigned GPU, if it has one; a no-op outside a task. */
    public static void bindCurrentTask() {
        TaskContext task = TaskContext.get();
        if (task == null) {
            return;
        }
        OptionalInt device = assignedDevice(task.resourcesJMap());
        if (device.isEmpty()) {
            return;
        }
        int devices = Nd4j.getAffinityManager().getNumberOfDevices();
        if (!isCudaBackend()) {
            if (!warnedCpuBackend) {
                warnedCpuBackend = true;
                LOG.warn("Spark assigned this task GPU {}, but ND4J runs its CPU backend ({}): build the jar with"
                        + " -Pcuda to train on the GPU", device.getAsInt(), Nd4j.getBackend().getClass().getSimpleName());
            }
            return;
        }
        if (device.getAsInt() >= devices) {
            throw new ConfigException("Spark assigned this task GPU " + device.getAsInt() + ", but ND4J sees "
                    + devices + " CUDA device(s) on " + host() + "; the GPU discovery script must report the indices"
                    + " CUDA uses in the executor (0.." + (devices - 1) + "; note CUDA_VISIBLE_DEVICES renumbers them)");
        }
        if (Nd4j.getAffinityManager().getDeviceForCurrentThread() != device.getAsInt()) {
            Nd4j.getAffinityManager().unsafeSetDevice(device.getAsInt());
        }
    }

    /** The device index in a task's resources: the first address of its "gpu" resource. */
    static OptionalInt assignedDevice(Map<String, ResourceInformation> resources) {
        ResourceInformation gpu = resources.get("gpu");
        if (gpu == null || gpu.addresses().length == 0) {
            return OptionalInt.empty();
        }
        String address = gpu.addresses()[0].trim();
        try {
            int index = Integer.parseInt(address);
            if (index >= 0) {
                return OptionalInt.of(index);
            }
        } catch (NumberFormatException e) {
            // fall through to the message below
        }
        throw new ConfigException("Spark assigned this task the GPU address '" + address + "'; expected a"
                + " CUDA device index such as 0 (the GPU discovery script must print indices, as"
                + " deploy/getGpusResources.sh does)");
    }

    private static boolean isCudaBackend() {
        return Nd4j.getBackend().getClass().getName().toLowerCase(Locale.ROOT).contains("jcublas");
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "this executor";
        }
    }
}
