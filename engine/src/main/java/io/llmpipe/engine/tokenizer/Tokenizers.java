package io.llmpipe.engine.tokenizer;

import io.llmpipe.engine.ModelFormatException;
import io.llmpipe.engine.gguf.GGUF;
import java.nio.file.Path;

/**
 * Where tokenizers come from: GGUF metadata or a llama2.c tokenizer file, and the check that a
 * tokenizer fits its model. Stateless; every failure is a {@link ModelFormatException} naming the
 * file and what is wrong.
 */
public final class Tokenizers {
    private Tokenizers() {}

    /**
     * The tokenizer described by a GGUF file's {@code tokenizer.ggml.*} metadata: SentencePiece
     * BPE for model "llama", byte-level BPE for "gpt2" (pre-tokenizer from {@code tokenizer.ggml.pre}).
     */
    public static Tokenizer fromGGUF(GGUF gguf) {
        return GgufTokenizerReader.read(gguf);
    }

    /**
     * Reads a llama2.c tokenizer file holding exactly {@code vocabSize} tokens: the model header's
     * vocab_size (its absolute value; a negative header value only means an unshared classifier).
     * A file with fewer or more tokens belongs to another model and is refused.
     */
    public static SentencePieceTokenizer fromLlama2c(Path file, int vocabSize) {
        if (vocabSize <= 0) {
            throw new ModelFormatException(file + ": vocabulary size " + vocabSize + " is not positive (pass the header's absolute value)");
        }
        return Llama2cTokenizerReader.read(file, vocabSize);
    }

    /** Reads every token of a llama2.c tokenizer file, when no model header gives the count. */
    public static SentencePieceTokenizer fromLlama2c(Path file) {
        return Llama2cTokenizerReader.read(file, -1);
    }

    /**
     * Fails unless the tokenizer's vocabulary is exactly the model's: a mismatch means the two come
     * from different models, and ids would index the wrong embedding rows or none at all.
     *
     * @param modelVocabSize rows of the token embedding (or the llama2.c header's vocab_size)
     * @param source the model file, for the message
     */
    public static void checkMatches(Tokenizer tokenizer, int modelVocabSize, String source) {
        if (tokenizer.vocabularySize() != modelVocabSize) {
            throw new ModelFormatException(source + ": the tokenizer has " + tokenizer.vocabularySize()
                    + " tokens but the model's vocabulary has " + modelVocabSize
                    + ": the tokenizer belongs to a different model");
        }
    }
}
