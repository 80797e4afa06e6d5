package io.sparkgan.runtime;

import com.sun.jna.Function;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.javacpp.Loader;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The processor a JVM runs on and the native kernels it loaded: what decides which code paths
 * OpenBLAS and oneDNN take, so what a self-check failure or a run's provenance has to name.
 *
 * <p>The CPU comes from {@code /proc/cpuinfo} (Linux; elsewhere what Java knows). OpenBLAS is asked
 * which core it picked ({@code openblas_get_corename}) through JNA, which ND4J already depends on
 * (through OSHI):
 * OpenBLAS reads {@code OPENBLAS_CORETYPE} once, when it loads, and otherwise picks by CPUID, so two
 * machines with the same jar can run different kernels. oneDNN's choice of instruction set cannot be
 * read (libnd4j does not export oneDNN's symbols); {@code ONEDNN_MAX_CPU_ISA}, which caps it, is.
 */
public record NativePlatform(String cpuModelName, String vendor, String family, String model, String stepping,
                             List<String> isaFlags, String openBlasVersion, String openBlasCore,
                             String openBlasCoretypeEnv, String onednnMaxIsaEnv, String nd4jBackend)
        implements Serializable {

    /** The instruction-set flags whose presence changes which kernels run. */
    static final List<String> FLAGS_THAT_MATTER = List.of("avx2", "fma", "avx512f", "avx512_bf16", "amx_tile");

    private static volatile NativePlatform current;

    /** This JVM's (after loading ND4J's backend, which loads OpenBLAS). */
    public static NativePlatform current() {
        NativePlatform p = current;
        if (p == null) {
            synchronized (NativePlatform.class) {
                if (current == null) {
                    current = read();
                }
                p = current;
            }
        }
        return p;
    }

    private static NativePlatform read() {
        String backend = Nd4j.getBackend().getClass().getSimpleName();
        Map<String, String> cpu = cpuinfo();
        List<String> flags = new ArrayList<>();
        List<String> present = List.of(cpu.getOrDefault("flags", "").split("\\s+"));
        for (String f : FLAGS_THAT_MATTER) {
            if (present.contains(f)) {
                flags.add(f);
            }
        }
        String[] openBlas = openBlas();
        return new NativePlatform(cpu.getOrDefault("model name", System.getProperty("os.arch")),
                cpu.getOrDefault("vendor_id", "unknown"), cpu.getOrDefault("cpu family", "?"),
                cpu.getOrDefault("model", "?"), cpu.getOrDefault("stepping", "?"), List.copyOf(flags), openBlas[0],
                openBlas[1], envOrUnset("OPENBLAS_CORETYPE"), envOrUnset("ONEDNN_MAX_CPU_ISA"), backend);
    }

    /** One line: the CPU, its flags and the OpenBLAS core, for messages and logs. */
    public String summary() {
        return cpuModelName + " (" + vendor + " family " + family + " model " + model + " stepping " + stepping
                + "; " + (isaFlags.isEmpty() ? "no AVX2" : String.join(" ", isaFlags)) + "), OpenBLAS " + openBlasVersion
                + " core " + openBlasCore + (openBlasCoretypeEnv.equals("unset") ? ""
                : " (OPENBLAS_CORETYPE=" + openBlasCoretypeEnv + ")");
    }

    /** As provenance.json and state.json record it. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu_model_name", cpuModelName);
        m.put("cpu_vendor", vendor);
        m.put("cpu_family", family);
        m.put("cpu_model", model);
        m.put("cpu_stepping", stepping);
        m.put("isa_flags", isaFlags);
        m.put("openblas_version", openBlasVersion);
        m.put("openblas_core", openBlasCore);
        m.put("openblas_coretype_env", openBlasCoretypeEnv);
        m.put("onednn_isa", "not readable from libnd4j; ONEDNN_MAX_CPU_ISA " + onednnMaxIsaEnv);
        m.put("nd4j_backend", nd4jBackend);
        return m;
    }

    /** The first processor's fields of /proc/cpuinfo (all processors of a machine are alike). */
    static Map<String, String> cpuinfo() {
        Map<String, String> fields = new LinkedHashMap<>();
        Path path = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(path)) {
            return fields;
        }
        try (Stream<String> lines = Files.lines(path, StandardCharsets.UTF_8)) {
            for (String line : (Iterable<String>) lines::iterator) {
                if (line.isBlank() && !fields.isEmpty()) {
                    break;
                }
                int colon = line.indexOf(':');
                if (colon > 0) {
                    fields.putIfAbsent(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            // provenance only: an unreadable cpuinfo leaves the fields unknown
        }
        return fields;
    }

    /**
     * {version, core} of the OpenBLAS this process loaded, or "unknown" where it cannot be asked. The
     * functions are found with JavaCPP's {@code Loader.addressof} (dlsym in the libraries JavaCPP loaded)
     * and called through JNA: opening the library a second time would close it again at exit, which
     * makes OpenBLAS 0.3.19 free its buffers twice ("Bad memory unallocation" on stdout).
     */
    static String[] openBlas() {
        try {
            String config = call("openblas_get_config");
            String core = call("openblas_get_corename");
            if (config == null || core == null) {
                return new String[] {"not loaded", "none"};
            }
            String[] words = config.trim().split("\\s+");
            String version = words.length > 1 && words[0].equals("OpenBLAS") ? words[1] : "unknown";
            return new String[] {version, core.trim()};
        } catch (RuntimeException | LinkageError e) {
            return new String[] {"unknown", "unknown (" + e.getClass().getSimpleName() + ")"};
        }
    }

    /** A C function of no arguments returning a string, or null when no loaded library has it. */
    private static String call(String symbol) {
        var address = Loader.addressof(symbol); // JavaCPP's Pointer, not JNA's
        if (address == null || address.isNull()) {
            return null;
        }
        return Function.getFunction(new Pointer(address.address())).invokeString(new Object[0], false);
    }

    private static String envOrUnset(String name) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? "unset" : v;
    }
}
