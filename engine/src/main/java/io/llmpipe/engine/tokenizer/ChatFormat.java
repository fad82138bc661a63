package io.llmpipe.engine.tokenizer;

import java.util.List;

/**
 * Built-in chat prompt formats, for models whose file carries no chat template. Each renders as
 * the reference Hugging Face template of that family does (checked against Jinja2 in tests).
 */
public enum ChatFormat {
    /**
     * Llama 2 chat: {@code <s>[INST] <<SYS>>\nsystem\n<</SYS>>\n\nuser [/INST] answer </s>}; user and
     * assistant must alternate, starting with the user.
     */
    LLAMA2,
    /** Llama 3: {@code <|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>} after BOS. */
    LLAMA3,
    /** ChatML (Qwen2, SmolLM2): {@code <|im_start|>role\ncontent<|im_end|>\n}, without a default system message. */
    CHATML,
    /** Mistral: {@code <s>[INST] user [/INST]answer</s>}; a system message is put before the first user message. */
    MISTRAL,
    /**
     * For models without chat tokens (stories260K, base models): the message contents joined by
     * newlines, nothing added, so one user message "Once upon a time" is exactly that prompt. Encoded
     * as ordinary text.
     */
    PLAIN;

    /**
     * The format a vocabulary is made for: Llama 3 if it has {@code <|start_header_id|>} and
     * {@code <|eot_id|>}, ChatML if {@code <|im_start|>} and {@code <|im_end|>}, Mistral if
     * {@code [INST]} and {@code [/INST]} are tokens, else plain (Llama 2 chat shares its vocabulary
     * with base models, so it is never guessed).
     */
    public static ChatFormat detect(Tokenizer tokenizer) {
        if (has(tokenizer, "<|start_header_id|>") && has(tokenizer, "<|eot_id|>")) {
            return LLAMA3;
        }
        if (has(tokenizer, "<|im_start|>") && has(tokenizer, "<|im_end|>")) {
            return CHATML;
        }
        if (has(tokenizer, "[INST]") && has(tokenizer, "[/INST]")) {
            return MISTRAL;
        }
        return PLAIN;
    }

    private static boolean has(Tokenizer tokenizer, String piece) {
        return tokenizer.tokenId(piece) >= 0;
    }

    /** Renders the conversation; {@code bos} and {@code eos} are the pieces the format writes. */
    String render(List<ChatMessage> messages, boolean addGenerationPrompt, String bos, String eos) {
        StringBuilder out = new StringBuilder();
        switch (this) {
            case LLAMA2 -> renderLlama2(messages, bos, eos, out);
            case LLAMA3 -> {
                out.append(bos);
                for (ChatMessage m : messages) {
                    out.append("<|start_header_id|>").append(m.role()).append("<|end_header_id|>\n\n")
                            .append(m.content().strip()).append("<|eot_id|>");
                }
                if (addGenerationPrompt) {
                    out.append("<|start_header_id|>assistant<|end_header_id|>\n\n");
                }
            }
            case CHATML -> {
                for (ChatMessage m : messages) {
                    out.append("<|im_start|>").append(m.role()).append('\n').append(m.content()).append("<|im_end|>\n");
                }
                if (addGenerationPrompt) {
                    out.append("<|im_start|>assistant\n");
                }
            }
            case MISTRAL -> renderMistral(messages, bos, eos, out);
            case PLAIN -> {
                for (int i = 0; i < messages.size(); i++) {
                    out.append(i == 0 ? "" : "\n").append(messages.get(i).content());
                }
            }
        }
        return out.toString();
    }

    private static void renderLlama2(List<ChatMessage> messages, String bos, String eos, StringBuilder out) {
        String system = null;
        List<ChatMessage> turns = messages;
        if (!messages.isEmpty() && messages.getFirst().role().equals("system")) {
            system = messages.getFirst().content();
            turns = messages.subList(1, messages.size());
        }
        for (int i = 0; i < turns.size(); i++) {
            ChatMessage m = turns.get(i);
            checkAlternation(m, i);
            String content = i == 0 && system != null ? "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + m.content() : m.content();
            if (m.role().equals("user")) {
                out.append(bos).append("[INST] ").append(content.strip()).append(" [/INST]");
            } else {
                out.append(' ').append(content.strip()).append(' ').append(eos);
            }
        }
    }

    private static void renderMistral(List<ChatMessage> messages, String bos, String eos, StringBuilder out) {
        out.append(bos);
        String system = null;
        List<ChatMessage> turns = messages;
        if (!messages.isEmpty() && messages.getFirst().role().equals("system")) {
            system = messages.getFirst().content();
            turns = messages.subList(1, messages.size());
        }
        for (int i = 0; i < turns.size(); i++) {
            ChatMessage m = turns.get(i);
            checkAlternation(m, i);
            if (m.role().equals("user")) {
                String content = i == 0 && system != null ? system + "\n\n" + m.content() : m.content();
                out.append("[INST] ").append(content).append(" [/INST]");
            } else {
                out.append(m.content()).append(eos);
            }
        }
    }

    private static void checkAlternation(ChatMessage m, int turn) {
        String expected = turn % 2 == 0 ? "user" : "assistant";
        if (!m.role().equals(expected)) {
            throw new ChatTemplateException("Conversation roles must alternate user/assistant/user/assistant/... (message "
                    + (turn + 1) + " after any system message is '" + m.role() + "')");
        }
    }
}
