package io.llmpipe.engine.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import io.llmpipe.engine.ModelFormatException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face-style Jinja chat template rendered with Jinjava, configured to behave like
 * transformers' {@code apply_chat_template}: {@code trim_blocks} and {@code lstrip_blocks}, Jinja2
 * operator precedence and whitespace control, no re-interpretation of rendered text (so
 * {@code {{ }}} typed by a user stays text). Variables: {@code messages} (maps with {@code role}
 * and {@code content}), {@code bos_token}, {@code eos_token}, {@code add_generation_prompt}; function
 * {@code raise_exception(message)}.
 *
 * <p>Known differences from Jinja2: booleans print as {@code true}/{@code false}; a string is not
 * {@code iterable}; of Python's string methods only {@code strip}, {@code startswith},
 * {@code endswith}, {@code lstrip}, {@code rstrip}, {@code upper}, {@code lower} and
 * {@code replace} work ({@code split} follows Java's regex semantics).
 *
 * <p>Immutable; any thread may render (Jinjava renders each call with its own interpreter).
 */
final class JinjaChatTemplate implements ChatTemplate {
    private static final JinjavaConfig CONFIG = JinjavaConfig.newBuilder()
            .withTrimBlocks(true)
            .withLstripBlocks(true)
            .withNestedInterpretationEnabled(false)
            .withLegacyOverrides(LegacyOverrides.newBuilder()
                    .withUsePyishObjectMapper(true)
                    .withUseNaturalOperatorPrecedence(true)
                    .withParseWhitespaceControlStrictly(true)
                    .withUseTrimmingForNotesAndExpressions(true)
                    .withKeepNullableLoopValues(true)
                    .build())
            .build();

    private final String name;
    private final String source;
    private final Tokenizer tokenizer;
    private final Jinjava jinjava;
    private final String bos;
    private final String eos;

    /**
     * @throws ModelFormatException if the template cannot render a one-message conversation (a syntax
     *     error or a construct Jinjava lacks); a template that rejects that sample is accepted
     */
    JinjaChatTemplate(String name, String templateSource, Tokenizer tokenizer) {
        this.name = name;
        this.source = JinjaSourceAdapter.adapt(templateSource);
        this.tokenizer = tokenizer;
        this.bos = tokenizer.bosId() >= 0 ? tokenizer.piece(tokenizer.bosId()) : "";
        this.eos = tokenizer.eosId() >= 0 ? tokenizer.piece(tokenizer.eosId()) : "";
        this.jinjava = new Jinjava(CONFIG);
        jinjava.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "raise_exception", JinjaChatTemplate.class, "raiseException", String.class));
        try {
            render(List.of(ChatMessage.user("Hello")), true);
        } catch (ChatTemplateException e) {
            if (!(e.getCause() instanceof RaisedByTemplate)) {
                throw new ModelFormatException("the " + name + " chat template cannot be rendered: " + e.getMessage(), e);
            }
            // the template parsed and chose to reject this sample conversation: it is usable
        }
    }

    /** Jinja's {@code raise_exception}: aborts rendering with the template's message. */
    public static String raiseException(String message) {
        throw new RaisedByTemplate(message);
    }

    /** A rejection by the template itself, as opposed to a template that cannot be rendered. */
    private static final class RaisedByTemplate extends RuntimeException {
        RaisedByTemplate(String message) {
            super(message, null, false, false);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> list = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            list.add(map);
        }
        Map<String, Object> context = new HashMap<>();
        context.put("messages", list);
        context.put("bos_token", bos);
        context.put("eos_token", eos);
        context.put("add_generation_prompt", addGenerationPrompt);
        RenderResult result = jinjava.renderForResult(source, context);
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() != TemplateError.ErrorType.FATAL) {
                continue;
            }
            RaisedByTemplate raised = raisedIn(error.getException());
            if (raised != null) {
                throw new ChatTemplateException("the chat template rejected the conversation: " + raised.getMessage(), raised);
            }
            throw new ChatTemplateException("chat template error at line " + error.getLineno() + ": " + error.getMessage(), error.getException());
        }
        return result.getOutput();
    }

    /** Distinguishes the template's own rejection (a client error) in the exception chain. */
    private static RaisedByTemplate raisedIn(Throwable t) {
        for (Throwable cause = t; cause != null; cause = cause.getCause()) {
            if (cause instanceof RaisedByTemplate raised) {
                return raised;
            }
        }
        return null;
    }

    @Override
    public int[] encode(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return ChatTemplate.encodeRendered(tokenizer, render(messages, addGenerationPrompt));
    }
}
