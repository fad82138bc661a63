package io.llmpipe.engine.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders a conversation into prompt tokens. Uses the model's own Jinja template (GGUF
 * {@code tokenizer.chat_template}) through Jinjava, rendered as Hugging Face does (trim_blocks,
 * lstrip_blocks, {@code bos_token}, {@code eos_token}, {@code raise_exception}); a model without one,
 * or whose template Jinjava cannot render, gets a built-in template chosen from its vocabulary:
 * Llama 3, ChatML (Qwen2, SmolLM2), Llama 2 / Mistral {@code [INST]}, or plain text for models with
 * no chat tokens (e.g. stories260K: the message contents joined by newlines).
 *
 * <p>Immutable; any thread (each render uses its own Jinjava interpreter state).
 */
public final class ChatTemplate {
    public record Message(String role, String content) {
        public Message {
            if (role == null || role.isBlank()) {
                throw new IllegalArgumentException("a message needs a role");
            }
            content = content == null ? "" : content;
        }
    }

    /** Which template is in use and why. */
    public enum Kind { MODEL, LLAMA3, CHATML, LLAMA2, PLAIN }

    private static final Jinjava JINJAVA = createJinjava();

    private final Tokenizer tokenizer;
    private final Kind kind;
    private final String template; // the model's Jinja source, when kind == MODEL
    private final String bosText, eosText;

    private ChatTemplate(Tokenizer tokenizer, Kind kind, String template) {
        this.tokenizer = tokenizer;
        this.kind = kind;
        this.template = template;
        // strip: llama2.c vocabularies store "<s>" as "\n<s>\n"
        this.bosText = tokenizer.bosId() >= 0 ? tokenizer.piece(tokenizer.bosId()).strip() : "";
        this.eosText = tokenizer.eosId() >= 0 ? tokenizer.piece(tokenizer.eosId()).strip() : "";
    }

    /**
     * The template for a model: its own Jinja source when given and renderable, else a built-in one
     * chosen from the vocabulary.
     */
    public static ChatTemplate forModel(Tokenizer tokenizer, String jinjaSource) {
        if (jinjaSource != null && !jinjaSource.isBlank()) {
            ChatTemplate own = new ChatTemplate(tokenizer, Kind.MODEL, jinjaSource);
            try {
                own.render(List.of(new Message("system", "s"), new Message("user", "u"), new Message("assistant", "a"),
                        new Message("user", "u")), true);
                return own;
            } catch (RuntimeException e) {
                // Jinjava lacks a Python feature the template uses: fall through to a built-in one
            }
        }
        return new ChatTemplate(tokenizer, builtinKind(tokenizer), null);
    }

    static Kind builtinKind(Tokenizer t) {
        if (t.tokenId("<|start_header_id|>") >= 0 && t.tokenId("<|eot_id|>") >= 0) {
            return Kind.LLAMA3;
        }
        if (t.tokenId("<|im_start|>") >= 0 && t.tokenId("<|im_end|>") >= 0) {
            return Kind.CHATML;
        }
        if (t.tokenId("[INST]") >= 0 || t.vocabularySize() == 32000 && t.bosId() >= 0 && t.piece(t.bosId()).strip().equals("<s>")) {
            return Kind.LLAMA2;
        }
        return Kind.PLAIN;
    }

    public Kind kind() {
        return kind;
    }

    /** The rendered prompt text (special tokens written out). */
    public String render(List<Message> messages, boolean addGenerationPrompt) {
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("at least one message is required");
        }
        return switch (kind) {
            case MODEL -> renderJinja(messages, addGenerationPrompt);
            case LLAMA3 -> {
                StringBuilder sb = new StringBuilder(bosText);
                for (Message m : messages) {
                    sb.append("<|start_header_id|>").append(m.role()).append("<|end_header_id|>\n\n")
                            .append(m.content().strip()).append("<|eot_id|>");
                }
                if (addGenerationPrompt) {
                    sb.append("<|start_header_id|>assistant<|end_header_id|>\n\n");
                }
                yield sb.toString();
            }
            case CHATML -> {
                StringBuilder sb = new StringBuilder();
                for (Message m : messages) {
                    sb.append("<|im_start|>").append(m.role()).append('\n').append(m.content()).append("<|im_end|>\n");
                }
                if (addGenerationPrompt) {
                    sb.append("<|im_start|>assistant\n");
                }
                yield sb.toString();
            }
            case LLAMA2 -> {
                StringBuilder sb = new StringBuilder();
                String system = null;
                for (Message m : messages) {
                    switch (m.role()) {
                        case "system" -> system = m.content().strip();
                        case "assistant" -> sb.append(' ').append(m.content().strip()).append(' ').append(eosText);
                        default -> {
                            String user = m.content().strip();
                            if (system != null) {
                                user = "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + user;
                                system = null;
                            }
                            sb.append(bosText).append("[INST] ").append(user).append(" [/INST]");
                        }
                    }
                }
                yield sb.toString();
            }
            case PLAIN -> {
                List<String> parts = new ArrayList<>();
                for (Message m : messages) {
                    parts.add(m.content());
                }
                yield String.join("\n", parts);
            }
        };
    }

    /**
     * Prompt tokens for a conversation: the rendered text with special tokens recognised, and BOS
     * added when the model wants it and the template did not write it already.
     */
    public int[] apply(List<Message> messages, boolean addGenerationPrompt) {
        String text = render(messages, addGenerationPrompt);
        if (kind == Kind.PLAIN) {
            return tokenizer.encode(text, tokenizer.addBosByDefault());
        }
        boolean hasBos = !bosText.isEmpty() && text.startsWith(bosText);
        return tokenizer.encodeWithSpecialTokens(text, tokenizer.addBosByDefault() && !hasBos);
    }

    private String renderJinja(List<Message> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> msgs = new ArrayList<>();
        for (Message m : messages) {
            Map<String, Object> o = new HashMap<>();
            o.put("role", m.role());
            o.put("content", m.content());
            msgs.add(o);
        }
        Map<String, Object> ctx = new HashMap<>();
        ctx.put("messages", msgs);
        ctx.put("add_generation_prompt", addGenerationPrompt);
        ctx.put("bos_token", bosText);
        ctx.put("eos_token", eosText);
        var result = JINJAVA.renderForResult(template, ctx);
        if (!result.getErrors().isEmpty()) {
            var fatal = result.getErrors().stream()
                    .filter(e -> e.getSeverity() == com.hubspot.jinjava.interpret.TemplateError.ErrorType.FATAL).toList();
            if (!fatal.isEmpty()) {
                throw new IllegalArgumentException("chat template: " + fatal.getFirst().getMessage());
            }
        }
        return result.getOutput();
    }

    /** Called by templates to reject a conversation (e.g. roles out of order). */
    public static String raiseException(String message) {
        throw new IllegalArgumentException("chat template: " + message);
    }

    private static Jinjava createJinjava() {
        Jinjava j = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true).build());
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", String.class));
        return j;
    }
}
