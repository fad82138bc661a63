package io.llmpipe.protocol;

import static io.llmpipe.protocol.GenerationRequestTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TokenEventTest {

    private static final Usage USAGE = new Usage(4, 10);
    private static final ErrorInfo ERROR = new ErrorInfo(ErrorInfo.INTERNAL, "boom");

    @Test
    void factoriesBuildTheThreeShapes() {
        TokenEvent first = TokenEvent.token("r", 0, 312, "Once", PipelineStage.PREFILL);
        assertFalse(first.finished());
        TokenEvent last = TokenEvent.last("r", 9, 2, "", FinishReason.STOP, USAGE, PipelineStage.DECODE);
        assertTrue(last.finished());
        assertEquals(14, last.usage().totalTokens());
        TokenEvent failed = TokenEvent.failure("r", 0, ERROR, null, PipelineStage.PREFILL);
        assertEquals(TokenEvent.NO_TOKEN, failed.tokenId());
        assertEquals(FinishReason.ERROR, failed.finishReason());
    }

    @Test
    void prefillProducesSequenceZeroAndDecodeTheRest() {
        assertMessage("prefill event has sequence 0", () -> TokenEvent.token("r", 1, 5, "", PipelineStage.PREFILL));
        assertMessage("decode event has sequence >= 1", () -> TokenEvent.token("r", 0, 5, "", PipelineStage.DECODE));
        assertMessage("sequence", () -> TokenEvent.token("r", -1, 5, "", PipelineStage.DECODE));
    }

    @Test
    void finalFieldsGoOnlyOnFinalEvents() {
        assertMessage("must carry a tokenId", () -> TokenEvent.token("r", 1, TokenEvent.NO_TOKEN, "", PipelineStage.DECODE));
        assertMessage("usage belongs on the final event",
                () -> new TokenEvent(1, "r", 1, 5, "", null, USAGE, null, PipelineStage.DECODE, null));
        assertMessage("needs usage", () -> TokenEvent.last("r", 1, 5, "", FinishReason.LENGTH, null, PipelineStage.DECODE));
        assertMessage("error is set exactly when",
                () -> new TokenEvent(1, "r", 1, 5, "", FinishReason.STOP, USAGE, ERROR, PipelineStage.DECODE, null));
        assertMessage("error is set exactly when",
                () -> new TokenEvent(1, "r", 1, TokenEvent.NO_TOKEN, "", FinishReason.ERROR, null, null, PipelineStage.DECODE, null));
        // A cancelled request may end without a token.
        assertEquals(TokenEvent.NO_TOKEN,
                TokenEvent.last("r", 3, TokenEvent.NO_TOKEN, "", FinishReason.CANCELLED, USAGE, PipelineStage.DECODE).tokenId());
    }

    @Test
    void absentTextIsEmpty() {
        assertEquals("", TokenEvent.token("r", 1, 5, null, PipelineStage.DECODE).text());
    }

    @Test
    void rejectsOutOfRangeFields() {
        assertMessage("tokenId", () -> TokenEvent.token("r", 1, -2, "", PipelineStage.DECODE));
        assertMessage("requestId", () -> TokenEvent.token(" ", 1, 5, "", PipelineStage.DECODE));
        assertMessage("stage", () -> TokenEvent.token("r", 1, 5, "", null));
        assertMessage("text", () -> TokenEvent.token("r", 1, 5, "x".repeat(ProtocolLimits.MAX_TEXT_CHARS + 1), PipelineStage.DECODE));
        assertMessage("completionTokens", () -> new Usage(1, -1));
        assertMessage("error code", () -> new ErrorInfo("", "m"));
    }

    @org.junit.jupiter.api.Test
    void prefillReportOnlyOnPrefillEvents() throws Exception {
        TokenEvent first = TokenEvent.token("r", 0, 5, "a", PipelineStage.PREFILL).withPrefill(new PrefillReport("flexprefill", 0.25));
        byte[] json = new TokenEventSerializer().serialize("llm.tokens", first);
        assertEquals(first, new TokenEventDeserializer().deserialize("llm.tokens", json));
        assertMessage("only a prefill event", () -> TokenEvent.token("r", 1, 5, "a", PipelineStage.DECODE)
                .withPrefill(new PrefillReport("dense", 1.0)));
        assertMessage("density must be in", () -> new PrefillReport("dense", 1.5));
    }
}
