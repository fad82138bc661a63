package io.llmpipe.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class GenerationRequestTest {

    private static final SamplingParameters SAMPLING = new SamplingParameters(0.8f, 40, 0.95f, 7L);

    private static GenerationRequest request(String requestId, int[] prompt, int maxTokens, int[] stops) {
        return new GenerationRequest(GenerationRequest.SCHEMA_VERSION, requestId, "m", prompt, SAMPLING, maxTokens,
                stops, null, null, "gateway-0", 0L, 1L);
    }

    @Test
    void absentOptionalFieldsTakeTheirDefaults() {
        GenerationRequest r = request("r1", new int[] {1}, 8, null);
        assertEquals(AttentionSpec.DENSE, r.attention());
        assertEquals(KvCodecSpec.FP32, r.kvCodec());
        assertArrayEquals(new int[0], r.stopTokenIds());
        assertEquals(GenerationRequest.NO_DEADLINE, r.deadlineEpochMillis());
        assertFalse(r.expiredAt(Long.MAX_VALUE), "no deadline never expires");
    }

    @Test
    void arraysAreCopiedInAndOut() {
        int[] prompt = {1, 2, 3};
        GenerationRequest r = request("r1", prompt, 8, null);
        prompt[0] = 99;
        assertEquals(1, r.promptTokenIds()[0]);
        r.promptTokenIds()[1] = 99;
        assertEquals(2, r.promptTokenIds()[1]);
        assertEquals(3, r.promptTokenCount());
    }

    @Test
    void equalityComparesArrayContents() {
        assertEquals(SampleMessages.request(), SampleMessages.request());
        assertEquals(SampleMessages.request().hashCode(), SampleMessages.request().hashCode());
    }

    @Test
    void toStringAbbreviatesLongPrompts() {
        GenerationRequest r = request("r1", new int[1000], 8, null);
        assertTrue(r.toString().contains("[1000 ids]"), r.toString());
    }

    @Test
    void rejectsOutOfRangeFieldsWithTheFieldName() {
        assertMessage("requestId", () -> request("", new int[] {1}, 8, null));
        assertMessage("requestId", () -> request(null, new int[] {1}, 8, null));
        assertMessage("requestId", () -> request("x".repeat(ProtocolLimits.MAX_REQUEST_ID_CHARS + 1), new int[] {1}, 8, null));
        assertMessage("promptTokenIds", () -> request("r", new int[0], 8, null));
        assertMessage("promptTokenIds[1]", () -> request("r", new int[] {1, -1}, 8, null));
        assertMessage("promptTokenIds", () -> request("r", new int[ProtocolLimits.MAX_PROMPT_TOKENS + 1], 8, null));
        assertMessage("maxTokens", () -> request("r", new int[] {1}, -1, null));
        assertMessage("stopTokenIds[0]", () -> request("r", new int[] {1}, 8, new int[] {-2}));
        assertMessage("deadlineEpochMillis", () -> new GenerationRequest(1, "r", "m", new int[] {1}, SAMPLING, 8,
                null, null, null, "g", -1L, 1L));
        assertMessage("replyTo", () -> new GenerationRequest(1, "r", "m", new int[] {1}, SAMPLING, 8,
                null, null, null, " ", 0L, 1L));
        assertMessage("schemaVersion", () -> new GenerationRequest(2, "r", "m", new int[] {1}, SAMPLING, 8,
                null, null, null, "g", 0L, 1L));
        assertMessage("sampling", () -> new GenerationRequest(1, "r", "m", new int[] {1}, null, 8,
                null, null, null, "g", 0L, 1L));
    }

    @Test
    void maxTokensMayBeZero() {
        assertEquals(0, request("r", new int[] {1}, 0, null).maxTokens());
    }

    @Test
    void deadlineExpiresAtItsInstant() {
        GenerationRequest r = new GenerationRequest(1, "r", "m", new int[] {1}, SAMPLING, 8, null, null, null,
                "g", 1000L, 1L);
        assertFalse(r.expiredAt(999L));
        assertTrue(r.expiredAt(1000L));
    }

    @Test
    void attentionParametersMustBeFinite() {
        assertMessage("gamma", () -> new AttentionSpec(AttentionMode.FLEXPREFILL, Map.of("gamma", Double.NaN)));
        assertEquals(Map.of("gamma", 0.9), new AttentionSpec(AttentionMode.FLEXPREFILL, Map.of("gamma", 0.9)).parameters());
    }

    static void assertMessage(String expectedFragment, Runnable construction) {
        var e = assertThrows(IllegalArgumentException.class, construction::run);
        assertTrue(e.getMessage().contains(expectedFragment), "'" + e.getMessage() + "' should name " + expectedFragment);
    }
}
