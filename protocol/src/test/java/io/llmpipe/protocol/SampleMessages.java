package io.llmpipe.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Valid messages for the tests, one of each kind. */
final class SampleMessages {

    static final long CREATED_AT = 1_795_000_000_000L;

    private SampleMessages() {
    }

    static GenerationRequest request() {
        return new GenerationRequest(GenerationRequest.SCHEMA_VERSION, "chatcmpl-42", "stories260K",
                new int[] {1, 403, 9, 77}, new SamplingParameters(0.8f, 40, 0.95f, 7L), 128, new int[] {2},
                new AttentionSpec(AttentionMode.FLEXPREFILL, Map.of("gamma", 0.9, "tau", 0.1)),
                KvCodecSpec.of(KvCodec.KIVI4), "gateway-0", CREATED_AT + 30_000, CREATED_AT);
    }

    static KvHandoffHeader header(String requestId, String modelFingerprint) {
        return new KvHandoffHeader(KvHandoffHeader.SCHEMA_VERSION, requestId, modelFingerprint, 5, 4, 8,
                KvCodecSpec.FP32, 4, 312, new SamplingParameters(0.8f, 40, 0.95f, 7L), 1, 128, new int[] {2},
                "gateway-0", CREATED_AT + 30_000, 4);
    }

    /** {@code json} with {@code original} replaced; fails if {@code original} does not occur, so no case tests nothing. */
    static byte[] edit(String json, String original, String replacement) {
        if (!json.contains(original)) {
            throw new AssertionError("'" + original + "' does not occur in " + json);
        }
        return utf8(json.replace(original, replacement == null ? "" : replacement));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
