package io.llmpipe.cli.bench;

import io.llmpipe.engine.tensor.GGMLType;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code pipeline bench compare --baseline DIR}: this build's engine against another build's (DIR holds
 * that build's {@code llmpipe-cli.jar} and {@code lib/}, a copy of {@code cli/target}), decode steps
 * of the 1B-shaped models alternating between the two in one JVM.
 *
 * <p>Why: these shared machines' memory speed swings 2x within seconds and their CPU speed by a
 * third between runs, so two builds timed in separate runs differ by more than most changes do. Here
 * each round times a few steps of one build, then of the other, and the ratio is taken round by round
 * (median reported). Each build runs in its own class loader, so each has its own JIT profiles, as in
 * a process of its own; both models are loaded {@link #LOADS} times, as where a build's weight copies
 * land in memory moves its speed too.
 */
public final class EngineCompare {
    /** Settings; {@code threads}, {@code batches} and {@code types} multiply into configurations. */
    public record Options(Path baseline, Path models, GGMLType[] types, int[] threads, int[] batches, int rounds) {
    }

    /** Times both builds' models are loaded per configuration, the rounds split between the loads. */
    static final int LOADS = 4;

    private final Options options;
    private final PrintWriter log;

    public EngineCompare(Options options, PrintWriter log) {
        this.options = options;
        this.log = log;
    }

    public BenchReport run() throws Exception {
        URL[] baseline = baselineClassPath(options.baseline());
        URL[] current = currentClassPath();
        byte[] steps = stepsClass();
        BenchReport report = new BenchReport("compare");
        for (GGMLType type : options.types()) {
            Path model = SyntheticModels.llama32_1bShape(options.models(), type, log);
            for (int threads : options.threads()) {
                for (int batch : options.batches()) {
                    compare(model, type, threads, batch, new BuildLoader(baseline, steps), new BuildLoader(current, steps), report);
                }
            }
        }
        return report;
    }

    private void compare(Path model, GGMLType type, int threads, int batch, BuildLoader baseline, BuildLoader current,
                         BenchReport report) throws Exception {
        int stepsPerRound = batch == 1 ? 2 : 1; // short rounds: the host's memory speed changes within a second
        int loads = Math.min(LOADS, options.rounds());
        double[][] ms = new double[2][options.rounds()];
        BuildLoader[] loaders = {baseline, current};
        try (baseline; current) {
            for (int load = 0, r = 0; load < loads; load++) {
                // each build copies weights into memory of its own at load; where those pages land moves a
                // build's speed by up to ~20% (the same build on both sides read 0.91-1.16x with one load),
                // so both models are loaded afresh several times, who loads first alternating
                int first = load % 2;
                try (AutoCloseable x = steps(loaders[first], model, threads, batch);
                     AutoCloseable y = steps(loaders[1 - first], model, threads, batch)) {
                    Runnable[] builds = new Runnable[2];
                    builds[first] = (Runnable) x;
                    builds[1 - first] = (Runnable) y;
                    for (Runnable build : builds) { // warm-up: compile the kernels (the first load) and touch the weights
                        for (int i = 0; i < (load == 0 ? 3 : 1) * stepsPerRound; i++) {
                            build.run();
                        }
                    }
                    int begin = r;
                    for (int end = (int) ((long) options.rounds() * (load + 1) / loads); r < end; r++) {
                        for (int j = 0; j < 2; j++) {
                            int k = (r + j) % 2; // who goes first alternates
                            // untimed: a serving process keeps one model hot, and in one run with the same
                            // build on both sides the step right after the other build's read 180-250 ms
                            // against 60
                            builds[k].run();
                            long t0 = System.nanoTime();
                            for (int i = 0; i < stepsPerRound; i++) {
                                builds[k].run();
                            }
                            ms[k][r] = (System.nanoTime() - t0) / 1e6 / stepsPerRound;
                        }
                        log.printf("[compare] %s %d thread(s) batch %d load %d round %d: baseline %.1f ms, current %.1f ms a step%n",
                                type, threads, batch, load, r, ms[0][r], ms[1][r]);
                        log.flush();
                    }
                    double[] loadRatios = new double[r - begin];
                    for (int i = 0; i < loadRatios.length; i++) {
                        loadRatios[i] = ms[0][begin + i] / ms[1][begin + i];
                    }
                    log.printf("[compare] %s %d thread(s) batch %d load %d: current %.3fx the baseline's speed (median of its rounds)%n",
                            type, threads, batch, load, median(loadRatios));
                }
            }
        }
        double[] ratios = new double[options.rounds()];
        for (int r = 0; r < ratios.length; r++) {
            ratios[r] = ms[0][r] / ms[1][r];
        }
        String[] builds = {"baseline", "current"};
        for (int k = 0; k < 2; k++) {
            report.add(row(builds[k], type, threads, batch).put("metric", "decode_step").put("value", median(ms[k])).put("unit", "ms"));
        }
        report.add(row("current", type, threads, batch).put("metric", "speed_vs_baseline").put("value", median(ratios)).put("unit", "x"));
    }

    private static BenchRow row(String build, GGMLType type, int threads, int batch) {
        return new BenchRow().put("build", build).put("model", "llama-3.2-1b-shape").put("type", type.name())
                .put("threads", threads).put("batch", batch);
    }

    static AutoCloseable steps(ClassLoader loader, Path model, int threads, int batch) throws Exception {
        return (AutoCloseable) loader.loadClass(DecodeSteps.class.getName())
                .getConstructor(Path.class, int.class, int.class).newInstance(model, threads, batch);
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static URL[] baselineClassPath(Path dir) throws IOException {
        Path jar = dir.resolve("llmpipe-cli.jar");
        Path lib = dir.resolve("lib");
        if (!Files.isRegularFile(jar) || !Files.isDirectory(lib)) {
            throw new IllegalArgumentException("--baseline " + dir + " must hold llmpipe-cli.jar and lib/ (a copy of cli/target from the build to compare with)");
        }
        List<URL> urls = new ArrayList<>(List.of(jar.toUri().toURL()));
        try (Stream<Path> jars = Files.list(lib)) {
            for (Path p : jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                urls.add(p.toUri().toURL());
            }
        }
        return urls.toArray(URL[]::new);
    }

    static URL[] currentClassPath() {
        return Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator)).map(p -> {
            try {
                return Path.of(p).toUri().toURL();
            } catch (MalformedURLException e) {
                throw new UncheckedIOException(e);
            }
        }).toArray(URL[]::new);
    }

    static byte[] stepsClass() throws IOException {
        try (InputStream in = DecodeSteps.class.getResourceAsStream(DecodeSteps.class.getSimpleName() + ".class")) {
            return in.readAllBytes();
        }
    }

    /**
     * One build's classes, apart from the application's; {@link DecodeSteps} comes from this build, so a
     * baseline from before it existed can be compared too (it uses only the engine's API).
     */
    static final class BuildLoader extends URLClassLoader {
        private final byte[] steps;

        BuildLoader(URL[] urls, byte[] steps) {
            super(urls, ClassLoader.getPlatformClassLoader());
            this.steps = steps;
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.equals(DecodeSteps.class.getName())) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                return c != null ? c : defineClass(name, steps, 0, steps.length);
            }
        }
    }
}
