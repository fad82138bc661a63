package io.llmpipe.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KvHandoffSplitterTest {

    private static final KvHandoffHeader HEADER = SampleMessages.header("chatcmpl-42", "fp-1");

    static byte[] payload(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    @Test
    void anEmptyPayloadIsOneEmptyChunk() {
        List<KvMessage> messages = new KvHandoffSplitter().split(HEADER, ByteBuffer.allocate(0), 5L);
        assertEquals(2, messages.size());
        KvHandoffStart start = assertInstanceOf(KvHandoffStart.class, messages.get(0));
        assertEquals(new KvHandoffStart(5L, 0L, 1, HEADER), start);
        KvChunk chunk = assertInstanceOf(KvChunk.class, messages.get(1));
        assertEquals(0, chunk.payloadLength());
        assertTrue(chunk.checksumMatches());
    }

    @Test
    void chunkBoundariesFallOnTheChunkSize() {
        var splitter = new KvHandoffSplitter(100);
        assertEquals(1, splitter.chunkCount(0));
        assertEquals(1, splitter.chunkCount(1));
        assertEquals(1, splitter.chunkCount(100));
        assertEquals(2, splitter.chunkCount(101));
        assertEquals(3, splitter.chunkCount(300));
        List<KvMessage> messages = splitter.split(HEADER, ByteBuffer.wrap(payload(250, 1)));
        assertEquals(4, messages.size());
        long handoffId = messages.get(0).handoffId();
        int[] lengths = {100, 100, 50};
        for (int i = 0; i < 3; i++) {
            KvChunk chunk = (KvChunk) messages.get(i + 1);
            assertEquals(i, chunk.chunkIndex());
            assertEquals(3, chunk.chunkCount());
            assertEquals(100L * i, chunk.payloadOffset());
            assertEquals(lengths[i], chunk.payloadLength());
            assertEquals(handoffId, chunk.handoffId());
            assertEquals(HEADER.requestId(), chunk.requestId());
            assertTrue(chunk.checksumMatches());
        }
    }

    @Test
    void layerAlignedChunksNeverCrossALayerAndReassemble() {
        var splitter = new KvHandoffSplitter(100);
        byte[] bytes = payload(3 * 130, 7); // three layers of 130 bytes
        List<KvMessage> messages = splitter.split(HEADER, ByteBuffer.wrap(bytes), 9L, 130);
        int[] offsets = {0, 100, 130, 230, 260, 360};
        int[] lengths = {100, 30, 100, 30, 100, 30};
        assertEquals(offsets.length + 1, messages.size());
        assertEquals(offsets.length, ((KvHandoffStart) messages.get(0)).chunkCount());
        var assembler = new KvHandoffAssembler(HEADER.modelFingerprint());
        java.util.Optional<KvHandoff> done = java.util.Optional.empty();
        for (int i = 0; i < messages.size(); i++) {
            if (i > 0) {
                KvChunk chunk = (KvChunk) messages.get(i);
                assertEquals(offsets[i - 1], chunk.payloadOffset());
                assertEquals(lengths[i - 1], chunk.payloadLength());
            }
            done = assembler.accept(messages.get(i));
        }
        assertEquals(ByteBuffer.wrap(bytes), done.orElseThrow().payload());
        assertThrows(IllegalArgumentException.class, () -> splitter.split(HEADER, ByteBuffer.wrap(bytes), 9L, 0));
    }

    @Test
    void everySerializedValueOfAFiveMegabyteHandoffIsBelowOneMebibyte() {
        byte[] bytes = payload(5_000_000, 2);
        List<KvMessage> messages = new KvHandoffSplitter().split(HEADER, ByteBuffer.wrap(bytes));
        assertEquals(1 + 10, messages.size(), "5,000,000 bytes in 512 KiB chunks");
        var serializer = new KvMessageSerializer();
        for (KvMessage message : messages) {
            assertTrue(serializer.serialize(Topics.KV, message).length < ProtocolLimits.KAFKA_DEFAULT_MAX_RECORD_BYTES);
        }
        var largest = new KvHandoffSplitter(KvChunk.MAX_PAYLOAD_BYTES).split(HEADER, ByteBuffer.wrap(bytes));
        for (KvMessage message : largest) {
            assertTrue(serializer.serialize(Topics.KV, message).length < ProtocolLimits.KAFKA_DEFAULT_MAX_RECORD_BYTES);
        }
    }

    @Test
    void chunksAreViewsOfThePayloadAndLeaveItsPositionAlone() {
        byte[] bytes = payload(300, 3);
        ByteBuffer source = ByteBuffer.wrap(bytes, 10, 250); // position 10, limit 260
        List<KvMessage> messages = new KvHandoffSplitter(100).split(HEADER, source);
        assertEquals(10, source.position());
        assertEquals(260, source.limit());
        KvChunk first = (KvChunk) messages.get(1);
        assertEquals(bytes[10], first.payload().get(0));
        assertEquals(250L, ((KvHandoffStart) messages.get(0)).payloadLength());
        bytes[10] ^= 1;
        assertTrue(!first.checksumMatches(), "a chunk is a view, not a copy");
    }

    @Test
    void eachSplitGetsItsOwnHandoffId() {
        var splitter = new KvHandoffSplitter();
        assertNotEquals(splitter.split(HEADER, new byte[0]).get(0).handoffId(),
                splitter.split(HEADER, new byte[0]).get(0).handoffId());
    }

    @Test
    void rejectsChunkSizesKafkaWouldRefuse() {
        assertThrows(IllegalArgumentException.class, () -> new KvHandoffSplitter(0));
        assertThrows(IllegalArgumentException.class, () -> new KvHandoffSplitter(KvChunk.MAX_PAYLOAD_BYTES + 1));
        assertThrows(IllegalArgumentException.class,
                () -> KvChunk.of("r", 1L, 0, 1, 0L, ByteBuffer.allocate(KvChunk.MAX_PAYLOAD_BYTES + 1)));
    }
}
