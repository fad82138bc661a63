package io.llmpipe.cli;

import io.llmpipe.cli.bench.BenchReport;
import io.llmpipe.cli.bench.EngineBench;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pipeline bench SUITE}: benchmarks that print a table and write target/bench/SUITE.json. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Run a benchmark suite; prints a table and writes target/bench/<suite>.json.")
final class BenchCommand implements Callable<Integer> {

    @Parameters(index = "0", description = "Suite: engine (model runtime), pipeline (the services through Kafka), attention (sparse prefill), kv (KV handoff codecs),"
            + " retrieval (HNSW vs Lucene) or compare (this engine build against --baseline, alternating in one JVM).")
    String suite;

    @Parameters(index = "1", arity = "0..1", hidden = true, description = "engine-group only: the group to run.")
    String group;

    @Option(names = "--shared", defaultValue = "${sys:llmpipe.project.dir:-.}/../shared", description = "The shared models/data directory.")
    Path shared;

    @Option(names = "--out", defaultValue = "${sys:llmpipe.project.dir:-.}/target/bench", description = "Where the JSON goes (default: target/bench).")
    Path out;

    @Option(names = "--threads", split = ",", description = "Thread counts to measure (default: 1 and all cores).")
    int[] threads;

    @Option(names = "--quick", description = "Skip the 1B-shaped models (engine: seconds instead of minutes; pipeline: latency only);"
            + " retrieval: MNIST only, no embedding data sets.")
    boolean quick;

    @Option(names = "--prefill-tokens", defaultValue = "128", description = "Prompt length for prefill speed (default: ${DEFAULT-VALUE}).")
    int prefillTokens;

    @Option(names = "--decode-tokens", defaultValue = "32", description = "Tokens for decode speed (default: ${DEFAULT-VALUE}).")
    int decodeTokens;

    @Option(names = "--lengths", split = ",", description = "attention: prompt lengths (default: 4096,8192,16384,32768,65536).")
    int[] lengths;

    @Option(names = "--head-dims", split = ",", defaultValue = "64,128", description = "attention: head sizes (default: ${DEFAULT-VALUE}).")
    int[] headDims;

    @Option(names = "--backends", split = ",", defaultValue = "cpu,opencl", description = "attention: backends (default: ${DEFAULT-VALUE}).")
    java.util.List<String> backends;

    @Option(names = "--gamma", description = "attention: FlexPrefill's gamma (default: the product default).")
    Double gamma;

    @Option(names = "--tau", description = "attention: FlexPrefill's tau (default: the product default).")
    Double tau;

    @Option(names = "--dhsa-budget", description = "attention: DHSA's token budget per query block: a count, or a fraction"
            + " of the prompt when below 1 (default: the product default).")
    Double dhsaBudget;

    @Option(names = "--opencl-max-length", description = "attention: longest prompt for OpenCL rows (default: all on a GPU,"
            + " 16384 on a CPU OpenCL driver, where the rows take minutes each beyond).")
    Integer openclMaxLength;

    @Option(names = "--prompts", defaultValue = "4", description = "attention: prompt draws per length for the recall,"
            + " reported as mean and minimum; timing runs on the first (default: ${DEFAULT-VALUE}).")
    int prompts;

    @Option(names = "--model-tokens", defaultValue = "16384", description = "attention: whole-model prefill length, 0 for none (default: ${DEFAULT-VALUE}).")
    int modelTokens;

    @Option(names = "--model-layers", defaultValue = "2", description = "attention, kv: layers of the 1B-shaped model for the whole-model rows (default: ${DEFAULT-VALUE} of 16).")
    int modelLayers;

    @Option(names = "--kv-contexts", split = ",", defaultValue = "1024,8192,32768", description = "kv: contexts for sizes, throughput and error (default: ${DEFAULT-VALUE}).")
    int[] kvContexts;

    @Option(names = "--kv-step-contexts", split = ",", defaultValue = "4096,16384", description = "kv: contexts for the decode step (default: ${DEFAULT-VALUE}).")
    int[] kvStepContexts;

    @Option(names = "--kv-handoff-tokens", defaultValue = "4096", description = "kv: prompt of the Kafka handoff vs prefill rows, 0 for none (default: ${DEFAULT-VALUE}).")
    int kvHandoffTokens;

    @Option(names = "--kv-group-size", defaultValue = "32", description = "kv: KIVI group size (default: ${DEFAULT-VALUE}).")
    int kvGroupSize;

    @Option(names = "--kv-residual-length", defaultValue = "128", description = "kv: KIVI full-precision window (default: ${DEFAULT-VALUE}).")
    int kvResidualLength;

    @Option(names = "--ef", split = ",", defaultValue = "10,16,24,32,48,64,96,128", description = "retrieval: query-time beam widths (default: ${DEFAULT-VALUE}).")
    int[] efs;

    @Option(names = "--queries", defaultValue = "1000", description = "retrieval: queries per measurement (default: ${DEFAULT-VALUE}).")
    int retrievalQueries;

    @Option(names = "--baseline", description = "compare: the build to compare with, a directory holding its llmpipe-cli.jar"
            + " and lib/ (a copy of cli/target).")
    Path baseline;

    @Option(names = "--types", split = ",", defaultValue = "Q4_0,Q8_0", description = "compare: model types (default: ${DEFAULT-VALUE}).")
    java.util.List<io.llmpipe.engine.tensor.GGMLType> types;

    @Option(names = "--batches", split = ",", defaultValue = "1,8", description = "compare: sequences decoding together (default: ${DEFAULT-VALUE}).")
    int[] batches;

    @Option(names = "--rounds", defaultValue = "40", description = "compare: alternating rounds per configuration (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--requests", defaultValue = "100", description = "pipeline: requests per latency measurement (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--streams", defaultValue = "8", description = "pipeline: concurrent streams (default: ${DEFAULT-VALUE}).")
    int streams;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter log = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        int cores = Runtime.getRuntime().availableProcessors();
        int[] t = threads != null ? threads : cores > 1 ? new int[]{1, cores} : new int[]{1};
        if (suite.equals("engine-group")) {
            // one group in this (fresh) JVM, for the parent bench process
            EngineBench bench = new EngineBench(new EngineBench.Options(shared.resolve("models").normalize(), out.normalize(), t, !quick,
                    prefillTokens, decodeTokens), log);
            stdout.println(io.llmpipe.cli.bench.EngineBench.encodeRows(bench.runGroup(group)));
            stdout.flush();
            return 0;
        }
        BenchReport report = switch (suite) {
            case "engine" -> new EngineBench(new EngineBench.Options(shared.resolve("models").normalize(), out.normalize(), t, !quick,
                    prefillTokens, decodeTokens), log).run();
            case "pipeline" -> new io.llmpipe.cli.bench.PipelineBench(new io.llmpipe.cli.bench.PipelineBench.Options(
                    Path.of(System.getProperty("llmpipe.project.dir", ".")).toAbsolutePath().normalize(), shared.resolve("models").normalize(),
                    out.normalize(), quick, requests, streams), log).run();
            case "attention" -> new io.llmpipe.cli.bench.AttentionBench(new io.llmpipe.cli.bench.AttentionBench.Options(
                    lengths != null ? lengths : new int[]{4096, 8192, 16384, 32768, 65536}, 32, 8, headDims,
                    backends, gamma, tau, dhsaBudget, openclMaxLength, modelTokens, modelLayers, out.normalize(), prompts), log).run();
            case "kv" -> new io.llmpipe.cli.bench.KvBench(new io.llmpipe.cli.bench.KvBench.Options(
                    kvContexts, kvStepContexts, kvHandoffTokens, modelLayers, kvGroupSize, kvResidualLength,
                    Path.of(System.getProperty("llmpipe.project.dir", ".")).toAbsolutePath().normalize(), out.normalize()), log).run();
            case "compare" -> {
                if (baseline == null) {
                    throw new IllegalArgumentException("bench compare needs --baseline DIR (a copy of cli/target from the build to compare with)");
                }
                yield new io.llmpipe.cli.bench.EngineCompare(new io.llmpipe.cli.bench.EngineCompare.Options(baseline.toAbsolutePath().normalize(),
                        out.normalize().resolve("models"), types.toArray(io.llmpipe.engine.tensor.GGMLType[]::new), t, batches, rounds), log).run();
            }
            case "retrieval" -> new io.llmpipe.cli.bench.RetrievalBench(new io.llmpipe.cli.bench.RetrievalBench.Options(
                    shared.resolve("data").normalize(), out.normalize().resolve("cache"), 16, 100, efs, retrievalQueries,
                    !quick), log).run();
            default -> throw new IllegalArgumentException("unknown benchmark suite '" + suite
                    + "' (known: engine, pipeline, attention, kv, retrieval, compare)");
        };
        report.print(stdout);
        stdout.println("wrote " + report.writeJson(out.normalize()));
        stdout.flush();
        return 0;
    }
}
