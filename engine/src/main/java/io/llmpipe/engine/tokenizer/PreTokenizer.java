package io.llmpipe.engine.tokenizer;

import io.llmpipe.engine.ModelFormatException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into words before byte-level BPE, with the regular expressions llama.cpp
 * ({@code llama-vocab.cpp}) uses for each {@code tokenizer.ggml.pre} name. The expressions are
 * applied in order, each to every piece the previous one left; text a regex does not match stays
 * a piece of its own, as in llama.cpp's {@code unicode_regex_split}. {@code \s} is Unicode
 * White_Space, {@code \p{L}} and {@code \p{N}} Unicode letters and numbers. Immutable; any thread.
 */
final class PreTokenizer {
    /** GPT-2's expression, as llama.cpp writes it (without HF's final {@code |\s+}, whose text survives as a gap). */
    static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    /** Llama 3: case-insensitive contractions, numbers in groups of up to three digits. */
    static final String LLAMA3 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
            + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** Qwen2: as Llama 3 but every digit alone. */
    static final String QWEN2 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
            + "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** First pass of SmolLM, StarCoder and others: every digit alone, then GPT-2. */
    static final String SINGLE_DIGITS = "\\p{N}";

    private final String name;
    private final List<Pattern> patterns;
    private final boolean ignoreMerges;

    private PreTokenizer(String name, boolean ignoreMerges, String... regexes) {
        this.name = name;
        this.ignoreMerges = ignoreMerges;
        List<Pattern> compiled = new ArrayList<>();
        for (String regex : regexes) {
            compiled.add(Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS));
        }
        this.patterns = List.copyOf(compiled);
    }

    /**
     * The pre-tokenizer for a {@code tokenizer.ggml.pre} value; null or "default" gives GPT-2's.
     *
     * @throws ModelFormatException for a name this engine does not know
     */
    static PreTokenizer forName(String pre, String source) {
        String key = pre == null ? "default" : pre;
        return switch (key) {
            case "llama3", "llama-v3", "llama-bpe", "falcon3", "dbrx", "smaug-bpe" ->
                    new PreTokenizer(key, true, LLAMA3); // llama.cpp also takes whole-word vocabulary hits first
            case "qwen2", "deepseek-r1-qwen", "stablelm2", "megrez" -> new PreTokenizer(key, false, QWEN2);
            case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b" ->
                    new PreTokenizer(key, false, SINGLE_DIGITS, GPT2);
            case "default", "gpt2", "gpt-2", "phi-2", "mpt", "olmo", "jais", "exaone4" -> new PreTokenizer(key, false, GPT2);
            default -> throw new ModelFormatException(source + ": tokenizer.ggml.pre '" + pre
                    + "' is not supported (supported: llama-bpe/llama3, qwen2, smollm, gpt2 and their aliases)");
        };
    }

    /** A pre-tokenizer from explicit expressions, for tests and unusual vocabularies. */
    static PreTokenizer of(String name, boolean ignoreMerges, String... regexes) {
        return new PreTokenizer(name, ignoreMerges, regexes);
    }

    String name() {
        return name;
    }

    /** Whether a word found whole in the vocabulary is taken as one token without merging (Llama 3). */
    boolean ignoreMerges() {
        return ignoreMerges;
    }

    /** The words of {@code text}, in order; concatenated they give {@code text} back. */
    List<String> split(String text) {
        List<String> pieces = new ArrayList<>();
        if (!text.isEmpty()) {
            pieces.add(text);
        }
        for (Pattern pattern : patterns) {
            List<String> next = new ArrayList<>(pieces.size() * 2);
            for (String piece : pieces) {
                splitOne(pattern, piece, next);
            }
            pieces = next;
        }
        return pieces;
    }

    private static void splitOne(Pattern pattern, String text, List<String> out) {
        Matcher m = pattern.matcher(text);
        int start = 0;
        while (m.find()) {
            if (m.end() == m.start()) {
                continue; // none of these expressions can match empty; guard against a custom one looping
            }
            if (m.start() > start) {
                out.add(text.substring(start, m.start()));
            }
            out.add(m.group());
            start = m.end();
        }
        if (start < text.length()) {
            out.add(text.substring(start));
        }
    }
}
