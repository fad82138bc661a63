package io.llmpipe.engine.attention.opencl;

import static org.lwjgl.opencl.CL10.*;

import java.io.IOException;
import java.io.InputStream;
import java.nio.IntBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;

/**
 * One OpenCL device with its context and command queue, and the programs built for it (each
 * {@code .cl} resource built once and kept). {@link #open} picks a device by preference and returns
 * empty, with a logged notice, when the machine has no OpenCL platform: callers then use the CPU.
 *
 * <p>Thread-safe: kernels are created per call ({@link #kernel}); the queue is used under this
 * object's lock.
 */
public final class OpenClDevice implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(OpenClDevice.class.getName());

    /** Which device to take: a GPU if any, else the first device; or only CPUs or GPUs. */
    public enum Preference { GPU_FIRST, GPU, CPU }

    private final long device;
    private final long context;
    private final long queue;
    private final String name;
    private final long maxWorkGroupSize;
    private final long localMemSize;
    private final boolean gpu;
    private final ConcurrentHashMap<String, Long> programs = new ConcurrentHashMap<>();

    private OpenClDevice(long device, long context, long queue, String name, long maxWorkGroupSize, long localMemSize, boolean gpu) {
        this.gpu = gpu;
        this.device = device;
        this.context = context;
        this.queue = queue;
        this.name = name;
        this.maxWorkGroupSize = maxWorkGroupSize;
        this.localMemSize = localMemSize;
    }

    /** The preferred device, or empty (logged) when there is no usable OpenCL platform or device. */
    public static Optional<OpenClDevice> open(Preference preference) {
        // the first platform query loads the drivers (PoCL loads LLVM, which takes over crash signals)
        return SignalHandlers.keep(() -> find(preference));
    }

    private static Optional<OpenClDevice> find(Preference preference) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer count = stack.mallocInt(1);
            if (clGetPlatformIDs(null, count) != CL_SUCCESS || count.get(0) == 0) {
                LOG.info("no OpenCL platform: attention runs on the CPU");
                return Optional.empty();
            }
            PointerBuffer platforms = stack.mallocPointer(count.get(0));
            check(clGetPlatformIDs(platforms, (IntBuffer) null), "clGetPlatformIDs");
            List<long[]> candidates = new ArrayList<>(); // {platform, device, type}
            for (int p = 0; p < platforms.capacity(); p++) {
                long platform = platforms.get(p);
                if (clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, null, count) != CL_SUCCESS || count.get(0) == 0) {
                    continue;
                }
                PointerBuffer devices = stack.mallocPointer(count.get(0));
                check(clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, devices, (IntBuffer) null), "clGetDeviceIDs");
                for (int d = 0; d < devices.capacity(); d++) {
                    long[] type = new long[1];
                    check(clGetDeviceInfo(devices.get(d), CL_DEVICE_TYPE, type, null), "clGetDeviceInfo(TYPE)");
                    candidates.add(new long[]{platform, devices.get(d), type[0]});
                }
            }
            long[] chosen = null;
            for (long[] c : candidates) {
                boolean gpu = (c[2] & CL_DEVICE_TYPE_GPU) != 0;
                boolean cpu = (c[2] & CL_DEVICE_TYPE_CPU) != 0;
                if ((preference == Preference.GPU && gpu) || (preference == Preference.CPU && cpu)
                        || (preference == Preference.GPU_FIRST && gpu)) {
                    chosen = c;
                    break;
                }
            }
            if (chosen == null && preference == Preference.GPU_FIRST && !candidates.isEmpty()) {
                chosen = candidates.getFirst();
            }
            if (chosen == null) {
                LOG.info("no OpenCL device of kind " + preference.name().toLowerCase(Locale.ROOT) + ": attention runs on the CPU");
                return Optional.empty();
            }
            long device = chosen[1];
            PointerBuffer props = stack.mallocPointer(3).put(CL_CONTEXT_PLATFORM).put(chosen[0]).put(0).flip();
            IntBuffer err = stack.mallocInt(1);
            long context = clCreateContext(props, device, null, 0, err);
            check(err.get(0), "clCreateContext");
            long queue = clCreateCommandQueue(context, device, 0, err);
            check(err.get(0), "clCreateCommandQueue");
            PointerBuffer size = stack.mallocPointer(1);
            check(clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, size, null), "clGetDeviceInfo(MAX_WORK_GROUP_SIZE)");
            java.nio.LongBuffer local = stack.mallocLong(1);
            check(clGetDeviceInfo(device, CL_DEVICE_LOCAL_MEM_SIZE, local, null), "clGetDeviceInfo(LOCAL_MEM_SIZE)");
            String name = deviceString(device, CL_DEVICE_NAME, stack);
            LOG.info("OpenCL device: " + name + " (work-groups up to " + size.get(0) + ", local memory "
                    + local.get(0) / 1024 + " KiB)");
            return Optional.of(new OpenClDevice(device, context, queue, name, size.get(0), local.get(0),
                    (chosen[2] & CL_DEVICE_TYPE_GPU) != 0));
        } catch (RuntimeException | LinkageError e) {
            LOG.info("OpenCL is not usable (" + e + "): attention runs on the CPU");
            return Optional.empty();
        }
    }

    private static String deviceString(long device, int param, MemoryStack stack) {
        PointerBuffer size = stack.mallocPointer(1);
        check(clGetDeviceInfo(device, param, (java.nio.ByteBuffer) null, size), "clGetDeviceInfo");
        java.nio.ByteBuffer bytes = stack.malloc((int) size.get(0));
        check(clGetDeviceInfo(device, param, bytes, null), "clGetDeviceInfo");
        byte[] b = new byte[bytes.remaining() - 1];
        bytes.get(b);
        return new String(b, StandardCharsets.UTF_8).trim();
    }

    public String name() {
        return name;
    }

    public long context() {
        return context;
    }

    public long queue() {
        return queue;
    }

    /** The device's largest work-group. */
    public long maxWorkGroupSize() {
        return maxWorkGroupSize;
    }

    /** Whether the device is a GPU (else a CPU driver such as PoCL, or an accelerator). */
    public boolean isGpu() {
        return gpu;
    }

    /** Bytes of local memory one work-group may use. */
    public long localMemSize() {
        return localMemSize;
    }

    /** A new kernel from the program in resource {@code resource} (built once per device). Release it after use. */
    public long kernel(String resource, String kernelName) {
        long program = programs.computeIfAbsent(resource, r -> SignalHandlers.keep(() -> build(r)));
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer err = stack.mallocInt(1);
            long kernel = clCreateKernel(program, kernelName, err);
            check(err.get(0), "clCreateKernel(" + kernelName + ")");
            return kernel;
        }
    }

    private long build(String resource) {
        String source;
        try (InputStream in = OpenClDevice.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("OpenCL source " + resource + " is missing");
            }
            source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + resource, e);
        }
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer err = stack.mallocInt(1);
            long program = clCreateProgramWithSource(context, source, err);
            check(err.get(0), "clCreateProgramWithSource");
            int built = clBuildProgram(program, device, "", null, 0);
            if (built != CL_SUCCESS) {
                PointerBuffer size = stack.mallocPointer(1);
                clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, (java.nio.ByteBuffer) null, size);
                java.nio.ByteBuffer log = org.lwjgl.system.MemoryUtil.memAlloc((int) size.get(0));
                try {
                    clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, log, null);
                    throw new IllegalStateException("building " + resource + " failed (" + built + "): "
                            + StandardCharsets.UTF_8.decode(log));
                } finally {
                    org.lwjgl.system.MemoryUtil.memFree(log);
                }
            }
            return program;
        }
    }

    static void check(int code, String what) {
        if (code != CL_SUCCESS) {
            throw new IllegalStateException(what + " failed with OpenCL error " + code);
        }
    }

    @Override
    public synchronized void close() {
        SignalHandlers.keep(() -> {
            programs.values().forEach(p -> clReleaseProgram(p));
            programs.clear();
            clReleaseCommandQueue(queue);
            clReleaseContext(context);
            return null;
        });
    }
}
