package io.sparkgan.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.TestSpark;
import io.sparkgan.config.ConfigException;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Which device a task binds to. The binding itself (unsafeSetDevice on the CUDA backend) needs a GPU
 * and a cluster that assigns GPUs; neither is here, so this covers reading Spark's assignment and
 * that local mode, which assigns none, leaves ND4J's device alone.
 */
class GpuBindingTest {
    @Test
    void theDeviceIsTheFirstAddressOfTheTasksGpuResource() {
        assertEquals(OptionalInt.empty(), GpuBinding.assignedDevice(Map.of()));
        assertEquals(OptionalInt.of(1),
                GpuBinding.assignedDevice(Map.of("gpu", new ResourceInformation("gpu", new String[] {"1"}))));
        assertEquals(OptionalInt.empty(),
                GpuBinding.assignedDevice(Map.of("gpu", new ResourceInformation("gpu", new String[] {}))));
        ConfigException e = assertThrows(ConfigException.class, () -> GpuBinding.assignedDevice(
                Map.of("gpu", new ResourceInformation("gpu", new String[] {"GPU-8f3c"}))));
        assertTrue(e.getMessage().contains("'GPU-8f3c'") && e.getMessage().contains("getGpusResources.sh"),
                e.getMessage());
    }

    @Test
    void inLocalModeTasksCarryNoGpuAndKeepTheirDevice() {
        int driverDevice = Nd4j.getAffinityManager().getDeviceForCurrentThread();
        List<Integer> seen = TestSpark.context().parallelize(List.of(0, 1, 2, 3), 4).map(i -> {
            GpuBinding.bindCurrentTask();
            return TaskContext.get().resourcesJMap().size() * 1000 + Nd4j.getAffinityManager().getDeviceForCurrentThread();
        }).collect();
        assertEquals(List.of(driverDevice, driverDevice, driverDevice, driverDevice), seen);
    }
}
