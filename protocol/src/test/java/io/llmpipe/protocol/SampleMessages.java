package io.llmpipe.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.common.serialization.Deserializer;

/** Valid messages for the tests, one of each kind. */
final class SampleMessages {

    static final long CREATED_AT = 1_795_000_000_000L;

    /** Bytes that make JSON look almost right, for inserting into values. */
    private static final String JSON_NOISE = "{}[]\",:-0123456789e.n";

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

    /**
     * Feeds {@code deserializer} thousands of random corruptions of {@code valid} (flipped, overwritten,
     * inserted and removed bytes): each must come back as a record or as a {@link MalformedRecordException},
     * never as another exception.
     */
    static void assertCorruptionsFailCleanly(Deserializer<?> deserializer, String topic, byte[] valid, long seed) {
        var random = new Random(seed);
        for (int round = 0; round < 5000; round++) {
            byte[] value = corrupt(valid, random);
            try {
                deserializer.deserialize(topic, value);
            } catch (MalformedRecordException expected) {
                // the documented outcome
            } catch (RuntimeException e) {
                throw new AssertionError("round " + round + ": " + e + " for " + Arrays.toString(value), e);
            }
        }
    }

    private static byte[] corrupt(byte[] valid, Random random) {
        byte[] value = valid.clone();
        int edits = 1 + random.nextInt(3);
        for (int e = 0; e < edits && value.length > 0; e++) {
            int at = random.nextInt(value.length);
            switch (random.nextInt(4)) {
                case 0 -> value[at] ^= (byte) (1 << random.nextInt(8));
                case 1 -> value[at] = (byte) random.nextInt(256);
                case 2 -> {
                    byte[] longer = new byte[value.length + 1];
                    System.arraycopy(value, 0, longer, 0, at);
                    longer[at] = (byte) JSON_NOISE.charAt(random.nextInt(JSON_NOISE.length()));
                    System.arraycopy(value, at, longer, at + 1, value.length - at);
                    value = longer;
                }
                default -> value = Arrays.copyOfRange(value, 0, at);
            }
        }
        return value;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
