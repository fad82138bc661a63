package io.llmpipe.engine.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed set of worker threads for data-parallel loops (matrix rows, attention heads). Work is
 * handed out in chunks from a shared counter, so a slow core does not hold the others back; the
 * calling thread takes chunks too.
 *
 * <p>Workers spin for a while after each loop before they sleep. A decode step is a hundred short
 * loops (one per weight matrix) with a little serial work between them, and waking a sleeping
 * thread costs more than many of those loops take on a virtual machine: with a fork-join pool, two
 * threads decoded no faster than one (measured on the 1B-shaped model, docs/PERFORMANCE.md).
 *
 * <p>Safe for any number of callers: loops from different threads run one at a time; a loop
 * started from inside a loop body runs on the calling thread alone. Close it to stop the threads.
 */
public final class Parallel implements AutoCloseable {
    /**
     * How long an idle worker spins before it sleeps: longer than the gaps between the loops of a
     * forward pass (microseconds), short enough not to take a core from the other processes of a
     * small machine between requests (the pipeline runs five JVMs and a broker on two cores).
     */
    private static final long SPIN_NANOS = Long.getLong("llmpipe.parallel.spin-micros", 100) * 1000;
    private static final int CHUNKS_PER_THREAD = 4;

    private final int threads;
    private final Thread[] workers;
    private final ReentrantLock submit = new ReentrantLock();
    private final AtomicReference<Job> current = new AtomicReference<>();
    private volatile boolean closed;
    private long jobs; // guarded by submit

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
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = Thread.ofPlatform().daemon().name("llmpipe-parallel-" + (i + 1)).unstarted(this::work);
            workers[i].start();
        }
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
     * threads, and returns when every chunk is done. An exception from the body is rethrown here
     * once the other chunks have finished.
     */
    public void forChunks(int n, int grain, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int g = Math.max(1, grain);
        if (workers.length == 0 || n <= g || submit.isHeldByCurrentThread() || isWorker()) {
            body.run(0, n);
            return;
        }
        // ~4 chunks per thread: enough to balance, few enough to keep overhead low
        int chunk = Math.max(g, (n + threads * CHUNKS_PER_THREAD - 1) / (threads * CHUNKS_PER_THREAD));
        submit.lock();
        try {
            if (closed) {
                throw new IllegalStateException("parallel executor is closed");
            }
            Job job = new Job(++jobs, body, n, chunk);
            current.set(job);
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
            job.runChunks();
            job.awaitDone();
            current.set(null);
            job.rethrow();
        } finally {
            submit.unlock();
        }
    }

    private boolean isWorker() {
        Thread t = Thread.currentThread();
        for (Thread w : workers) {
            if (w == t) {
                return true;
            }
        }
        return false;
    }

    private void work() {
        long lastJob = 0; // an id, not the job: a finished job's body may hold large arrays
        long idleSince = System.nanoTime();
        while (!closed) {
            Job job = current.get();
            if (job != null && job.id != lastJob) {
                lastJob = job.id;
                job.runChunks();
                idleSince = System.nanoTime();
            } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                // a new job unparks every worker; the timeout only bounds a missed wake-up
                LockSupport.parkNanos(this, 50_000_000);
                idleSince = System.nanoTime() - SPIN_NANOS + Math.min(SPIN_NANOS, 20_000);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }

    /** One loop: chunks claimed from a counter by every thread that sees it. */
    private static final class Job {
        private final long id;
        private final RangeBody body;
        private final int n;
        private final int chunk;
        private final int chunks;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger done = new AtomicInteger();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(long id, RangeBody body, int n, int chunk) {
            this.id = id;
            this.body = body;
            this.n = n;
            this.chunk = chunk;
            this.chunks = (n + chunk - 1) / chunk;
        }

        void runChunks() {
            int c;
            while ((c = next.getAndIncrement()) < chunks) {
                int start = c * chunk;
                try {
                    if (failure.get() == null) {
                        body.run(start, Math.min(n, start + chunk));
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.incrementAndGet();
                }
            }
        }

        /** Spins while the other threads finish their last chunks (microseconds), sleeping only if they stall. */
        void awaitDone() {
            long start = System.nanoTime();
            while (done.get() < chunks) {
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(20_000);
                }
            }
        }

        void rethrow() {
            Throwable t = failure.get();
            if (t instanceof RuntimeException e) {
                throw e;
            }
            if (t instanceof Error e) {
                throw e;
            }
            if (t != null) {
                throw new IllegalStateException(t);
            }
        }
    }
}
