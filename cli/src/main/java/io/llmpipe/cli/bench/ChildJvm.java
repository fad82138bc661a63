package io.llmpipe.cli.bench;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Runs one benchmark group in a fresh JVM with this JVM's flags and class path
 * ({@code pipeline bench engine-group GROUP}); the child logs to our stderr and prints its rows as
 * one JSON line on stdout.
 */
final class ChildJvm {
    static final String MARKER = "BENCH-ROWS ";

    private ChildJvm() {
    }

    static List<BenchRow> run(String group, EngineBench.Options o, PrintWriter log) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("io.llmpipe.cli.Main");
        cmd.addAll(List.of("bench", "engine-group", group, "--shared", o.sharedModels().getParent().toString(),
                "--out", o.workDir().toString(), "--prefill-tokens", String.valueOf(o.prefillTokens()),
                "--decode-tokens", String.valueOf(o.decodeTokens()),
                "--threads", Arrays.stream(o.threads()).mapToObj(String::valueOf).collect(Collectors.joining(","))));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("benchmark group " + group + " failed (exit " + p.exitValue() + ")");
        }
        String json = out.lines().filter(l -> l.startsWith(MARKER)).findFirst()
                .orElseThrow(() -> new IllegalStateException("benchmark group " + group + " printed no rows"))
                .substring(MARKER.length());
        List<Map<String, Object>> rows = new ObjectMapper().readValue(json, new TypeReference<>() { });
        List<BenchRow> result = new ArrayList<>();
        for (Map<String, Object> r : rows) {
            BenchRow row = new BenchRow();
            r.forEach(row::put);
            result.add(row);
        }
        log.flush();
        return result;
    }

    static String encode(BenchReport report) throws IOException {
        return MARKER + new ObjectMapper().writeValueAsString(report.rows().stream().map(BenchRow::columns).toList());
    }
}
