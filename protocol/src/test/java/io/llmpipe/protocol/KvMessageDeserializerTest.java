package io.llmpipe.protocol;

import static io.llmpipe.protocol.GenerationRequestDeserializerTest.assertMalformed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class KvMessageDeserializerTest {

    private final KvMessageSerializer serializer = new KvMessageSerializer();
    private final KvMessageDeserializer deserializer = new KvMessageDeserializer();

    private static KvHandoffStart start() {
        KvHandoffHeader header = new KvHandoffHeader(1, "chatcmpl-\u00e9\u4e2d", "sha256:abc", 32, 8, 128,
                new KvCodecSpec(KvCodec.KIVI2, 64, 256), 700, 151_643, new SamplingParameters(0.7f, 50, 0.9f, -42L), 1,
                512, new int[] {2, 151_643, 151_645}, "gateway-3", 1_795_000_030_000L, 700);
        return new KvHandoffStart(0x1234_5678_9abc_def0L, 3_000_000L, 6, header);
    }

    private static KvChunk chunk(int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (i * 31 + 7);
        }
        return KvChunk.of("chatcmpl-42", -9L, 2, 6, 1_048_576L, ByteBuffer.wrap(bytes));
    }

    private KvMessage roundTrip(KvMessage message) {
        return deserializer.deserialize(Topics.KV, serializer.serialize(Topics.KV, message));
    }

    @Test
    void startRoundTrips() {
        assertEquals(start(), roundTrip(start()));
        KvHandoffStart plain = new KvHandoffStart(0L, 0L, 1, SampleMessages.header("r", "fp"));
        assertEquals(plain, roundTrip(plain));
    }

    @Test
    void chunksRoundTrip() {
        for (int length : new int[] {0, 1, 1000, KvChunk.MAX_PAYLOAD_BYTES}) {
            KvChunk chunk = chunk(length);
            KvChunk read = assertInstanceOf(KvChunk.class, roundTrip(chunk));
            assertEquals(chunk, read);
            assertEquals(length, read.payloadLength());
            assertTrue(read.checksumMatches());
        }
    }

    @Test
    void theLargestValuesStayBelowKafkasRecordLimit() {
        String longId = "\u4e2d".repeat(ProtocolLimits.MAX_REQUEST_ID_CHARS);
        var chunk = KvChunk.of(longId, 1L, 0, 1, 0L, ByteBuffer.allocate(KvChunk.MAX_PAYLOAD_BYTES));
        byte[] value = serializer.serialize(Topics.KV, chunk);
        int keyBytes = longId.getBytes(StandardCharsets.UTF_8).length;
        assertTrue(value.length + keyBytes < ProtocolLimits.KAFKA_DEFAULT_MAX_RECORD_BYTES - 1024, value.length + " bytes");
    }

    @Test
    void theWireFormatStartsWithMagicVersionAndKind() {
        byte[] value = serializer.serialize(Topics.KV, chunk(3));
        assertEquals(List.of((byte) 'L', (byte) 'L', (byte) 'K', (byte) 'V', (byte) 0, (byte) 1, (byte) 2),
                List.of(value[0], value[1], value[2], value[3], value[4], value[5], value[6]));
        assertEquals(1, serializer.serialize(Topics.KV, start())[6]);
    }

    @Test
    void ignoresBytesAppendedByALaterRevision() {
        for (KvMessage message : List.<KvMessage>of(start(), chunk(10))) {
            byte[] value = serializer.serialize(Topics.KV, message);
            byte[] extended = Arrays.copyOf(value, value.length + 12);
            assertEquals(message, deserializer.deserialize(Topics.KV, extended));
        }
    }

    @Test
    void rejectsEveryTruncation() {
        for (KvMessage message : List.<KvMessage>of(start(), chunk(10))) {
            byte[] value = serializer.serialize(Topics.KV, message);
            for (int length = 0; length < value.length; length++) {
                byte[] cut = Arrays.copyOf(value, length);
                var e = assertThrows(MalformedRecordException.class, () -> deserializer.deserialize(Topics.KV, cut),
                        "cut at " + length);
                assertEquals(Topics.KV, e.topic());
            }
        }
    }

    @Test
    void rejectsNullAndForeignValues() {
        assertMalformed(deserializer, Topics.KV, null, "null value");
        assertMalformed(deserializer, Topics.KV, new byte[0], "truncated");
        assertMalformed(deserializer, Topics.KV, SampleMessages.utf8("{\"schemaVersion\":1,\"requestId\":\"r\"}"), "bad magic");
    }

    @Test
    void rejectsUnknownVersionsAndKinds() {
        byte[] value = serializer.serialize(Topics.KV, chunk(4));
        assertMalformed(deserializer, Topics.KV, patched(value, 4, (byte) 0, (byte) 2), "newer");
        assertMalformed(deserializer, Topics.KV, patched(value, 4, (byte) 0xff, (byte) 0xff), "newer");
        assertMalformed(deserializer, Topics.KV, patched(value, 4, (byte) 0, (byte) 0), "unknown KV format version 0");
        assertMalformed(deserializer, Topics.KV, patched(value, 6, (byte) 9), "unknown KV message kind 9");
    }

    @Test
    void rejectsBadStringsAndOutOfRangeFields() {
        byte[] value = serializer.serialize(Topics.KV, chunk(4));
        // requestId length field at 7..10; the id "chatcmpl-42" starts at 11.
        assertMalformed(deserializer, Topics.KV, patched(value, 7, (byte) 0x7f, (byte) 0, (byte) 0, (byte) 0), "requestId length");
        assertMalformed(deserializer, Topics.KV, patched(value, 7, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff),
                "requestId length");
        assertMalformed(deserializer, Topics.KV, patched(value, 11, (byte) 0xc3, (byte) 0x28), "not valid UTF-8");
        assertMalformed(deserializer, Topics.KV, patched(value, 7, (byte) 0, (byte) 0, (byte) 0, (byte) 0), "requestId");
        // chunkIndex (after the id and the handoff id) beyond chunkCount.
        int chunkIndexAt = 7 + 4 + "chatcmpl-42".length() + 8;
        assertMalformed(deserializer, Topics.KV, patched(value, chunkIndexAt, (byte) 0, (byte) 0, (byte) 0, (byte) 6),
                "chunkIndex");

        KvHandoffStart start = start();
        byte[] startValue = serializer.serialize(Topics.KV, start);
        // layers sits after: prefix 7, id, handoffId 8, payloadLength 8, chunkCount 4, fingerprint.
        int idBytes = start.requestId().getBytes(StandardCharsets.UTF_8).length;
        int layersAt = 7 + 4 + idBytes + 8 + 8 + 4 + 4 + "sha256:abc".length();
        assertMalformed(deserializer, Topics.KV, patched(startValue, layersAt, (byte) 0, (byte) 0, (byte) 0, (byte) 0),
                "layers");
        int codecAt = layersAt + 12 + 4;
        assertMalformed(deserializer, Topics.KV, patched(startValue, codecAt, (byte) 'x'), "unknown KV codec");
    }

    @Test
    void serializerRefusesNull() {
        assertThrows(SerializationException.class, () -> serializer.serialize(Topics.KV, null));
    }

    @Test
    void aChunkAliasesTheRecordValueInsteadOfCopyingIt() {
        byte[] value = serializer.serialize(Topics.KV, chunk(8));
        KvChunk read = (KvChunk) deserializer.deserialize(Topics.KV, value);
        value[value.length - 1] ^= 1;
        assertTrue(!read.checksumMatches(), "the payload is a view of the value array");
        assertTrue(read.payload().isReadOnly());
    }

    private static byte[] patched(byte[] value, int at, byte... bytes) {
        byte[] copy = value.clone();
        System.arraycopy(bytes, 0, copy, at, bytes.length);
        return copy;
    }

    @Test
    void randomCorruptionsFailCleanly() {
        SampleMessages.assertCorruptionsFailCleanly(deserializer, Topics.KV, serializer.serialize(Topics.KV, start()), 5L);
        SampleMessages.assertCorruptionsFailCleanly(deserializer, Topics.KV, serializer.serialize(Topics.KV, chunk(40)), 6L);
    }
}
