package io.llmpipe.engine.attention.opencl;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Keeps the JVM's POSIX signal handlers in place across calls into an OpenCL driver.
 *
 * <p>Why: PoCL loads LLVM, and LLVM installs its own crash handlers for SIGSEGV, SIGBUS, SIGILL, SIGFPE
 * and more when the platform is first queried. The JVM takes SIGSEGV in normal operation (safepoint
 * polls, implicit null checks), and LLVM's handler is one-shot ({@code SA_RESETHAND}): when two threads
 * fault at once, as all Java threads do at a safepoint, the second meets the default action and the
 * process dies with "Segmentation fault" and no hs_err file. So every driver call that may load or
 * initialise a compiler runs inside {@link #keep}, which puts back whatever handler it changed.
 * Preloading {@code $JAVA_HOME/lib/libjsig.so} (the launcher, tests and images do) closes the window
 * during the call as well; this class covers JVMs started without it.
 *
 * <p>Linux on x86-64 or AArch64 only (the layout of {@code struct sigaction} is glibc's there); on any
 * other platform {@link #keep} just runs the call.
 */
final class SignalHandlers {
    private static final Logger LOG = Logger.getLogger(SignalHandlers.class.getName());

    /** glibc's {@code struct sigaction} is 152 bytes on x86-64 and AArch64; the handler comes first. */
    private static final long SIGACTION_BYTES = 152;
    /** Catchable standard signals: 1..31 except SIGKILL (9) and SIGSTOP (19). */
    private static final int[] SIGNALS = java.util.stream.IntStream.rangeClosed(1, 31)
            .filter(s -> s != 9 && s != 19).toArray();

    private static final Optional<MethodHandle> SIGACTION = lookup();
    private static volatile boolean warned;

    private SignalHandlers() {
    }

    private static Optional<MethodHandle> lookup() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))) {
            return Optional.empty();
        }
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("sigaction").map(address -> linker.downcallHandle(address,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS)));
        } catch (RuntimeException | LinkageError e) {
            LOG.fine("cannot reach sigaction (" + e + "): OpenCL calls run unguarded");
            return Optional.empty();
        }
    }

    /**
     * Runs {@code call}, then restores every signal handler it replaced; returns the call's result.
     * Guarded calls run one at a time, so that one call's snapshot never holds another's driver handlers.
     */
    static <T> T keep(Supplier<T> call) {
        if (SIGACTION.isEmpty()) {
            return call.get();
        }
        synchronized (SignalHandlers.class) {
            return keepHeld(call);
        }
    }

    private static <T> T keepHeld(Supplier<T> call) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment before = arena.allocate(SIGACTION_BYTES * SIGNALS.length, 16);
            for (int i = 0; i < SIGNALS.length; i++) {
                query(SIGNALS[i], before.asSlice(SIGACTION_BYTES * i, SIGACTION_BYTES));
            }
            try {
                return call.get();
            } finally {
                restore(arena, before);
            }
        }
    }

    private static void restore(Arena arena, MemorySegment before) {
        MemorySegment now = arena.allocate(SIGACTION_BYTES, 16);
        int[] restored = new int[SIGNALS.length];
        int count = 0;
        for (int i = 0; i < SIGNALS.length; i++) {
            MemorySegment saved = before.asSlice(SIGACTION_BYTES * i, SIGACTION_BYTES);
            query(SIGNALS[i], now);
            if (now.get(ValueLayout.JAVA_LONG, 0) != saved.get(ValueLayout.JAVA_LONG, 0)) {
                install(SIGNALS[i], saved);
                restored[count++] = SIGNALS[i];
            }
        }
        if (count > 0 && !warned) {
            warned = true;
            boolean jsig = System.getenv().getOrDefault("LD_PRELOAD", "").contains("libjsig");
            LOG.info("the OpenCL driver replaced the handlers of signals " + Arrays.toString(Arrays.copyOf(restored, count))
                    + "; the JVM's are restored" + (jsig ? "" : " (preloading $JAVA_HOME/lib/libjsig.so also covers the call itself)"));
        }
    }

    /** The handler address currently installed for {@code signal} (0 = default, 1 = ignore), or -1 off Linux. */
    static long handlerOf(int signal) {
        if (SIGACTION.isEmpty()) {
            return -1;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment current = arena.allocate(SIGACTION_BYTES, 16);
            query(signal, current);
            return current.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    static boolean supported() {
        return SIGACTION.isPresent();
    }

    private static void query(int signal, MemorySegment into) {
        call(signal, MemorySegment.NULL, into);
    }

    private static void install(int signal, MemorySegment action) {
        call(signal, action, MemorySegment.NULL);
    }

    private static void call(int signal, MemorySegment action, MemorySegment old) {
        try {
            int rc = (int) SIGACTION.orElseThrow().invokeExact(signal, action, old);
            if (rc != 0) {
                throw new IllegalStateException("sigaction(" + signal + ") failed");
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
