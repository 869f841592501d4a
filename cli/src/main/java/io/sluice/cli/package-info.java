/**
 * The {@code sluice} command line: one picocli top command, {@link io.sluice.cli.Sluice}, and its
 * subcommands ({@code replay}, {@code get}, {@code serve}, {@code relay} and picocli's
 * {@code help}, each a class of its own listed in {@code Sluice}'s {@code subcommands}). Recorded inputs (packet captures,
 * HTTP responses) are read by {@link io.sluice.cli.capture}.
 *
 * <h2>Contract</h2>
 * {@code sluice replay} follows its contract in docs/replay.md to the letter: the NDJSON record shapes and key
 * orders, and the rule that every failure is one line on standard error and a non-zero status,
 * never a stack trace. Exit statuses: {@value io.sluice.cli.Sluice#EXIT_OK} success,
 * {@value io.sluice.cli.Sluice#EXIT_INPUT} input error (missing or unreadable file, unsupported
 * input kind, bound exceeded) or failed write, {@value io.sluice.cli.Sluice#EXIT_USAGE} bad usage.
 * Bad values are refused by picocli converters at parse time (ports, seconds, counts, flows);
 * what only the running command can check is a {@link io.sluice.cli.UsageException}. Failures
 * travel as exceptions ({@link io.sluice.cli.InputException}, {@link io.sluice.cli.UsageException},
 * {@link io.sluice.core.SseException}, {@link io.sluice.cli.OutputFailedException}) to the one
 * place that turns them into that line: {@code Sluice}'s execution exception handler.
 *
 * <h2>Threading and ownership</h2>
 * A command runs on the thread that calls {@code CommandLine.execute}, and so do its parser and
 * its record writer. Each chunk of input is a heap buffer from {@code ByteBufAllocator.DEFAULT},
 * owned by the replay loop: it is fed to the parser (which never keeps it) and released right
 * after, on every path, or handed to the HTTP reader, which takes it. Events, comments and errors
 * reach the record writers as views (the parser's, or the decoder's owned events, released when the
 * call returns) and are written out during the callback, never kept. {@code serve} is the exception to the one
 * thread: its connections run on Netty NIO event loops ({@code ReplayServer}), the command's thread
 * only waits, and a shutdown hook (Ctrl-C) closes the server. With {@code --fault}, serve decodes
 * the recording once on the command's thread ({@code DecodedRecording}, immutable afterwards and
 * read by every connection) and each connection's pass ({@code FaultedResponse}) is confined to
 * its event loop, like a byte-exact pass.
 */
package io.sluice.cli;
