package io.llmpipe.engine.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {

    @Test
    void everyIndexRunsExactlyOnceOnSeveralThreads() {
        try (Parallel p = new Parallel(3)) {
            for (int n : new int[] {1, 7, 64, 1000, 4097}) {
                AtomicIntegerArray seen = new AtomicIntegerArray(n);
                Set<Thread> threads = ConcurrentHashMap.newKeySet();
                p.forChunks(n, 1, (start, end) -> {
                    threads.add(Thread.currentThread());
                    for (int i = start; i < end; i++) {
                        seen.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < n; i++) {
                    assertEquals(1, seen.get(i), "index " + i + " of " + n);
                }
                assertTrue(threads.size() <= 3);
            }
        }
    }

    @Test
    void aFailingChunkIsRethrownToTheCallerAfterTheOthersFinish() {
        try (Parallel p = new Parallel(2)) {
            IllegalStateException boom = new IllegalStateException("boom");
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> p.forChunks(100, 1, (s, e) -> {
                if (s == 0) {
                    throw boom;
                }
            }));
            assertSame(boom, thrown);
            // the executor stays usable
            AtomicIntegerArray seen = new AtomicIntegerArray(50);
            p.forChunks(50, 1, (s, e) -> {
                for (int i = s; i < e; i++) {
                    seen.incrementAndGet(i);
                }
            });
            for (int i = 0; i < 50; i++) {
                assertEquals(1, seen.get(i));
            }
        }
    }

    @Test
    void aLoopInsideALoopBodyRunsOnTheCallingThread() {
        try (Parallel p = new Parallel(2)) {
            AtomicIntegerArray seen = new AtomicIntegerArray(16 * 16);
            p.forChunks(16, 1, (s, e) -> {
                for (int i = s; i < e; i++) {
                    int row = i;
                    Thread outer = Thread.currentThread();
                    p.forChunks(16, 1, (s2, e2) -> {
                        assertSame(outer, Thread.currentThread());
                        for (int j = s2; j < e2; j++) {
                            seen.incrementAndGet(row * 16 + j);
                        }
                    });
                }
            });
            for (int i = 0; i < 256; i++) {
                assertEquals(1, seen.get(i));
            }
        }
    }

    @Test
    void callersOnDifferentThreadsEachGetTheirWholeLoop() throws Exception {
        try (Parallel p = new Parallel(2)) {
            ExecutorService callers = Executors.newFixedThreadPool(4);
            try {
                List<Future<long[]>> results = new ArrayList<>();
                for (int c = 0; c < 4; c++) {
                    results.add(callers.submit(() -> {
                        long[] sums = new long[200];
                        for (int round = 0; round < sums.length; round++) {
                            long[] partial = new long[1000];
                            p.forChunks(1000, 8, (s, e) -> {
                                for (int i = s; i < e; i++) {
                                    partial[i] = i;
                                }
                            });
                            for (long v : partial) {
                                sums[round] += v;
                            }
                        }
                        return sums;
                    }));
                }
                for (Future<long[]> f : results) {
                    for (long sum : f.get()) {
                        assertEquals(999L * 1000 / 2, sum);
                    }
                }
            } finally {
                callers.shutdownNow();
            }
        }
    }

    @Test
    void oneThreadRunsInlineAndAClosedExecutorRefusesWork() {
        try (Parallel one = new Parallel(1)) {
            Thread caller = Thread.currentThread();
            one.forChunks(100, 1, (s, e) -> assertSame(caller, Thread.currentThread()));
        }
        Parallel p = new Parallel(2);
        p.close();
        assertThrows(IllegalStateException.class, () -> p.forChunks(100, 1, (s, e) -> { }));
        assertThrows(IllegalArgumentException.class, () -> new Parallel(0));
    }
}
