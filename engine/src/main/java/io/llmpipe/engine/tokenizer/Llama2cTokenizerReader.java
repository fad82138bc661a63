package io.llmpipe.engine.tokenizer;

import io.llmpipe.engine.ModelFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Reads llama2.c's tokenizer file ({@code tokenizer.bin}, {@code tok512.bin}): an int32
 * {@code max_token_length}, then per token a float32 score, an int32 byte length and the UTF-8
 * bytes, all little-endian. The file does not store the token count; the model header does.
 * Spaces are literal {@code ' '}. Ids are fixed as run.c fixes them: 0 {@code <unk>}, 1 BOS,
 * 2 EOS. Stateless.
 */
final class Llama2cTokenizerReader {
    static final int UNKNOWN_ID = 0;
    static final int BOS_ID = 1;
    static final int EOS_ID = 2;
    /** Far above any real vocabulary's longest piece; a larger header value means a corrupt file. */
    private static final int MAX_TOKEN_LENGTH_LIMIT = 1 << 16;
    /** Tokenizer files are a few hundred KB; refuse to slurp something that is clearly not one. */
    private static final long MAX_FILE_SIZE = 256L << 20;

    private Llama2cTokenizerReader() {}

    /**
     * Reads {@code vocabSize} tokens, or all tokens up to the end of the file when {@code vocabSize}
     * is -1. With a given size, bytes left after the last token mean the file holds more tokens than
     * the model: a tokenizer for another model.
     */
    static SentencePieceTokenizer read(Path file, int vocabSize) {
        if (vocabSize != -1 && vocabSize < 3) {
            throw new ModelFormatException(file + ": vocabulary size " + vocabSize
                    + " from the model header is too small (llama2.c needs <unk>, BOS and EOS)");
        }
        ByteBuffer in = ByteBuffer.wrap(readAll(file)).order(ByteOrder.LITTLE_ENDIAN);
        String source = file.toString();
        if (in.remaining() < 4) {
            throw new ModelFormatException(source + ": file is empty or truncated (" + in.remaining() + " bytes): not a llama2.c tokenizer");
        }
        int maxTokenLength = in.getInt();
        if (maxTokenLength <= 0 || maxTokenLength > MAX_TOKEN_LENGTH_LIMIT) {
            throw new ModelFormatException(source + ": max_token_length " + maxTokenLength + " is absurd: not a llama2.c tokenizer");
        }
        int capacity = vocabSize == -1 ? 1024 : vocabSize;
        String[] pieces = new String[capacity];
        float[] scores = new float[capacity];
        int count = 0;
        while (vocabSize == -1 ? in.hasRemaining() : count < vocabSize) {
            if (in.remaining() < 8) {
                throw new ModelFormatException(source + ": truncated at token " + count
                        + (vocabSize == -1 ? "" : " of " + vocabSize + " (the model's vocabulary size; is this the tokenizer of a smaller model?)"));
            }
            float score = in.getFloat();
            int length = in.getInt();
            if (length < 0 || length > maxTokenLength || length > in.remaining()) {
                throw new ModelFormatException(source + ": token " + count + " has length " + length
                        + " (max_token_length " + maxTokenLength + ", " + in.remaining() + " bytes left): corrupt or truncated");
            }
            byte[] bytes = new byte[length];
            in.get(bytes);
            if (count == pieces.length) {
                pieces = Arrays.copyOf(pieces, count * 2);
                scores = Arrays.copyOf(scores, count * 2);
            }
            pieces[count] = new String(bytes, StandardCharsets.UTF_8);
            scores[count] = score;
            count++;
        }
        if (in.hasRemaining()) {
            throw new ModelFormatException(source + ": " + in.remaining() + " bytes remain after the model's " + vocabSize
                    + " tokens: the tokenizer has a larger vocabulary and belongs to another model");
        }
        if (count < 3) {
            throw new ModelFormatException(source + ": only " + count + " tokens (llama2.c needs <unk>, BOS and EOS)");
        }
        pieces = Arrays.copyOf(pieces, count);
        scores = Arrays.copyOf(scores, count);
        Vocabulary vocabulary = new Vocabulary(source, pieces, inferTypes(pieces), scores,
                BOS_ID, EOS_ID, UNKNOWN_ID, true, List.of(BOS_ID));
        return new SentencePieceTokenizer(vocabulary, " ", true);
    }

    private static byte[] readAll(Path file) {
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_SIZE) {
                throw new ModelFormatException(file + ": " + size + " bytes is far too large for a llama2.c tokenizer");
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ModelFormatException("cannot read tokenizer " + file + ": " + e, e);
        }
    }

    /** The file has no token types; give the ones llama.cpp's converter assigns to this vocabulary. */
    private static TokenType[] inferTypes(String[] pieces) {
        TokenType[] types = new TokenType[pieces.length];
        for (int id = 0; id < pieces.length; id++) {
            if (id == BOS_ID || id == EOS_ID) {
                types[id] = TokenType.CONTROL;
            } else if (id == UNKNOWN_ID) {
                types[id] = TokenType.UNKNOWN;
            } else if (Vocabulary.byteValue(pieces[id]) >= 0) {
                types[id] = TokenType.BYTE;
            } else {
                types[id] = TokenType.NORMAL;
            }
        }
        return types;
    }
}
