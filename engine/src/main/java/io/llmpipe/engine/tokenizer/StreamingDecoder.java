package io.llmpipe.engine.tokenizer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns generated token ids into text as they arrive, for streaming. Bytes of a character split
 * across byte-fallback tokens are held back until the character is complete; for SentencePiece
 * models the first piece after BOS loses its leading (dummy-prefix) space, as llama2.c prints it.
 *
 * <p>One per generation; one thread.
 */
public final class StreamingDecoder {
    private final Tokenizer tokenizer;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
    private ByteBuffer pending = ByteBuffer.allocate(64);
    private int previous;

    /** @param previousToken the last prompt token (decides the leading-space rule) */
    public StreamingDecoder(Tokenizer tokenizer, int previousToken) {
        this.tokenizer = tokenizer;
        this.previous = previousToken;
    }

    /** Feeds one token; returns the text completed by it (possibly empty). */
    public String push(int token) {
        byte[] b = tokenizer.bytes(token);
        int from = 0;
        if (tokenizer.addsDummyPrefix() && previous == tokenizer.bosId() && b.length > 0 && b[0] == ' ') {
            from = 1;
        }
        previous = token;
        if (pending.remaining() < b.length) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(pending.capacity() * 2, pending.position() + b.length));
            pending.flip();
            bigger.put(pending);
            pending = bigger;
        }
        pending.put(b, from, b.length - from);
        return drain(false);
    }

    /** The text still held back (an incomplete character becomes U+FFFD). */
    public String flush() {
        return drain(true);
    }

    private String drain(boolean endOfInput) {
        pending.flip();
        CharBuffer out = CharBuffer.allocate(pending.remaining() + 2);
        utf8.decode(pending, out, endOfInput);
        if (endOfInput) {
            utf8.flush(out);
            utf8.reset();
        }
        pending.compact();
        out.flip();
        return out.toString();
    }
}
