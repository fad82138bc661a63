package io.llmpipe.engine.tokenizer;

import java.util.List;

/** A {@link ChatFormat} bound to a tokenizer, whose BOS/EOS pieces it writes. Immutable; any thread. */
final class BuiltInChatTemplate implements ChatTemplate {
    private final ChatFormat format;
    private final Tokenizer tokenizer;
    private final String name;
    private final String bos;
    private final String eos;

    BuiltInChatTemplate(ChatFormat format, Tokenizer tokenizer, String name) {
        this.format = format;
        this.tokenizer = tokenizer;
        this.name = name;
        this.bos = tokenizer.bosId() >= 0 ? tokenizer.piece(tokenizer.bosId()) : "";
        this.eos = tokenizer.eosId() >= 0 ? tokenizer.piece(tokenizer.eosId()) : "";
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return format.render(messages, addGenerationPrompt, bos, eos);
    }

    @Override
    public int[] encode(List<ChatMessage> messages, boolean addGenerationPrompt) {
        String text = render(messages, addGenerationPrompt);
        return format == ChatFormat.PLAIN ? tokenizer.encode(text, true) : ChatTemplate.encodeRendered(tokenizer, text);
    }
}
