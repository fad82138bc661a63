package io.llmpipe.protocol;

import static io.llmpipe.protocol.GenerationRequestTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SamplingParametersTest {

    @Test
    void acceptsTheEdgesOfEachRange() {
        assertEquals(0f, new SamplingParameters(0f, 0, 1f, -5L).temperature());
        assertEquals(Float.MIN_VALUE, new SamplingParameters(2f, 1, Float.MIN_VALUE, 0L).topP());
    }

    @Test
    void rejectsOutOfRangeValues() {
        assertMessage("temperature", () -> new SamplingParameters(-0.1f, 0, 1f, 0L));
        assertMessage("temperature", () -> new SamplingParameters(Float.NaN, 0, 1f, 0L));
        assertMessage("temperature", () -> new SamplingParameters(Float.POSITIVE_INFINITY, 0, 1f, 0L));
        assertMessage("topK", () -> new SamplingParameters(1f, -1, 1f, 0L));
        assertMessage("topP", () -> new SamplingParameters(1f, 0, 0f, 0L));
        assertMessage("topP", () -> new SamplingParameters(1f, 0, 1.01f, 0L));
        assertMessage("topP", () -> new SamplingParameters(1f, 0, Float.NaN, 0L));
    }
}
