package io.sparkgan.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads typed values out of a resolved config and collects every problem instead of stopping at the
 * first, so a user fixes a config in one pass. Each message names the key, the value, where it came
 * from and what was expected.
 */
final class KeyReader {
    private final Config config;
    private final List<String> problems = new ArrayList<>();

    KeyReader(Config config) {
        this.config = config;
    }

    List<String> problems() {
        return problems;
    }

    void problem(String key, String expected) {
        problems.add(describe(key) + ": expected " + expected);
    }

    String describe(String key) {
        if (!config.hasPathOrNull(key)) {
            return key + " (missing)";
        }
        ConfigValue value = config.getValue(key);
        return key + " = " + value.render(ConfigRenderOptions.concise())
                + " (" + origin(value) + ")";
    }

    /** Where a value came from: "job.conf: 12", "--set train.steps=0", "reference.conf: 40". */
    static String origin(ConfigValue value) {
        String description = value.origin().description();
        return description.startsWith("--set ") ? description.replaceFirst(": \\d+$", "") : description;
    }

    int integer(String key, int min, int max) {
        long value = longValue(key, min, max);
        return (int) value;
    }

    long longValue(String key, long min, long max) {
        ConfigValue raw = config.getValue(key);
        Object unwrapped = raw.unwrapped();
        long value;
        if (raw.valueType() == ConfigValueType.NUMBER && isWhole((Number) unwrapped)) {
            value = ((Number) unwrapped).longValue();
        } else if (raw.valueType() == ConfigValueType.STRING && isWholeNumber((String) unwrapped)) {
            value = Long.parseLong(((String) unwrapped).trim());
        } else {
            problem(key, range("a whole number", min, max));
            return min;
        }
        if (value < min || value > max) {
            problem(key, range("a whole number", min, max));
            return min;
        }
        return value;
    }

    /** A size in bytes: a whole number, or HOCON's sizes ("64M", "64 MiB", "512K"). */
    long bytes(String key, long min, long max) {
        long value;
        try {
            value = config.getBytes(key);
        } catch (com.typesafe.config.ConfigException e) {
            problem(key, "a size in bytes such as 64M or 512K, from " + min + " to " + max + " bytes");
            return min;
        }
        if (value < min || value > max) {
            problem(key, "a size in bytes such as 64M or 512K, from " + min + " to " + max + " bytes");
            return min;
        }
        return value;
    }

    double number(String key, double min, double max) {
        ConfigValue raw = config.getValue(key);
        double value;
        try {
            value = config.getDouble(key);
        } catch (com.typesafe.config.ConfigException e) {
            problem(key, range("a number", min, max));
            return min;
        }
        if (!(value >= min && value <= max)) {
            problem(key, range("a number", min, max));
            return min;
        }
        return value;
    }

    boolean bool(String key) {
        try {
            return config.getBoolean(key);
        } catch (com.typesafe.config.ConfigException e) {
            problem(key, "true or false");
            return false;
        }
    }

    String string(String key) {
        ConfigValue raw = config.getValue(key);
        if (raw.valueType() == ConfigValueType.OBJECT || raw.valueType() == ConfigValueType.LIST
                || raw.valueType() == ConfigValueType.NULL) {
            problem(key, "a string");
            return "";
        }
        return String.valueOf(raw.unwrapped());
    }

    String nonEmpty(String key, String what) {
        String value = string(key);
        if (value.isBlank()) {
            problem(key, what);
        }
        return value;
    }

    String oneOf(String key, String... allowed) {
        String value = string(key);
        for (String a : allowed) {
            if (a.equals(value)) {
                return value;
            }
        }
        problem(key, "one of " + String.join(", ", allowed));
        return allowed[0];
    }

    Map<String, String> stringMap(String key) {
        Map<String, String> result = new LinkedHashMap<>();
        ConfigValue raw = config.getValue(key);
        if (raw.valueType() != ConfigValueType.OBJECT) {
            problem(key, "an object of settings, e.g. { \"spark.executor.memory\" = \"8g\" }");
            return result;
        }
        // Spark keys contain dots: read the object's own entries, not HOCON paths.
        config.getObject(key).forEach((name, value) -> {
            if (value.valueType() == ConfigValueType.OBJECT || value.valueType() == ConfigValueType.LIST) {
                problem(key + ".\"" + name + "\"", "a plain value (quote Spark keys: \"spark.x.y\" = ...)");
            } else {
                result.put(name, String.valueOf(value.unwrapped()));
            }
        });
        return result;
    }

    private static boolean isWhole(Number n) {
        double d = n.doubleValue();
        return d == Math.rint(d) && !Double.isInfinite(d);
    }

    private static boolean isWholeNumber(String s) {
        return s.trim().matches("-?\\d{1,18}");
    }

    private static String range(String kind, double min, double max) {
        String lo = format(min);
        String hi = format(max);
        if (max >= Long.MAX_VALUE / 2 || max == Double.MAX_VALUE) {
            return kind + " ≥ " + lo;
        }
        return kind + " from " + lo + " to " + hi;
    }

    private static String format(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
