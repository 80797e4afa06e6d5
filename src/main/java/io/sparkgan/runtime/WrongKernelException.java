package io.sparkgan.runtime;

/**
 * A native kernel gave wrong numbers on this machine ({@link NativeSelfCheck}): the job stops rather
 * than train, score or sample with it. The message is the whole story in one line (host, executor,
 * kernel and shape, the error against its bound, the CPU, the OpenBLAS core, and what to set), so it
 * is what the user sees, whichever JVM found it.
 */
public final class WrongKernelException extends RuntimeException {
    private static final String MARKER = WrongKernelException.class.getName() + ": ";

    /** No stack trace: it would say where the check ran, which the message says, and Spark logs would repeat it. */
    public WrongKernelException(String message) {
        super(message, null, false, false);
    }

    /**
     * The self-check failure behind {@code e}: one in its cause chain, or one Spark reported only as
     * text (a failed barrier stage carries the task's exception in its message), else null.
     */
    public static WrongKernelException in(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof WrongKernelException wrong) {
                return wrong;
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = t.getMessage();
            int at = message == null ? -1 : message.indexOf(MARKER);
            if (at >= 0) {
                String rest = message.substring(at + MARKER.length());
                int end = rest.indexOf('\n');
                return new WrongKernelException((end < 0 ? rest : rest.substring(0, end)).strip());
            }
        }
        return null;
    }
}
