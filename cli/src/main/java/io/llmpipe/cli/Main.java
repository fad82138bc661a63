package io.llmpipe.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code pipeline} script. */
@Command(name = "pipeline", mixinStandardHelpOptions = true, version = "llmpipe 0.1.0",
        description = "Reactive streaming LLM-serving pipeline.",
        subcommands = {GenerateCommand.class, UpCommand.class, BenchCommand.class, IngestCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line with its error handling, for the script and for tests that run commands in-process. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            // Bad models, prompts and parameters are user errors: one clear line, no stack trace.
            commandLine.getErr().println("error: " + ex.getMessage());
            return 1;
        });
        return cl;
    }
}
