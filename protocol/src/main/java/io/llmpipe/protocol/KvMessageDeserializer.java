package io.llmpipe.protocol;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Kafka value deserializer for {@link Topics#KV}: reads the binary format described at
 * {@link KvMessageSerializer}. Throws {@link MalformedRecordException} for a null or truncated value, a
 * bad magic number, a newer major version, an unknown kind, invalid UTF-8 or out-of-range fields. It
 * does not verify chunk checksums: {@link KvHandoffAssembler} does, so a corrupt chunk fails its
 * request with {@link KvHandoffException.Code#CHECKSUM_MISMATCH} instead of vanishing into the
 * dead-letter topic.
 *
 * <p>A chunk's payload is a view of the record's value array, not a copy. Stateless and thread-safe.
 */
public final class KvMessageDeserializer implements Deserializer<KvMessage> {

    /** Longest string field accepted, in UTF-8 bytes (up to 4 per char of the longest field). */
    private static final int MAX_STRING_BYTES = 4 * ProtocolLimits.MAX_NAME_CHARS;

    @Override
    public KvMessage deserialize(String topic, byte[] data) {
        String source = topic == null ? Topics.KV : topic;
        if (data == null) {
            throw new MalformedRecordException(source, "null value (these topics carry no tombstones)");
        }
        ByteBuffer in = ByteBuffer.wrap(data);
        try {
            int magic = in.getInt();
            if (magic != KvMessageSerializer.MAGIC) {
                throw new MalformedRecordException(source, "bad magic 0x" + Integer.toHexString(magic) + ", not a KV record");
            }
            int version = Short.toUnsignedInt(in.getShort());
            if (version > KvMessageSerializer.VERSION) {
                throw new MalformedRecordException(source, "KV format version " + version
                        + " is newer than this reader's " + KvMessageSerializer.VERSION);
            }
            if (version < 1) {
                throw new MalformedRecordException(source, "unknown KV format version " + version);
            }
            byte kind = in.get();
            return switch (kind) {
                case KvMessageSerializer.KIND_START -> start(in, version);
                case KvMessageSerializer.KIND_CHUNK -> chunk(in);
                default -> throw new MalformedRecordException(source, "unknown KV message kind " + kind);
            };
        } catch (BufferUnderflowException e) {
            throw new MalformedRecordException(source, "truncated after " + in.position() + " of " + data.length + " bytes", e);
        } catch (IllegalArgumentException e) {
            throw new MalformedRecordException(source, e.getMessage(), e);
        }
    }

    private static KvHandoffStart start(ByteBuffer in, int version) {
        String requestId = string(in, "requestId");
        long handoffId = in.getLong();
        long payloadLength = in.getLong();
        int chunkCount = in.getInt();
        String fingerprint = string(in, "modelFingerprint");
        int layers = in.getInt();
        int kvHeads = in.getInt();
        int headSize = in.getInt();
        KvCodec codec = KvCodec.fromWireName(string(in, "codec"));
        var codecSpec = new KvCodecSpec(codec, in.getInt(), in.getInt());
        int positions = in.getInt();
        int firstTokenId = in.getInt();
        int sampledTokens = in.getInt();
        var sampling = new SamplingParameters(in.getFloat(), in.getInt(), in.getFloat(), in.getLong());
        int maxTokens = in.getInt();
        int stopCount = in.getInt();
        if (stopCount < 0 || stopCount > ProtocolLimits.MAX_STOP_TOKEN_IDS) {
            throw new IllegalArgumentException("stopTokenIds count " + stopCount + " out of range");
        }
        int[] stops = new int[stopCount];
        for (int i = 0; i < stopCount; i++) {
            stops[i] = in.getInt();
        }
        String replyTo = string(in, "replyTo");
        long deadline = in.getLong();
        int promptTokenCount = in.getInt();
        var header = new KvHandoffHeader(version, requestId, fingerprint, layers, kvHeads, headSize, codecSpec, positions,
                firstTokenId, sampling, sampledTokens, maxTokens, stops, replyTo, deadline, promptTokenCount);
        return new KvHandoffStart(handoffId, payloadLength, chunkCount, header);
    }

    private static KvChunk chunk(ByteBuffer in) {
        String requestId = string(in, "requestId");
        long handoffId = in.getLong();
        int chunkIndex = in.getInt();
        int chunkCount = in.getInt();
        long payloadOffset = in.getLong();
        int crc32c = in.getInt();
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) {
            throw new BufferUnderflowException();
        }
        ByteBuffer payload = in.slice(in.position(), length);
        in.position(in.position() + length);
        return new KvChunk(requestId, handoffId, chunkIndex, chunkCount, payloadOffset, payload, crc32c);
    }

    private static String string(ByteBuffer in, String field) {
        int length = in.getInt();
        if (length < 0 || length > MAX_STRING_BYTES) {
            throw new IllegalArgumentException(field + " length " + length + " out of range");
        }
        if (length > in.remaining()) {
            throw new BufferUnderflowException();
        }
        ByteBuffer bytes = in.slice(in.position(), length);
        in.position(in.position() + length);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes)
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(field + " is not valid UTF-8", e);
        }
    }
}
