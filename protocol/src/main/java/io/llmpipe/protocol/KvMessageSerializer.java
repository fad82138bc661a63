package io.llmpipe.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka value serializer for {@link Topics#KV}: a {@link KvMessage} in the binary KV wire format.
 * Big-endian throughout (as {@code DataOutputStream} writes), strings as a 4-byte length and UTF-8:
 * <pre>
 * value   := magic:i32 = 0x4C4C4B56 ("LLKV")  version:u16 = 1  kind:u8  body
 * kind 1, KvHandoffStart:
 *   requestId:str handoffId:i64 payloadLength:i64 chunkCount:i32
 *   modelFingerprint:str layers:i32 kvHeads:i32 headSize:i32
 *   codec:str groupSize:i32 residualLength:i32
 *   positions:i32 firstTokenId:i32 sampledTokens:i32
 *   temperature:f32 topK:i32 topP:f32 seed:i64
 *   maxTokens:i32 stopCount:i32 stopTokenIds:i32[stopCount]
 *   replyTo:str deadlineEpochMillis:i64 promptTokenCount:i32
 * kind 2, KvChunk:
 *   requestId:str handoffId:i64 chunkIndex:i32 chunkCount:i32 payloadOffset:i64
 *   crc32c:i32 payloadLength:i32 payload:u8[payloadLength]
 * </pre>
 * The version is the major version: a reader rejects a newer one. A compatible revision appends
 * fields to a body and keeps the version; readers ignore bytes after the fields they know.
 *
 * <p>Each value is built in one array of its exact size. Stateless and thread-safe.
 */
public final class KvMessageSerializer implements Serializer<KvMessage> {

    /** "LLKV": tells a KV record from anything else on the topic. */
    static final int MAGIC = 0x4C4C4B56;
    /** The format's major version; equals {@link KvHandoffHeader#SCHEMA_VERSION}. */
    static final int VERSION = KvHandoffHeader.SCHEMA_VERSION;
    static final byte KIND_START = 1;
    static final byte KIND_CHUNK = 2;
    /** magic, version and kind. */
    static final int PREFIX_BYTES = Integer.BYTES + Short.BYTES + Byte.BYTES;

    @Override
    public byte[] serialize(String topic, KvMessage message) {
        if (message == null) {
            throw new SerializationException("null message for " + topic + "; these topics carry no tombstones");
        }
        return switch (message) {
            case KvHandoffStart start -> start(start);
            case KvChunk chunk -> chunk(chunk);
        };
    }

    private static byte[] start(KvHandoffStart start) {
        KvHandoffHeader h = start.header();
        byte[] requestId = utf8(h.requestId());
        byte[] fingerprint = utf8(h.modelFingerprint());
        byte[] codec = utf8(h.codec().codec().wireName());
        byte[] replyTo = utf8(h.replyTo());
        int[] stops = h.stopTokenIds();
        int size = PREFIX_BYTES + stringBytes(requestId) + 8 + 8 + 4
                + stringBytes(fingerprint) + 3 * 4
                + stringBytes(codec) + 2 * 4
                + 3 * 4
                + 4 + 4 + 4 + 8
                + 4 + 4 + 4 * stops.length
                + stringBytes(replyTo) + 8 + 4;
        ByteBuffer out = prefix(size, KIND_START);
        putString(out, requestId);
        out.putLong(start.handoffId()).putLong(start.payloadLength()).putInt(start.chunkCount());
        putString(out, fingerprint);
        out.putInt(h.layers()).putInt(h.kvHeads()).putInt(h.headSize());
        putString(out, codec);
        out.putInt(h.codec().groupSize()).putInt(h.codec().residualLength());
        out.putInt(h.positions()).putInt(h.firstTokenId()).putInt(h.sampledTokens());
        SamplingParameters s = h.sampling();
        out.putFloat(s.temperature()).putInt(s.topK()).putFloat(s.topP()).putLong(s.seed());
        out.putInt(h.maxTokens()).putInt(stops.length);
        for (int stop : stops) {
            out.putInt(stop);
        }
        putString(out, replyTo);
        out.putLong(h.deadlineEpochMillis()).putInt(h.promptTokenCount());
        return finish(out);
    }

    private static byte[] chunk(KvChunk chunk) {
        byte[] requestId = utf8(chunk.requestId());
        int size = PREFIX_BYTES + stringBytes(requestId) + 8 + 4 + 4 + 8 + 4 + 4 + chunk.payloadLength();
        ByteBuffer out = prefix(size, KIND_CHUNK);
        putString(out, requestId);
        out.putLong(chunk.handoffId()).putInt(chunk.chunkIndex()).putInt(chunk.chunkCount())
                .putLong(chunk.payloadOffset()).putInt(chunk.crc32c()).putInt(chunk.payloadLength())
                .put(chunk.payload());
        return finish(out);
    }

    private static ByteBuffer prefix(int size, byte kind) {
        return ByteBuffer.allocate(size).putInt(MAGIC).putShort((short) VERSION).put(kind);
    }

    private static byte[] finish(ByteBuffer out) {
        if (out.hasRemaining()) {
            throw new IllegalStateException("KV value size miscomputed: " + out.remaining() + " bytes left");
        }
        return out.array();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static int stringBytes(byte[] utf8) {
        return Integer.BYTES + utf8.length;
    }

    private static void putString(ByteBuffer out, byte[] utf8) {
        out.putInt(utf8.length).put(utf8);
    }
}
