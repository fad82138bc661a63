package io.llmpipe.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code pipeline bench SUITE}: benchmarks that print a table and write target/bench/SUITE.json. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Run a benchmark suite; prints a table and writes target/bench/<suite>.json.")
final class BenchCommand implements Callable<Integer> {

    @Parameters(index = "0", description = "Suite: engine.")
    String suite;

    @Override
    public Integer call() throws Exception {
        throw new IllegalArgumentException("unknown benchmark suite '" + suite + "'");
    }
}
