package io.llmpipe.protocol;

/**
 * A KV handoff that cannot be completed. When {@link KvHandoffAssembler} throws one it holds nothing
 * more of that request; decode should answer the gateway with an error {@link TokenEvent}
 * ({@link ErrorInfo#KV_HANDOFF_FAILED}, or {@link ErrorInfo#MODEL_NOT_FOUND} for
 * {@link Code#MODEL_MISMATCH}), since the same records would fail again. Immutable.
 */
public final class KvHandoffException extends RuntimeException {

    /** What went wrong. */
    public enum Code {
        /** A chunk's bytes do not match its CRC32C. */
        CHECKSUM_MISMATCH,
        /**
         * A chunk came after a gap (Kafka keeps a partition's order, so the gap is a loss), or the
         * handoff stayed incomplete longer than allowed.
         */
        MISSING_CHUNK,
        /** A chunk's count, offset or length disagrees with its handoff's start. */
        CHUNK_MISMATCH,
        /** The cache was computed with other model weights than this decode instance holds. */
        MODEL_MISMATCH,
        /** A re-delivered start or chunk differs from the copy received first. */
        DUPLICATE_CONFLICT,
        /** The payload is larger than this assembler accepts. */
        PAYLOAD_TOO_LARGE
    }

    private final Code code;
    private final String requestId;

    public KvHandoffException(Code code, String requestId, String detail) {
        super(code + " in KV handoff of " + requestId + ": " + detail);
        this.code = code;
        this.requestId = requestId;
    }

    public Code code() {
        return code;
    }

    /** The request whose handoff failed. */
    public String requestId() {
        return requestId;
    }
}
