package io.sparkgan.model;

import java.io.PrintStream;

/**
 * SameDiff 1.0.0-M2.1 prints "Added differentiated op ..." to System.out, unconditionally, for every
 * op each time it builds a gradient function: hundreds of lines per replica, on every executor. This
 * filter drops exactly those lines and passes everything else through. It is installed once per JVM;
 * log4j's console appender holds its own stream and is unaffected.
 */
final class SameDiffOutputFilter extends PrintStream {
    private static final String NOISE = "Added differentiated op";
    private static boolean installed;

    private SameDiffOutputFilter(PrintStream target) {
        super(target, true);
    }

    static synchronized void install() {
        if (!installed && !(System.out instanceof SameDiffOutputFilter)) {
            System.setOut(new SameDiffOutputFilter(System.out));
            installed = true;
        }
    }

    @Override
    public void println(String line) {
        if (line == null || !line.startsWith(NOISE)) {
            super.println(line);
        }
    }
}
