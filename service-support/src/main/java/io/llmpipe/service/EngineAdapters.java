package io.llmpipe.service;

import io.llmpipe.engine.kv.KvCodec;
import io.llmpipe.engine.sampling.Sampler;
import io.llmpipe.engine.sampling.SamplingParams;
import io.llmpipe.protocol.KvCodecSpec;
import io.llmpipe.protocol.SamplingParameters;
import java.util.Optional;

/** Turns the wire contracts' settings into the engine's objects, the same way in every service. */
public final class EngineAdapters {
    private EngineAdapters() {
    }

    /** A request's seeded sampler: step i draws the same random number in prefill and in decode. */
    public static Sampler sampler(SamplingParameters s) {
        return new Sampler(new SamplingParams(s.temperature(), s.topK(), s.topP(), s.seed()));
    }

    /** The engine codec of an uncompressed handoff; empty for codecs the engine cannot yet write or read. */
    public static Optional<KvCodec> kvCodec(KvCodecSpec spec) {
        return switch (spec.codec()) {
            case FP32 -> Optional.of(KvCodec.FP32);
            case FP16 -> Optional.of(KvCodec.FP16);
            default -> Optional.empty();
        };
    }
}
