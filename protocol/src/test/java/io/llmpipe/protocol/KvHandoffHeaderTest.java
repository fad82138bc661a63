package io.llmpipe.protocol;

import static io.llmpipe.protocol.GenerationRequestTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class KvHandoffHeaderTest {

    private static KvHandoffHeader header(int positions, int firstTokenId, int sampledTokens, int maxTokens) {
        return new KvHandoffHeader(1, "r", "fp", 2, 2, 4, KvCodecSpec.FP32, positions, firstTokenId,
                SamplingParameters.GREEDY, sampledTokens, maxTokens, new int[0], "g", 0L, 4);
    }

    @Test
    void afterPrefillCarriesWhatDecodeNeedsFromTheRequest() {
        GenerationRequest request = SampleMessages.request();
        KvHandoffHeader header = KvHandoffHeader.afterPrefill(request, "sha256:1", 5, 4, 8, 312);
        assertEquals(request.requestId(), header.requestId());
        assertEquals(request.sampling(), header.sampling());
        assertEquals(request.maxTokens(), header.maxTokens());
        assertArrayEquals(request.stopTokenIds(), header.stopTokenIds());
        assertEquals(request.replyTo(), header.replyTo());
        assertEquals(request.deadlineEpochMillis(), header.deadlineEpochMillis());
        assertEquals(request.kvCodec(), header.codec());
        assertEquals(4, header.promptTokenCount());
        assertEquals(4, header.positions());
        assertEquals(1, header.sampledTokens());
        assertEquals(312, header.firstTokenId());
        assertEquals(32, header.kvDim());
    }

    @Test
    void rejectsOutOfRangeFields() {
        assertMessage("positions", () -> header(0, 1, 1, 8));
        assertMessage("firstTokenId", () -> header(4, -1, 1, 8));
        assertMessage("sampledTokens", () -> header(4, 1, 0, 8));
        assertMessage("maxTokens", () -> header(4, 1, 3, 2));
        assertMessage("layers", () -> new KvHandoffHeader(1, "r", "fp", 0, 2, 4, KvCodecSpec.FP32, 4, 1,
                SamplingParameters.GREEDY, 1, 8, new int[0], "g", 0L, 4));
        assertMessage("modelFingerprint", () -> new KvHandoffHeader(1, "r", "", 2, 2, 4, KvCodecSpec.FP32, 4, 1,
                SamplingParameters.GREEDY, 1, 8, new int[0], "g", 0L, 4));
    }

    @Test
    void theStartBoundsChunkCountByPayloadLength() {
        KvHandoffHeader header = header(4, 1, 1, 8);
        assertEquals(1, new KvHandoffStart(1L, 0L, 1, header).chunkCount());
        assertMessage("chunkCount", () -> new KvHandoffStart(1L, 0L, 2, header));
        assertMessage("chunkCount", () -> new KvHandoffStart(1L, 3L, 4, header));
        assertMessage("payloadLength", () -> new KvHandoffStart(1L, -1L, 1, header));
    }
}
