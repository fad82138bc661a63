package io.llmpipe.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmpipe.engine.ModelFormatException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Expected splits were produced with Python's {@code regex} module (the engine Hugging Face's
 * Python GPT-2 encoder uses) running the same expressions, with Llama 3's and Qwen2's original
 * {@code (?i:...)} contraction groups, and keeping unmatched gaps as llama.cpp does.
 */
class PreTokenizerTest {
    private static final String[][] GPT2_SPLITS = {
        {"Hello world", "Hello", " world"},
        {"I'm sure they'LL say we'VE don't", "I", "'m", " sure", " they", "'", "LL", " say", " we", "'", "VE", " don", "'t"},
        {"  two leading spaces", " ", " two", " leading", " spaces"},
        {"trailing   ", "trailing", "   "},
        {"a  b   c", "a", " ", " b", "  ", " c"},
        {"line1\nline2\n\n  indented\n", "line", "1", "\n", "line", "2", "\n\n ", " indented", "\n"},
        {"12345 1234567 3.14159", "12345", " 1234567", " 3", ".", "14159"},
        {"tab\there", "tab", "\t", "here"},
        {"emoji \uD83D\uDE42\uD83D\uDE42 ok", "emoji", " \uD83D\uDE42\uD83D\uDE42", " ok"},
        {"\u65E5\u672C\u8A9E\u306E\u30C6\u30AD\u30B9\u30C8", "\u65E5\u672C\u8A9E\u306E\u30C6\u30AD\u30B9\u30C8"},
        {"x\r\n\r\ny", "x", "\r\n\r", "\n", "y"},
        {"   \n", "   \n"},
        {"$100,000!!! ??", "$", "100", ",", "000", "!!!", " ??"},
        {"na\u00EFve caf\u00E9", "na\u00EFve", " caf\u00E9"},
        {"'s 's", "'s", " '", "s"},
        {"\u0661\u0662\u0663 arabic", "\u0661\u0662\u0663", " arabic"},
        {"foo.bar(baz)", "foo", ".", "bar", "(", "baz", ")"},
        {"\u00A0nbsp\u3000ideo", "\u00A0", "nbsp", "\u3000", "ideo"},
    };

    private static final String[][] LLAMA3_SPLITS = {
        {"Hello world", "Hello", " world"},
        {"I'm sure they'LL say we'VE don't", "I", "'m", " sure", " they", "'LL", " say", " we", "'VE", " don", "'t"},
        {"  two leading spaces", " ", " two", " leading", " spaces"},
        {"trailing   ", "trailing", "   "},
        {"a  b   c", "a", " ", " b", "  ", " c"},
        {"line1\nline2\n\n  indented\n", "line", "1", "\n", "line", "2", "\n\n", " ", " indented", "\n"},
        {"12345 1234567 3.14159", "123", "45", " ", "123", "456", "7", " ", "3", ".", "141", "59"},
        {"tab\there", "tab", "\there"},
        {"emoji \uD83D\uDE42\uD83D\uDE42 ok", "emoji", " \uD83D\uDE42\uD83D\uDE42", " ok"},
        {"\u65E5\u672C\u8A9E\u306E\u30C6\u30AD\u30B9\u30C8", "\u65E5\u672C\u8A9E\u306E\u30C6\u30AD\u30B9\u30C8"},
        {"x\r\n\r\ny", "x", "\r\n\r\n", "y"},
        {"   \n", "   \n"},
        {"$100,000!!! ??", "$", "100", ",", "000", "!!!", " ??"},
        {"na\u00EFve caf\u00E9", "na\u00EFve", " caf\u00E9"},
        {"'s 's", "'s", " '", "s"},
        {"\u0661\u0662\u0663 arabic", "\u0661\u0662\u0663", " arabic"},
        {"foo.bar(baz)", "foo", ".bar", "(baz", ")"},
        {"\u00A0nbsp\u3000ideo", "\u00A0nbsp", "\u3000ideo"},
    };

    private static final String[][] QWEN2_SPLITS = {
        {"Hello world", "Hello", " world"},
        {"I'm sure they'LL say we'VE don't", "I", "'m", " sure", " they", "'LL", " say", " we", "'VE", " don", "'t"},
        {"  two leading spaces", " ", " two", " leading", " spaces"},
        {"trailing   ", "trailing", "   "},
        {"a  b   c", "a", " ", " b", "  ", " c"},
        {"line1\nline2\n\n  indented\n", "line", "1", "\n", "line", "2", "\n\n", " ", " indented", "\n"},
        {"12345 1234567 3.14159", "1", "2", "3", "4", "5", " ", "1", "2", "3", "4", "5", "6", "7", " ", "3", ".", "1", "4", "1", "5", "9"},
        {"tab\there", "tab", "\there"},
        {"emoji \uD83D\uDE42\uD83D\uDE42 ok", "emoji", " \uD83D\uDE42\uD83D\uDE42", " ok"},
        {"\u65E5\u672C\u8A9E\u306E\u30C6\u30AD\u30B9\u30C8", "\u65E5\u672C\u8A9E\u306E\u30C6\u30AD\u30B9\u30C8"},
        {"x\r\n\r\ny", "x", "\r\n\r\n", "y"},
        {"   \n", "   \n"},
        {"$100,000!!! ??", "$", "1", "0", "0", ",", "0", "0", "0", "!!!", " ??"},
        {"na\u00EFve caf\u00E9", "na\u00EFve", " caf\u00E9"},
        {"'s 's", "'s", " '", "s"},
        {"\u0661\u0662\u0663 arabic", "\u0661", "\u0662", "\u0663", " arabic"},
        {"foo.bar(baz)", "foo", ".bar", "(baz", ")"},
        {"\u00A0nbsp\u3000ideo", "\u00A0nbsp", "\u3000ideo"},
    };

    private static final String[][] SMOLLM_SPLITS = {
        {"Hello world", "Hello", " world"},
        {"I'm sure they'LL say we'VE don't", "I", "'m", " sure", " they", "'", "LL", " say", " we", "'", "VE", " don", "'t"},
        {"  two leading spaces", " ", " two", " leading", " spaces"},
        {"trailing   ", "trailing", "   "},
        {"a  b   c", "a", " ", " b", "  ", " c"},
        {"line1\nline2\n\n  indented\n", "line", "1", "\n", "line", "2", "\n\n ", " indented", "\n"},
        {"12345 1234567 3.14159", "1", "2", "3", "4", "5", " ", "1", "2", "3", "4", "5", "6", "7", " ", "3", ".", "1", "4", "1", "5", "9"},
        {"tab\there", "tab", "\t", "here"},
        {"emoji \uD83D\uDE42\uD83D\uDE42 ok", "emoji", " \uD83D\uDE42\uD83D\uDE42", " ok"},
        {"\u65E5\u672C\u8A9E\u306E\u30C6\u30AD\u30B9\u30C8", "\u65E5\u672C\u8A9E\u306E\u30C6\u30AD\u30B9\u30C8"},
        {"x\r\n\r\ny", "x", "\r\n\r", "\n", "y"},
        {"   \n", "   \n"},
        {"$100,000!!! ??", "$", "1", "0", "0", ",", "0", "0", "0", "!!!", " ??"},
        {"na\u00EFve caf\u00E9", "na\u00EFve", " caf\u00E9"},
        {"'s 's", "'s", " '", "s"},
        {"\u0661\u0662\u0663 arabic", "\u0661", "\u0662", "\u0663", " arabic"},
        {"foo.bar(baz)", "foo", ".", "bar", "(", "baz", ")"},
        {"\u00A0nbsp\u3000ideo", "\u00A0", "nbsp", "\u3000", "ideo"},
    };

    private static void assertSplits(PreTokenizer pre, String[][] cases) {
        for (String[] c : cases) {
            List<String> expected = Arrays.asList(c).subList(1, c.length);
            List<String> actual = pre.split(c[0]);
            assertEquals(expected, actual, () -> pre.name() + ": '" + c[0] + "'");
            assertEquals(c[0], String.join("", actual));
        }
    }

    @Test
    void gpt2SplitsLikeThePythonRegex() {
        assertSplits(PreTokenizer.forName("gpt2", "test"), GPT2_SPLITS);
        assertSplits(PreTokenizer.forName(null, "test"), GPT2_SPLITS);
        assertSplits(PreTokenizer.forName("gpt-2", "test"), GPT2_SPLITS);
    }

    @Test
    void llama3SplitsLikeThePythonRegex() {
        PreTokenizer pre = PreTokenizer.forName("llama-bpe", "test");
        assertSplits(pre, LLAMA3_SPLITS);
        assertTrue(pre.ignoreMerges());
        assertSplits(PreTokenizer.forName("llama3", "test"), LLAMA3_SPLITS);
    }

    @Test
    void qwen2SplitsLikeThePythonRegex() {
        PreTokenizer pre = PreTokenizer.forName("qwen2", "test");
        assertSplits(pre, QWEN2_SPLITS);
        assertFalse(pre.ignoreMerges());
    }

    @Test
    void smollmSplitsDigitsThenLikeGpt2() {
        assertSplits(PreTokenizer.forName("smollm", "test"), SMOLLM_SPLITS);
    }

    @Test
    void emptyTextHasNoWords() {
        assertEquals(List.of(), PreTokenizer.forName("llama-bpe", "test").split(""));
    }

    @Test
    void longWhitespaceRunsAreLinear() {
        String text = " ".repeat(100_000) + "x" + "\n".repeat(50_000) + "y".repeat(100_000);
        for (String name : List.of("gpt2", "llama-bpe", "qwen2", "smollm")) {
            List<String> words = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> PreTokenizer.forName(name, "test").split(text));
            assertEquals(text, String.join("", words), name);
        }
    }

    @Test
    void unknownNameIsAFormatError() {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> PreTokenizer.forName("klingon", "m.gguf"));
        assertTrue(e.getMessage().contains("m.gguf") && e.getMessage().contains("klingon"), e.getMessage());
    }
}
