package io.sparkgan.data;

/**
 * A shard is not what the job recorded when it started (dataset.json's length, header and SHA-256,
 * and the file's modification time): it was truncated, rewritten or removed under the job. Reading
 * on would train on other bytes than the dataset's, so the job stops, and no retry helps. The
 * message names the shard and what changed; the training loop adds the last good checkpoint.
 */
public final class DatasetChangedException extends DataException {
    private static final String MARKER = DatasetChangedException.class.getName() + ": ";

    public DatasetChangedException(String message) {
        super(message);
    }

    /**
     * The one behind {@code e}: in its cause chain, or quoted in a message (a failed barrier stage
     * carries its task's exception as text), else null.
     */
    public static DatasetChangedException in(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DatasetChangedException changed) {
                return changed;
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = t.getMessage();
            int at = message == null ? -1 : message.indexOf(MARKER);
            if (at >= 0) {
                String rest = message.substring(at + MARKER.length());
                int end = rest.indexOf('\n');
                return new DatasetChangedException((end < 0 ? rest : rest.substring(0, end)).strip());
            }
        }
        return null;
    }
}
