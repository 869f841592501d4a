package io.sluice.cli;

import io.sluice.core.SseException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The {@code sluice} top command. It does nothing itself; it holds the process's standard streams
 * for its subcommands (injectable, so tests run commands in-process) and owns the one rule every
 * subcommand shares: a failure is one line on standard error and a non-zero exit, never a stack
 * trace. New subcommands are added to {@code subcommands} below and reach the streams through
 * {@code @ParentCommand}.
 */
@Command(name = "sluice",
        mixinStandardHelpOptions = true,
        versionProvider = Sluice.Version.class,
        description = "Server-Sent Events tools.",
        subcommands = {ReplayCommand.class, GetCommand.class, ServeCommand.class, RelayCommand.class,
                CommandLine.HelpCommand.class})
public final class Sluice implements Runnable {

    public static final int EXIT_OK = 0;
    /** An input error (missing, unreadable or unsupported input; a bound exceeded) or a failed write. */
    public static final int EXIT_INPUT = 1;
    /** Bad usage: an unknown option, a bad option value, a missing argument. */
    public static final int EXIT_USAGE = 2;
    /** A bug in sluice itself (sysexits.h EX_SOFTWARE), still reported as one line. */
    public static final int EXIT_INTERNAL = 70;

    private final InputStream stdin;
    private final OutputStream stdout;

    @Spec
    private CommandSpec spec;

    /** The process's own streams. */
    public Sluice() {
        // Not System.out: a PrintStream swallows write errors, and a closed pipe must end the command.
        this(System.in, new FileOutputStream(FileDescriptor.out));
    }

    /** Streams of the caller's choosing (tests); standard error is the command line's err writer. */
    public Sluice(InputStream stdin, OutputStream stdout) {
        this.stdin = stdin;
        this.stdout = stdout;
    }

    public static void main(String[] args) {
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        System.exit(commandLine(new Sluice(), err).execute(args));
    }

    /**
     * The command line for {@code sluice}, with the error handling every entry point must share;
     * {@code execute(args)} returns the exit status. Help and version text go to {@code sluice}'s
     * standard output, messages to {@code err}.
     */
    public static CommandLine commandLine(Sluice sluice, PrintWriter err) {
        CommandLine cmd = new CommandLine(sluice);
        cmd.setOut(new PrintWriter(new OutputStreamWriter(sluice.stdout, StandardCharsets.UTF_8), true));
        cmd.setErr(err);
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        cmd.setExpandAtFiles(false); // "-d @FILE" is curl's body file (sluice get), not picocli's argument file
        cmd.setParameterExceptionHandler(Sluice::usageError);
        cmd.setExecutionExceptionHandler(Sluice::executionError);
        return cmd;
    }

    InputStream stdin() {
        return stdin;
    }

    OutputStream stdout() {
        return stdout;
    }

    @Override
    public void run() {
        // From the subcommands themselves, so a command added there is named here too (issue 17: relay was not).
        List<String> names = new ArrayList<>(spec.subcommands().keySet());
        String last = names.remove(names.size() - 1);
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing command: " + String.join(", ", names) + " or " + last);
    }

    private static int usageError(CommandLine.ParameterException ex, String[] args) {
        if (ex instanceof CommandLine.UnmatchedArgumentException) {
            return unmatched((CommandLine.UnmatchedArgumentException) ex);
        }
        CommandLine.ParseResult parsed = ex.getCommandLine().getParseResult();
        if (parsed != null && !parsed.unmatched().isEmpty() && parsed.unmatched().get(0).startsWith("-")) {
            // picocli checks required options before it reports unknown ones, but "--prot 8080" is
            // why --port is missing: the typo is the line worth reading.
            return unmatched(new CommandLine.UnmatchedArgumentException(ex.getCommandLine(), parsed.unmatched()));
        }
        return usage(ex.getCommandLine(), oneLine(ex.getMessage()));
    }

    /**
     * An unknown command or option, with the name it most likely meant ({@link NearestName}) on the
     * same line: "Unknown command: 'sreve'; did you mean 'serve'?". Only the first unknown word is
     * named: the words after it are usually its value.
     */
    private static int unmatched(CommandLine.UnmatchedArgumentException ex) {
        CommandSpec command = ex.getCommandLine().getCommandSpec();
        String typed = ex.getUnmatched().get(0);
        boolean option = ex.isUnknownOption();
        if (!option && command.subcommands().isEmpty()) {
            return usage(ex.getCommandLine(), oneLine(ex.getMessage())); // a surplus argument: nothing to suggest
        }
        String nearest = NearestName.of(typed, option ? command.optionsMap().keySet() : command.subcommands().keySet());
        String message = (option ? "Unknown option: '" : "Unknown command: '") + typed + "'";
        return usage(ex.getCommandLine(), message + (nearest == null ? "" : "; did you mean '" + nearest + "'?"));
    }

    /** Bad usage, one line: what was wrong, then where the help is. */
    private static int usage(CommandLine cmd, String message) {
        String name = cmd.getCommandSpec().qualifiedName();
        cmd.getErr().println(name + ": " + message + " (see '" + name + " --help')");
        return EXIT_USAGE;
    }

    private static int executionError(Exception ex, CommandLine cmd, CommandLine.ParseResult parseResult) {
        if (ex instanceof OutputFailedException) {
            // Whoever closed our output (head, a closed pipe) does not want to hear from us either.
            return EXIT_INPUT;
        }
        if (ex instanceof UsageException) {
            return usage(cmd, oneLine(ex.getMessage()));
        }
        String name = cmd.getCommandSpec().qualifiedName();
        if (ex instanceof InputException || ex instanceof SseException) {
            cmd.getErr().println(name + ": " + oneLine(ex.getMessage()));
            return EXIT_INPUT;
        }
        cmd.getErr().println(name + ": internal error: " + oneLine(ex.toString()));
        return EXIT_INTERNAL;
    }

    /** The contract promises one line; a message with line breaks (or none at all) must not break it. */
    private static String oneLine(String message) {
        if (message == null || message.isBlank()) {
            return "failed";
        }
        return message.strip().replaceAll("\\s*[\\r\\n]+\\s*", "; ");
    }

    /** The version, filtered into a resource at build time so it is right in tests and in the jar. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties properties = new Properties();
            try (InputStream in = Sluice.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    properties.load(in);
                }
            }
            return new String[] {"sluice " + properties.getProperty("version", "unknown")};
        }
    }
}
