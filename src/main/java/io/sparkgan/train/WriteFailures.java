package io.sparkgan.train;

import java.util.Locale;

/** What the user reads when the run directory cannot be written: the cause in one line, and what to do. */
final class WriteFailures {
    private WriteFailures() {
    }

    /** An exception in one line: HDFS's remote exceptions carry the NameNode's stack trace in their message. */
    static String firstLine(Exception e) {
        String text = e.toString().strip();
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline).strip();
    }

    /** What to do when a write failed because the filesystem is full (or a quota is reached). */
    static String fullHint(Exception e) {
        String text = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        boolean full = text.contains("quota") || text.contains("no space left") || text.contains("disk full");
        return full ? " The filesystem is full: free space (or raise the quota) and rerun the same command; it"
                + " resumes from the last good checkpoint." : "";
    }
}
