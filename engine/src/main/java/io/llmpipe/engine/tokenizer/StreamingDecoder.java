package io.llmpipe.engine.tokenizer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns generated token ids, fed one at a time, into text that can be sent at once (SSE
 * streaming). Each token's bytes come from {@link Tokenizer#decodeBytes}, so byte-fallback and
 * byte-level pieces join into whole characters and SentencePiece's first piece after BOS loses its
 * leading space, as in run.c. A UTF-8 character whose bytes are still incomplete is held back until
 * the rest arrives; bytes that can never become a character come out as U+FFFD. The texts returned
 * by {@link #accept} and {@link #finish}, concatenated, equal {@code tokenizer.decode(allIds)}.
 *
 * <p>Not thread-safe: one decoder per generated sequence. It holds at most three pending bytes
 * between calls.
 */
public final class StreamingDecoder {
    private final Tokenizer tokenizer;
    /** Java's own UTF-8 decoder, so that the pieces split characters exactly as {@code new String(bytes, UTF_8)} does. */
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    /** Bytes not yet turned into text, in write mode between calls. */
    private ByteBuffer pending = ByteBuffer.allocate(64);
    private int previousId;

    /** A decoder for a sequence starting fresh (no token before the first one fed). */
    public StreamingDecoder(Tokenizer tokenizer) {
        this(tokenizer, -1);
    }

    /**
     * A decoder for tokens that follow {@code previousId}, e.g. the last prompt token, so that the
     * first generated piece is decoded in its context (after BOS it loses its leading space).
     */
    public StreamingDecoder(Tokenizer tokenizer, int previousId) {
        this.tokenizer = tokenizer;
        this.previousId = previousId;
    }

    /** Adds one token and returns the text completed by it, possibly "". */
    public String accept(int id) {
        byte[] bytes = tokenizer.decodeBytes(previousId, id);
        previousId = id;
        ensureRoom(bytes.length);
        pending.put(bytes).flip();
        String text = decodePending(false);
        pending.compact();
        return text;
    }

    /** Ends the sequence: returns any held-back bytes (an unfinished character, as U+FFFD) and resets. */
    public String finish() {
        pending.flip();
        String text = decodePending(true);
        CharBuffer tail = CharBuffer.allocate(4);
        decoder.flush(tail);
        pending.clear();
        decoder.reset();
        return text + tail.flip();
    }

    /** Whether bytes of an unfinished character are being held back. */
    public boolean hasPendingBytes() {
        return pending.position() > 0;
    }

    /**
     * Decodes what is in {@code pending} (in read mode); without {@code endOfInput} the decoder
     * leaves the bytes of an unfinished character unread.
     */
    private String decodePending(boolean endOfInput) {
        CharBuffer out = CharBuffer.allocate(pending.remaining() + 4);
        CoderResult result = decoder.decode(pending, out, endOfInput);
        if (result.isOverflow()) {
            throw new IllegalStateException("UTF-8 decoding produced more chars than bytes"); // cannot happen with REPLACE
        }
        return out.flip().toString();
    }

    private void ensureRoom(int more) {
        if (pending.remaining() < more) {
            ByteBuffer larger = ByteBuffer.allocate(pending.position() + more + 8);
            pending.flip();
            larger.put(pending);
            pending = larger;
        }
    }
}
