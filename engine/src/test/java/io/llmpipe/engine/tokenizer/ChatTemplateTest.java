package io.llmpipe.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.llmpipe.engine.SharedData;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Real Hugging Face templates through Jinjava, and the built-in fallbacks. */
class ChatTemplateTest {
    static final String LLAMA3 = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
            + "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}"
            + "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
    static final String QWEN2 = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
            + "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
            + "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    static final List<ChatTemplate.Message> CHAT = List.of(new ChatTemplate.Message("user", " Hi there "));

    @Test
    void qwen2TemplateRendersAsTransformersDoes() {
        ChatTemplate t = ChatTemplate.forModel(ByteLevelBpeTokenizerTest.tokenizer(), QWEN2);
        assertEquals(ChatTemplate.Kind.MODEL, t.kind());
        assertEquals("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n Hi there <|im_end|>\n<|im_start|>assistant\n",
                t.render(CHAT, true));
        int[] ids = t.apply(CHAT, true);
        assertEquals(256 + 6, ids[0], "<|im_start|> is one special token");
    }

    @Test
    void llama3TemplateAndItsBuiltInTwinAgree() {
        ByteLevelBpeTokenizer tok = ByteLevelBpeTokenizerTest.tokenizer();
        String expected = "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
        assertEquals(expected, ChatTemplate.forModel(tok, LLAMA3).render(CHAT, true));
    }

    @Test
    void brokenTemplateFallsBackAndPlainModelsJoinContents() {
        ChatTemplate t = ChatTemplate.forModel(ByteLevelBpeTokenizerTest.tokenizer(), "{% for m in messages %}{{ raise_exception('no') }}{% endfor %}");
        assertEquals(ChatTemplate.Kind.CHATML, t.kind());
        Tokenizer stories = Tokenizers.fromLlama2c(SharedData.models().resolve("tok512.bin"), 512);
        ChatTemplate plain = ChatTemplate.forModel(stories, null);
        assertEquals(ChatTemplate.Kind.PLAIN, plain.kind());
        assertArrayEquals(stories.encode("Once upon a time", true), plain.apply(List.of(new ChatTemplate.Message("user", "Once upon a time")), true));
        Tokenizer llama2 = Tokenizers.fromLlama2c(SharedData.models().resolve("tokenizer.bin"), 32000);
        ChatTemplate inst = ChatTemplate.forModel(llama2, null);
        assertEquals(ChatTemplate.Kind.LLAMA2, inst.kind());
        assertEquals("<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST]",
                inst.render(List.of(new ChatTemplate.Message("system", "Be brief."), new ChatTemplate.Message("user", "Hi")), true));
        int[] ids = inst.apply(List.of(new ChatTemplate.Message("user", "Hi")), true);
        assertEquals(1, ids[0], "<s> in the template is the BOS token");
        assertEquals(1, java.util.Arrays.stream(ids).filter(i -> i == 1).count(), "no second BOS");
    }
}
