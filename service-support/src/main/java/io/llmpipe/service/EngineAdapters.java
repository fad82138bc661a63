package io.llmpipe.service;

import io.llmpipe.engine.kv.KiviCodec;
import io.llmpipe.engine.kv.KvCodec;
import io.llmpipe.engine.sampling.Sampler;
import io.llmpipe.engine.sampling.SamplingParams;
import io.llmpipe.protocol.KvCodecSpec;
import io.llmpipe.protocol.SamplingParameters;

/** Turns the wire contracts' settings into the engine's objects, the same way in every service. */
public final class EngineAdapters {
    private EngineAdapters() {
    }

    /** A request's seeded sampler: step i draws the same random number in prefill and in decode. */
    public static Sampler sampler(SamplingParameters s) {
        return new Sampler(new SamplingParams(s.temperature(), s.topK(), s.topP(), s.seed()));
    }

    /**
     * The engine codec of a handoff's spec.
     *
     * @throws IllegalArgumentException for KIVI parameters the codec refuses (the message says why)
     */
    public static KvCodec kvCodec(KvCodecSpec spec) {
        return switch (spec.codec()) {
            case FP32 -> KvCodec.FP32;
            case FP16 -> KvCodec.FP16;
            case KIVI4 -> new KiviCodec(4, spec.groupSize(), spec.residualLength());
            case KIVI2 -> new KiviCodec(2, spec.groupSize(), spec.residualLength());
        };
    }
}
