package io.llmpipe.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmpipe.engine.ModelFormatException;
import io.llmpipe.engine.gguf.GGUF;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {
    static final List<ChatMessage> ONE = List.of(ChatMessage.user("Hello"));
    static final List<ChatMessage> CHAT = List.of(ChatMessage.system("Be brief."), ChatMessage.user(" Hi there "),
            ChatMessage.assistant("Hello!"), ChatMessage.user("{{ 7*7 }} and {% raw %}"));
    static final List<ChatMessage> NO_SYSTEM = List.of(ChatMessage.user("Hi"), ChatMessage.assistant("Hello!"), ChatMessage.user("Bye"));
    static final List<ChatMessage> TOOLS = List.of(ChatMessage.user("Weather?"), ChatMessage.assistant("Let me check."),
            new ChatMessage("tool", "r1"), new ChatMessage("tool", "r2"));

    /** A byte-level vocabulary with the given special (control) pieces; BOS and EOS are named among them. */
    static ByteLevelBpeTokenizer byteLevel(String bos, String eos, String... specials) {
        List<String> tokens = new ArrayList<>(Arrays.asList(ByteLevelBpeTokenizerTest.tokens()).subList(0, 256));
        tokens.addAll(List.of(specials));
        TokenType[] types = new TokenType[tokens.size()];
        Arrays.fill(types, TokenType.NORMAL);
        Arrays.fill(types, 256, types.length, TokenType.CONTROL);
        Vocabulary vocabulary = new Vocabulary("synthetic", tokens.toArray(String[]::new), types, null,
                tokens.indexOf(bos), tokens.indexOf(eos), -1, bos.equals("<|begin_of_text|>"), List.of());
        return new ByteLevelBpeTokenizer(vocabulary, new String[0], PreTokenizer.forName("gpt2", "synthetic"));
    }

    static final ByteLevelBpeTokenizer LLAMA3_VOCAB = byteLevel("<|begin_of_text|>", "<|eot_id|>",
            "<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>");
    static final ByteLevelBpeTokenizer QWEN_VOCAB = byteLevel("<|endoftext|>", "<|im_end|>",
            "<|endoftext|>", "<|im_start|>", "<|im_end|>");

    /** The Llama 2 vocabulary as llama.cpp's converter writes it to GGUF: '▁' for spaces, <s> and </s>. */
    static SentencePieceTokenizer llama2Gguf() {
        SentencePieceTokenizer file = Tokenizers.fromLlama2c(SharedModels.file("tokenizer.bin"), 32000);
        String[] pieces = new String[file.vocabularySize()];
        TokenType[] types = new TokenType[pieces.length];
        float[] scores = new float[pieces.length];
        for (int id = 0; id < pieces.length; id++) {
            pieces[id] = file.piece(id).replace(' ', '\u2581');
            types[id] = file.tokenType(id);
            scores[id] = file.score(id);
        }
        pieces[1] = "<s>";
        pieces[2] = "</s>";
        return new SentencePieceTokenizer(new Vocabulary("llama2.gguf", pieces, types, scores, 1, 2, 0, true, List.of()), "\u2581", true);
    }

    static final SentencePieceTokenizer LLAMA2_VOCAB = llama2Gguf();

    private static void assertRenders(String expected, ChatTemplate template, List<ChatMessage> messages, boolean addGenerationPrompt) {
        if (expected.startsWith("RAISES: ")) {
            ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> template.render(messages, addGenerationPrompt));
            assertTrue(e.getMessage().contains(expected.substring("RAISES: ".length())), e.getMessage());
        } else {
            assertEquals(expected, template.render(messages, addGenerationPrompt));
        }
    }

    private static void assertRendersAll(ChatTemplate template, String one, String chat, String noSystem, String noSystemNoPrompt, String tools) {
        assertRenders(one, template, ONE, true);
        assertRenders(chat, template, CHAT, true);
        assertRenders(noSystem, template, NO_SYSTEM, true);
        assertRenders(noSystemNoPrompt, template, NO_SYSTEM, false);
        if (tools != null) {
            assertRenders(tools, template, TOOLS, true);
        }
    }

    @Test
    void rendersLlama3LikeJinja2() {
        assertRendersAll(ChatTemplate.jinja(HfChatTemplates.LLAMA3, LLAMA3_VOCAB), HfChatTemplates.LLAMA3_ONE, HfChatTemplates.LLAMA3_CHAT,
                HfChatTemplates.LLAMA3_NO_SYSTEM, HfChatTemplates.LLAMA3_NO_SYSTEM_NO_PROMPT, HfChatTemplates.LLAMA3_TOOLS);
    }

    @Test
    void rendersLlama31LikeJinja2() {
        // its tool branch differs: Jinja2 calls a string iterable and prints tool results as JSON strings
        assertRendersAll(ChatTemplate.jinja(HfChatTemplates.LLAMA31, LLAMA3_VOCAB), HfChatTemplates.LLAMA31_ONE, HfChatTemplates.LLAMA31_CHAT,
                HfChatTemplates.LLAMA31_NO_SYSTEM, HfChatTemplates.LLAMA31_NO_SYSTEM_NO_PROMPT, null);
    }

    @Test
    void rendersQwen2LikeJinja2() {
        assertRendersAll(ChatTemplate.jinja(HfChatTemplates.QWEN2, QWEN_VOCAB), HfChatTemplates.QWEN2_ONE, HfChatTemplates.QWEN2_CHAT,
                HfChatTemplates.QWEN2_NO_SYSTEM, HfChatTemplates.QWEN2_NO_SYSTEM_NO_PROMPT, HfChatTemplates.QWEN2_TOOLS);
    }

    @Test
    void rendersQwen25LikeJinja2() {
        assertRendersAll(ChatTemplate.jinja(HfChatTemplates.QWEN25, QWEN_VOCAB), HfChatTemplates.QWEN25_ONE, HfChatTemplates.QWEN25_CHAT,
                HfChatTemplates.QWEN25_NO_SYSTEM, HfChatTemplates.QWEN25_NO_SYSTEM_NO_PROMPT, HfChatTemplates.QWEN25_TOOLS);
    }

    @Test
    void rendersSmolLm2LikeJinja2() {
        assertRendersAll(ChatTemplate.jinja(HfChatTemplates.SMOLLM2, QWEN_VOCAB), HfChatTemplates.SMOLLM2_ONE, HfChatTemplates.SMOLLM2_CHAT,
                HfChatTemplates.SMOLLM2_NO_SYSTEM, HfChatTemplates.SMOLLM2_NO_SYSTEM_NO_PROMPT, HfChatTemplates.SMOLLM2_TOOLS);
    }

    @Test
    void rendersLlama2AndMistralLikeJinja2IncludingRaiseException() {
        assertRendersAll(ChatTemplate.jinja(HfChatTemplates.LLAMA2, LLAMA2_VOCAB), HfChatTemplates.LLAMA2_ONE, HfChatTemplates.LLAMA2_CHAT,
                HfChatTemplates.LLAMA2_NO_SYSTEM, HfChatTemplates.LLAMA2_NO_SYSTEM_NO_PROMPT, HfChatTemplates.LLAMA2_TOOLS);
        assertRendersAll(ChatTemplate.jinja(HfChatTemplates.MISTRAL, LLAMA2_VOCAB), HfChatTemplates.MISTRAL_ONE, HfChatTemplates.MISTRAL_CHAT,
                HfChatTemplates.MISTRAL_NO_SYSTEM, HfChatTemplates.MISTRAL_NO_SYSTEM_NO_PROMPT, HfChatTemplates.MISTRAL_TOOLS);
    }

    @Test
    void builtInFormatsMatchTheReferenceTemplates() {
        ChatTemplate llama3 = ChatTemplate.builtIn(ChatFormat.LLAMA3, LLAMA3_VOCAB);
        assertRendersAll(llama3, HfChatTemplates.LLAMA3_ONE, HfChatTemplates.LLAMA3_CHAT,
                HfChatTemplates.LLAMA3_NO_SYSTEM, HfChatTemplates.LLAMA3_NO_SYSTEM_NO_PROMPT, HfChatTemplates.LLAMA3_TOOLS);
        ChatTemplate llama2 = ChatTemplate.builtIn(ChatFormat.LLAMA2, LLAMA2_VOCAB);
        assertRendersAll(llama2, HfChatTemplates.LLAMA2_ONE, HfChatTemplates.LLAMA2_CHAT,
                HfChatTemplates.LLAMA2_NO_SYSTEM, HfChatTemplates.LLAMA2_NO_SYSTEM_NO_PROMPT, HfChatTemplates.LLAMA2_TOOLS);
        ChatTemplate chatml = ChatTemplate.builtIn(ChatFormat.CHATML, QWEN_VOCAB);
        // Qwen2's template adds a default system message when there is none; plain ChatML does not
        assertRenders(HfChatTemplates.QWEN2_CHAT, chatml, CHAT, true);
        assertEquals("<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n", chatml.render(ONE, true));
        ChatTemplate mistral = ChatTemplate.builtIn(ChatFormat.MISTRAL, LLAMA2_VOCAB);
        assertRenders(HfChatTemplates.MISTRAL_ONE, mistral, ONE, true);
        assertRenders(HfChatTemplates.MISTRAL_NO_SYSTEM, mistral, NO_SYSTEM, true);
        // the reference template refuses a system message; the built-in folds it into the first turn
        assertEquals("<s>[INST] Be brief.\n\nHi [/INST]", mistral.render(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi")), true));
    }

    @Test
    void encodesSpecialTokensAndBosOnce() {
        ChatTemplate template = ChatTemplate.jinja(HfChatTemplates.LLAMA3, LLAMA3_VOCAB);
        int[] ids = template.encode(ONE, true);
        int bos = LLAMA3_VOCAB.tokenId("<|begin_of_text|>");
        int header = LLAMA3_VOCAB.tokenId("<|start_header_id|>");
        assertEquals(bos, ids[0]);
        assertEquals(header, ids[1]);
        assertEquals(1, Arrays.stream(ids).filter(id -> id == bos).count(), "the template writes BOS; encoding must not add another");
        assertEquals(2, Arrays.stream(ids).filter(id -> id == header).count());
        assertEquals(HfChatTemplates.LLAMA3_ONE.replace("<|begin_of_text|>", "").replace("<|start_header_id|>", "")
                .replace("<|end_header_id|>", "").replace("<|eot_id|>", ""), LLAMA3_VOCAB.decode(ids));

        int[] qwen = ChatTemplate.jinja(HfChatTemplates.QWEN2, QWEN_VOCAB).encode(ONE, true);
        assertEquals(QWEN_VOCAB.tokenId("<|im_start|>"), qwen[0], "Qwen2 adds no BOS");
    }

    @Test
    void llama2PromptTokenizesLikeHuggingFace() {
        // transformers' LlamaTokenizer (legacy) gives these ids for "<s>[INST] Hello [/INST]"
        int[] ids = ChatTemplate.jinja(HfChatTemplates.LLAMA2, LLAMA2_VOCAB).encode(ONE, true);
        assertArrayEquals(new int[] {1, 518, 25580, 29962, 15043, 518, 29914, 25580, 29962}, ids);
        assertArrayEquals(ids, ChatTemplate.builtIn(ChatFormat.LLAMA2, LLAMA2_VOCAB).encode(ONE, true));
    }

    @Test
    void userTextIsNeverInterpretedAsTemplate() {
        String rendered = ChatTemplate.jinja(HfChatTemplates.QWEN2, QWEN_VOCAB).render(List.of(ChatMessage.user("{{ 7*7 }} {% if true %}x{% endif %}")), false);
        assertTrue(rendered.contains("{{ 7*7 }} {% if true %}x{% endif %}"), rendered);
    }

    @Test
    void adaptsPythonStringMethodsAndTrailingNewline() {
        String source = "{% if messages[0]['content'].startswith('He') and messages[0]['content'].endswith('lo') %}"
                + "{{ messages[0]['content'].upper() }}|{{ '  x  '.lstrip() }}|{{ '  y  '.rstrip() }}|{{ ' z '.strip() }}{% endif %}\n";
        assertEquals("HELLO|x  |  y|z", ChatTemplate.jinja(source, QWEN_VOCAB).render(ONE, true));
    }

    @Test
    void detectsTheFormatFromTheVocabulary() {
        assertEquals(ChatFormat.LLAMA3, ChatFormat.detect(LLAMA3_VOCAB));
        assertEquals(ChatFormat.CHATML, ChatFormat.detect(QWEN_VOCAB));
        assertEquals(ChatFormat.MISTRAL, ChatFormat.detect(byteLevel("<s>", "</s>", "<s>", "</s>", "[INST]", "[/INST]")));
        assertEquals(ChatFormat.PLAIN, ChatFormat.detect(LLAMA2_VOCAB));
        assertEquals("llama3", ChatTemplate.forTokenizer(LLAMA3_VOCAB).name());
    }

    @Test
    void plainFormatForStories260k() {
        SentencePieceTokenizer tok512 = Tokenizers.fromLlama2c(SharedModels.file("tok512.bin"), 512);
        ChatTemplate plain = ChatTemplate.forTokenizer(tok512);
        assertEquals("plain", plain.name());
        assertArrayEquals(new int[] {1, 403, 407, 261, 378}, plain.encode(List.of(ChatMessage.user("Once upon a time")), true));
        assertEquals("Be a storyteller.\nOnce upon a time", plain.render(List.of(ChatMessage.system("Be a storyteller."), ChatMessage.user("Once upon a time")), true));
        // plain text is never parsed for special tokens
        int[] ids = plain.encode(List.of(ChatMessage.user("\n</s>\n")), true);
        assertTrue(Arrays.stream(ids).noneMatch(id -> id == 2), Arrays.toString(ids));
    }

    @Test
    void forModelUsesTheGgufTemplateOrFallsBack() {
        try (Arena arena = Arena.ofConfined()) {
            GGUF stories = GGUF.open(SharedModels.file("stories260K.gguf"), arena);
            assertEquals("plain", ChatTemplate.forModel(stories, Tokenizers.fromGGUF(stories)).name());
        }
        GgufBytes qwen = new GgufBytes()
                .put("tokenizer.ggml.model", "gpt2")
                .put("tokenizer.ggml.tokens", ByteLevelBpeTokenizerTest.tokens())
                .put("tokenizer.ggml.token_type", ByteLevelBpeTokenizerTest.tokenTypes())
                .put("tokenizer.ggml.merges", ByteLevelBpeTokenizerTest.MERGES)
                .put(ChatTemplate.GGUF_KEY, HfChatTemplates.QWEN2);
        GGUF withTemplate = qwen.parse();
        ChatTemplate fromFile = ChatTemplate.forModel(withTemplate, Tokenizers.fromGGUF(withTemplate));
        assertEquals("gguf", fromFile.name());
        assertTrue(fromFile.render(ONE, true).startsWith("<|im_start|>system\nYou are a helpful assistant."));

        GGUF broken = qwen.put(ChatTemplate.GGUF_KEY, "{% for m in messages %}{{ m.content }").parse();
        ChatTemplate fallback = ChatTemplate.forModel(broken, Tokenizers.fromGGUF(broken));
        assertTrue(fallback.name().startsWith("chatml (fallback: "), fallback.name());
        assertEquals("<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n", fallback.render(ONE, true));
    }

    @Test
    void rendersConcurrently() throws Exception {
        ChatTemplate template = ChatTemplate.jinja(HfChatTemplates.QWEN25, QWEN_VOCAB);
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                List<ChatMessage> conversation = i % 2 == 0 ? CHAT : TOOLS;
                String expected = i % 2 == 0 ? HfChatTemplates.QWEN25_CHAT : HfChatTemplates.QWEN25_TOOLS;
                results.add(pool.submit(() -> expected.equals(template.render(conversation, true))));
            }
            for (var result : results) {
                assertTrue(result.get());
            }
        }
    }

    @Test
    void aBrokenTemplateIsAFormatErrorAndARejectionIsAClientError() {
        assertThrows(ModelFormatException.class, () -> ChatTemplate.jinja("{% if %}", QWEN_VOCAB));
        assertThrows(ModelFormatException.class, () -> ChatTemplate.jinja("{{ messages[0].content.nosuchmethod() }}", QWEN_VOCAB));
        ChatTemplate picky = ChatTemplate.jinja("{% if messages|length > 1 %}{{ raise_exception('one message only') }}{% endif %}ok", QWEN_VOCAB);
        assertEquals("ok", picky.render(ONE, true));
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> picky.render(NO_SYSTEM, true));
        assertTrue(e.getMessage().endsWith("one message only"), e.getMessage());
        // a template that rejects even the one-message probe is still accepted
        ChatTemplate refusesAll = ChatTemplate.jinja("{{ raise_exception('no') }}", QWEN_VOCAB);
        assertThrows(ChatTemplateException.class, () -> refusesAll.render(ONE, true));
    }
}
