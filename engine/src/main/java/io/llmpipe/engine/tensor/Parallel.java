package io.llmpipe.engine.tensor;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * A fixed set of worker threads for data-parallel loops (matrix rows, attention heads). Work is
 * handed out in chunks from a shared counter, so a slow core does not hold the others back.
 *
 * <p>One instance per engine; {@link #forChunks} may be called from one thread at a time per
 * loop but loops from different callers may interleave safely. Close it to stop the threads.
 */
public final class Parallel implements AutoCloseable {
    private final int threads;
    private final ForkJoinPool pool;

    /** A range body: process indices {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    public Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.pool = threads == 1 ? null : new ForkJoinPool(threads);
    }

    /** The number of available processors, the usual default. */
    public static int defaultThreads() {
        return Runtime.getRuntime().availableProcessors();
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code body} over {@code [0, n)} in chunks of at least {@code grain} indices, on all
     * threads, and returns when every chunk is done.
     */
    public void forChunks(int n, int grain, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int g = Math.max(1, grain);
        if (pool == null || n <= g) {
            body.run(0, n);
            return;
        }
        // Aim for ~4 chunks per thread: enough to balance, few enough to keep overhead low.
        int chunk = Math.max(g, (n + threads * 4 - 1) / (threads * 4));
        int chunks = (n + chunk - 1) / chunk;
        int workers = Math.min(threads, chunks);
        AtomicInteger next = new AtomicInteger();
        int finalChunk = chunk;
        List<ForkJoinTask<?>> tasks = new ArrayList<>(workers);
        for (int w = 0; w < workers; w++) {
            tasks.add(new RecursiveAction() {
                @Override
                protected void compute() {
                    int c;
                    while ((c = next.getAndIncrement()) < chunks) {
                        int start = c * finalChunk;
                        body.run(start, Math.min(n, start + finalChunk));
                    }
                }
            });
        }
        if (ForkJoinTask.inForkJoinPool() && ForkJoinTask.getPool() == pool) {
            ForkJoinTask.invokeAll(tasks);
        } else {
            pool.invoke(new RecursiveAction() {
                @Override
                protected void compute() {
                    ForkJoinTask.invokeAll(tasks);
                }
            });
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
