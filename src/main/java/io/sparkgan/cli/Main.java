package io.sparkgan.cli;

import io.sparkgan.config.ConfigException;
import io.sparkgan.data.DataException;
import io.sparkgan.eval.EvaluationException;
import io.sparkgan.io.DirectoryLease;
import io.sparkgan.runtime.WrongKernelException;
import io.sparkgan.step.TrainingException;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * {@code sparkgan <stage>}: the one entry point, for {@code spark-submit --class io.sparkgan.cli.Main}
 * and for {@code bin/sparkgan} alike.
 */
@Command(name = "sparkgan", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Distributed GAN training on Apache Spark.",
        subcommands = {PrepareCommand.class, TrainCommand.class, FidCommand.class, EvaluatorCommand.class, SampleCommand.class, TranslateCommand.class, BenchCommand.class,
                DoctorCommand.class,
                ShowConfigCommand.class})
public final class Main implements Runnable {
    /** Exit codes: 0 done, 1 failed while running, 2 bad configuration or command line. */
    static final int FAILED = 1;
    static final int BAD_INPUT = 2;

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        int code = execute(args);
        System.exit(code);
    }

    /** Runs a command line and returns the exit code (main without System.exit, for tests). */
    public static int execute(String... args) {
        return execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs a command line with the given output streams. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, command, parsed) -> report(e, err));
        int code = cli.execute(args);
        err.flush();
        out.flush();
        return code;
    }

    private static int report(Exception e, PrintWriter err) {
        WrongKernelException wrongKernel = WrongKernelException.in(e); // from any JVM, even as Spark's text
        if (wrongKernel != null) {
            err.println("sparkgan: " + wrongKernel.getMessage());
            return FAILED;
        }
        Throwable cause = unwrap(e);
        if (cause instanceof ConfigException) {
            err.println("sparkgan: " + cause.getMessage());
            return BAD_INPUT;
        }
        if (cause instanceof DataException || cause instanceof TrainingException || cause instanceof EvaluationException
                || cause instanceof DirectoryLease.LeaseException) {
            err.println("sparkgan: " + cause.getMessage());
            return FAILED;
        }
        err.println("sparkgan: failed: " + cause);
        cause.printStackTrace(err);
        return FAILED;
    }

    /** Spark wraps executor exceptions in SparkException; the user wants the first cause of ours. */
    private static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while (t != null) {
            if (t instanceof ConfigException || t instanceof DataException || t instanceof TrainingException
                    || t instanceof EvaluationException || t instanceof DirectoryLease.LeaseException) {
                return t;
            }
            t = t.getCause();
        }
        return e;
    }
}
