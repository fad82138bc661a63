package io.llmpipe.gateway;

import io.llmpipe.service.ApiException;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmpipe.engine.model.Model;
import io.llmpipe.engine.tokenizer.ChatMessage;
import io.llmpipe.engine.tokenizer.Tokenizer;
import io.llmpipe.protocol.AttentionMode;
import io.llmpipe.protocol.AttentionSpec;
import io.llmpipe.protocol.KvCodec;
import io.llmpipe.protocol.KvCodecSpec;
import io.llmpipe.protocol.ProtocolLimits;
import io.llmpipe.service.EngineAdapters;
import io.llmpipe.service.ModelHolder;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Reads an OpenAI completion request body in two steps: {@link #parse} checks every field the gateway
 * understands (400 for malformed JSON and missing or mistyped fields, 422 for out-of-range or
 * unsupported values, 404 for an unknown model); {@link #complete} puts retrieved passages into the
 * prompt when the request asked for them, applies the chat template, tokenizes, and refuses a prompt
 * that does not fit the context. Unknown fields are ignored, as vLLM does. Thread-safe.
 */
@ApplicationScoped
public class RequestReader {
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant");
    private static final int MAX_STOP_STRINGS = 4;
    /** A text completion's max_tokens when the request gives none (OpenAI's default). */
    private static final int DEFAULT_TEXT_MAX_TOKENS = 16;
    /** Without max_tokens, retrieved passages leave 1/this of the context to a chat answer. */
    private static final int RAG_ANSWER_CONTEXT_SHARE = 4;

    @Inject
    ModelHolder holder;

    @Inject
    ObjectMapper json;

    /** The deployment's KV handoff codec when a request names none: fp32, fp16, kivi4 or kivi2. */
    @ConfigProperty(name = "llmpipe.gateway.kv-cache.codec", defaultValue = "fp32")
    String defaultKvCodec;

    /** KIVI group size when a request names none. */
    @ConfigProperty(name = "llmpipe.gateway.kv-cache.group-size", defaultValue = "32")
    int defaultKvGroupSize;

    /** KIVI full-precision window when a request names none. */
    @ConfigProperty(name = "llmpipe.gateway.kv-cache.residual-length", defaultValue = "128")
    int defaultKvResidualLength;

    /** How retrieved passages and the question make the last user message; needs {passages} and {question}. */
    @ConfigProperty(name = "llmpipe.gateway.retrieval.template", defaultValue = RagPrompt.DEFAULT_TEMPLATE)
    String retrievalTemplate;

    private final SecureRandom seeds = new SecureRandom();
    private RagPrompt ragPrompt;

    @PostConstruct
    void init() {
        ragPrompt = new RagPrompt(retrievalTemplate);
    }

    /**
     * Checks every field of a request body. The prompt is not encoded yet: with a {@code retrieval}
     * field, the passages go into it first.
     *
     * @throws ApiException if the request is refused
     */
    public CompletionDraft parse(CompletionRequest.Kind kind, String body) {
        JsonNode root;
        try {
            root = json.readTree(body == null ? "" : body);
        } catch (JacksonException e) {
            throw ApiException.invalid(null, "The request body is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw ApiException.invalid(null, "The request body must be a JSON object.");
        }
        Model model = holder.model();
        String modelName = requiredString(root, "model");
        if (!modelName.equals(holder.id())) {
            throw new ApiException(404, "model_not_found", "model",
                    "The model '" + modelName + "' does not exist; this server serves '" + holder.id() + "'.");
        }
        int n = optionalInt(root, "n", 1);
        if (n != 1) {
            throw ApiException.unprocessable("n", "Only n=1 is supported.");
        }
        for (String unsupported : List.of("logprobs", "echo")) {
            if (optionalBoolean(root, unsupported, false)) {
                throw ApiException.unprocessable(unsupported, "'" + unsupported + "' is not supported.");
            }
        }
        if (present(root, "suffix")) {
            throw ApiException.unprocessable("suffix", "'suffix' is not supported.");
        }
        for (String penalty : List.of("presence_penalty", "frequency_penalty")) {
            if (optionalNumber(root, penalty, 0.0) != 0.0) {
                throw ApiException.unprocessable(penalty, "'" + penalty + "' is not supported (only 0).");
            }
        }
        Tokenizer tokenizer = model.tokenizer();
        ClientPrompt prompt = kind == CompletionRequest.Kind.CHAT ? chatPrompt(root) : textPrompt(root, tokenizer);
        RetrievalSpec retrieval = RetrievalSpec.parse(root.get("retrieval"));
        if (retrieval != null && (prompt.question() == null || prompt.question().isBlank())) {
            throw prompt instanceof ClientPrompt.TokenIds
                    ? ApiException.unprocessable("retrieval", "Retrieval needs a text prompt to search with, not token ids.")
                    : ApiException.invalid(kind == CompletionRequest.Kind.CHAT ? "messages" : "prompt",
                    "Retrieval searches with the last user message, and there is no non-empty one.");
        }
        String maxField = present(root, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        OptionalInt maxTokens = OptionalInt.empty();
        if (present(root, maxField)) {
            int max = optionalInt(root, maxField, 0);
            if (max < 1) {
                throw ApiException.unprocessable(maxField, "'" + maxField + "' must be at least 1, got " + max + ".");
            }
            maxTokens = OptionalInt.of(max);
        }
        double temperature = optionalNumber(root, "temperature", 1.0);
        if (!(temperature >= 0 && temperature <= 2)) {
            throw ApiException.unprocessable("temperature", "'temperature' must be between 0 and 2, got " + temperature + ".");
        }
        double topP = optionalNumber(root, "top_p", 1.0);
        if (!(topP > 0 && topP <= 1)) {
            throw ApiException.unprocessable("top_p", "'top_p' must be in (0, 1], got " + topP + ".");
        }
        int topK = optionalInt(root, "top_k", 0);
        if (topK == -1) {
            topK = 0; // vLLM's "off"
        }
        if (topK < 0) {
            throw ApiException.unprocessable("top_k", "'top_k' must be >= 0 (0 or -1: off), got " + topK + ".");
        }
        long seed = present(root, "seed") ? optionalLong(root, "seed") : seeds.nextLong() & Long.MAX_VALUE;
        boolean ignoreEos = optionalBoolean(root, "ignore_eos", false);
        int[] stopIds = ignoreEos ? new int[0] : tokenizer.stopTokenIds().stream().mapToInt(Integer::intValue).toArray();
        List<String> stops = stopStrings(root);
        boolean stream = optionalBoolean(root, "stream", false);
        boolean includeUsage = false;
        JsonNode options = root.get("stream_options");
        if (options != null && !options.isNull()) {
            if (!options.isObject()) {
                throw ApiException.invalid("stream_options", "'stream_options' must be an object.");
            }
            if (!stream) {
                throw ApiException.invalid("stream_options", "'stream_options' is only allowed when 'stream' is true.");
            }
            includeUsage = optionalBoolean(options, "include_usage", false);
        }
        return new CompletionDraft(kind, modelName, prompt, retrieval, maxField, maxTokens, (float) temperature, topK, (float) topP,
                seed, stopIds, stops, stream, includeUsage, attention(root), kvCache(root, model));
    }

    /**
     * Encodes a checked request's prompt, with the passages that fit when it asked for retrieval, and
     * checks it against the context.
     *
     * @param found what the search found for the draft's {@code retrieval}, best first; null without retrieval
     * @throws ApiException 400 {@code context_length_exceeded} if the prompt (plus max_tokens) does not fit
     */
    public CompletionRequest complete(CompletionDraft draft, RetrievalResult found) {
        Model model = holder.model();
        CompletionRequest.Kind kind = draft.kind();
        int context = model.config().contextLength();
        String question = null;
        RetrievalResult used = null;
        if (found != null) {
            // the passages may fill what the answer does not need: max_tokens, else a share of the context
            int answerTokens = draft.maxTokens().orElse(kind == CompletionRequest.Kind.CHAT
                    ? context / RAG_ANSWER_CONTEXT_SHARE : DEFAULT_TEXT_MAX_TOKENS);
            int budget = Math.min(context - answerTokens, ProtocolLimits.MAX_PROMPT_TOKENS);
            RagPrompt.Assembly assembly = ragPrompt.assemble(draft.prompt().question(), found.passages(),
                    text -> draft.prompt().encode(model, text).length, budget);
            question = assembly.used().isEmpty() ? null : assembly.text();
            used = new RetrievalResult(found.collection(), assembly.used());
        }
        int[] prompt = draft.prompt().encode(model, question);
        String promptField = kind == CompletionRequest.Kind.CHAT ? "messages" : "prompt";
        if (prompt.length == 0) {
            throw ApiException.invalid(promptField, "The prompt is empty.");
        }
        if (prompt.length >= context || prompt.length > ProtocolLimits.MAX_PROMPT_TOKENS) {
            throw new ApiException(400, "context_length_exceeded", promptField,
                    "This model's maximum context length is " + context + " tokens. However, your prompt has " + prompt.length
                            + " tokens, which leaves no room for a completion.");
        }
        int room = context - prompt.length;
        int maxTokens = draft.maxTokens().orElse(kind == CompletionRequest.Kind.TEXT ? Math.min(DEFAULT_TEXT_MAX_TOKENS, room) : room);
        if (maxTokens > room) {
            String maxField = draft.maxTokensField();
            throw new ApiException(400, "context_length_exceeded", maxField, "This model's maximum context length is "
                    + context + " tokens. However, you requested " + (prompt.length + maxTokens) + " tokens (" + prompt.length
                    + " in the prompt, " + maxTokens + " for the completion).");
        }
        return new CompletionRequest(kind, draft.model(), prompt, maxTokens, draft.temperature(), draft.topK(), draft.topP(),
                draft.seed(), draft.stopTokenIds(), draft.stopStrings(), draft.stream(), draft.includeUsage(), draft.attention(),
                draft.kvCodec(), used);
    }

    private static ClientPrompt chatPrompt(JsonNode root) {
        JsonNode messages = root.get("messages");
        if (messages == null || messages.isNull()) {
            throw ApiException.invalid("messages", "Missing required parameter: 'messages'.");
        }
        if (!messages.isArray() || messages.isEmpty()) {
            throw ApiException.invalid("messages", "'messages' must be a non-empty array.");
        }
        List<ChatMessage> chat = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String where = "messages[" + i + "]";
            if (!m.isObject()) {
                throw ApiException.invalid(where, "'" + where + "' must be an object.");
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual()) {
                throw ApiException.invalid(where + ".role", "'" + where + ".role' must be a string.");
            }
            String r = role.asText();
            if (!ROLES.contains(r)) {
                throw ApiException.unprocessable(where + ".role", "Unsupported role '" + r + "' (system, developer, user, assistant).");
            }
            chat.add(new ChatMessage(r.equals("developer") ? "system" : r, content(m.get("content"), where + ".content")));
        }
        return new ClientPrompt.Chat(chat);
    }

    private static String content(JsonNode c, String where) {
        if (c == null || c.isNull()) {
            throw ApiException.invalid(where, "Missing '" + where + "'.");
        }
        if (c.isTextual()) {
            return c.asText();
        }
        if (c.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : c) {
                JsonNode type = part.get("type");
                if (!part.isObject() || type == null || !type.isTextual()) {
                    throw ApiException.invalid(where, "Each part of '" + where + "' must be an object with a 'type'.");
                }
                if (!type.asText().equals("text")) {
                    throw ApiException.unprocessable(where, "Content parts of type '" + type.asText() + "' are not supported (text only).");
                }
                JsonNode t = part.get("text");
                if (t == null || !t.isTextual()) {
                    throw ApiException.invalid(where, "A text part of '" + where + "' needs a string 'text'.");
                }
                text.append(t.asText());
            }
            return text.toString();
        }
        throw ApiException.invalid(where, "'" + where + "' must be a string or an array of content parts.");
    }

    private static ClientPrompt textPrompt(JsonNode root, Tokenizer tokenizer) {
        JsonNode p = root.get("prompt");
        if (p == null || p.isNull()) {
            throw ApiException.invalid("prompt", "Missing required parameter: 'prompt'.");
        }
        if (p.isTextual()) {
            return new ClientPrompt.Text(p.asText());
        }
        if (p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
            return new ClientPrompt.Text(p.get(0).asText());
        }
        if (p.isArray() && !p.isEmpty() && p.get(0).isNumber()) {
            int[] ids = new int[p.size()];
            for (int i = 0; i < ids.length; i++) {
                JsonNode id = p.get(i);
                if (!id.canConvertToInt() || !id.isIntegralNumber()) {
                    throw ApiException.invalid("prompt", "A token-id prompt must hold integers only.");
                }
                ids[i] = id.asInt();
                if (ids[i] < 0 || ids[i] >= tokenizer.vocabularySize()) {
                    throw ApiException.unprocessable("prompt", "Token id " + ids[i] + " is outside the vocabulary of "
                            + tokenizer.vocabularySize() + ".");
                }
            }
            return new ClientPrompt.TokenIds(ids);
        }
        if (p.isArray() && p.size() > 1) {
            throw ApiException.unprocessable("prompt", "Only one prompt per request is supported.");
        }
        throw ApiException.invalid("prompt", "'prompt' must be a string, an array of one string, or an array of token ids.");
    }

    private static List<String> stopStrings(JsonNode root) {
        JsonNode s = root.get("stop");
        if (s == null || s.isNull()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (s.isTextual()) {
            out.add(s.asText());
        } else if (s.isArray()) {
            for (JsonNode e : s) {
                if (!e.isTextual()) {
                    throw ApiException.invalid("stop", "'stop' must be a string or an array of strings.");
                }
                out.add(e.asText());
            }
        } else {
            throw ApiException.invalid("stop", "'stop' must be a string or an array of strings.");
        }
        if (out.size() > MAX_STOP_STRINGS) {
            throw ApiException.unprocessable("stop", "At most " + MAX_STOP_STRINGS + " stop strings, got " + out.size() + ".");
        }
        if (out.stream().anyMatch(String::isEmpty)) {
            throw ApiException.unprocessable("stop", "Stop strings must not be empty.");
        }
        return List.copyOf(out);
    }

    /**
     * The prefill attention extension: a mode name ({@code "flexprefill"}) or an object with the mode and
     * its numeric parameters ({@code {"mode":"flexprefill","gamma":0.95,"min_budget":1024}}).
     */
    private static AttentionSpec attention(JsonNode root) {
        JsonNode a = root.get("attention");
        if (a == null || a.isNull()) {
            return AttentionSpec.DENSE;
        }
        JsonNode mode = a.isObject() ? a.get("mode") : a;
        if (mode == null || !mode.isTextual()) {
            throw ApiException.invalid("attention", "'attention' must be a mode name (dense, flexprefill, dhsa) or an object with a 'mode'.");
        }
        AttentionMode m;
        try {
            m = AttentionMode.fromWireName(mode.asText().toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.unprocessable("attention", "Unknown attention mode '" + mode.asText() + "' (dense, flexprefill, dhsa).");
        }
        Map<String, Double> parameters = new java.util.TreeMap<>();
        if (a.isObject()) {
            for (var field : a.properties()) {
                if (field.getKey().equals("mode")) {
                    continue;
                }
                if (!field.getValue().isNumber() || !Double.isFinite(field.getValue().asDouble())) {
                    throw ApiException.invalid("attention." + field.getKey(), "Attention parameter '" + field.getKey() + "' must be a number.");
                }
                parameters.put(field.getKey(), field.getValue().asDouble());
            }
        }
        return new AttentionSpec(m, parameters);
    }

    /**
     * The KV handoff codec extension: a codec name ({@code "kivi2"}) or an object with the codec and its
     * KIVI parameters ({@code {"codec":"kivi2","group_size":32,"residual_length":128}}); absent, the
     * deployment's ({@code llmpipe.gateway.kv-cache.*}). Checked against the model here, so a request
     * prefill could not encode is refused before it is queued.
     */
    private KvCodecSpec kvCache(JsonNode root, Model model) {
        JsonNode k = root.get("kv_cache");
        String name = defaultKvCodec;
        int groupSize = defaultKvGroupSize, residualLength = defaultKvResidualLength;
        if (k != null && !k.isNull()) {
            JsonNode codec = k.isObject() ? k.get("codec") : k;
            if (codec == null || !codec.isTextual()) {
                throw ApiException.invalid("kv_cache", "'kv_cache' must be a codec name (fp32, fp16, kivi4, kivi2) or an object with a 'codec'.");
            }
            name = codec.asText().toLowerCase(Locale.ROOT);
            if (k.isObject()) {
                for (var field : k.properties()) {
                    if (!Set.of("codec", "group_size", "residual_length").contains(field.getKey())) {
                        throw ApiException.invalid("kv_cache." + field.getKey(), "Unknown kv_cache field '" + field.getKey()
                                + "' (codec, group_size, residual_length).");
                    }
                }
                groupSize = optionalInt(k, "group_size", groupSize);
                residualLength = optionalInt(k, "residual_length", residualLength);
            }
        }
        KvCodec codec;
        try {
            codec = KvCodec.fromWireName(name);
        } catch (IllegalArgumentException e) {
            throw ApiException.unprocessable("kv_cache", "Unknown KV cache codec '" + name + "' (fp32, fp16, kivi4, kivi2).");
        }
        KvCodecSpec spec = codec.grouped() ? new KvCodecSpec(codec, Math.max(0, groupSize), Math.max(0, residualLength)) : KvCodecSpec.of(codec);
        try {
            if (codec.grouped() && (groupSize < 1 || residualLength < 1)) {
                throw new IllegalArgumentException("group_size and residual_length must be positive");
            }
            EngineAdapters.kvCodec(spec).layerBytes(model.config().kvHeads(), model.config().headSize(), 1);
        } catch (IllegalArgumentException e) {
            throw ApiException.unprocessable("kv_cache", "KV cache codec " + name + ": " + e.getMessage() + ".");
        }
        return spec;
    }

    private static boolean present(JsonNode root, String field) {
        JsonNode v = root.get(field);
        return v != null && !v.isNull();
    }

    private static String requiredString(JsonNode root, String field) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            throw ApiException.invalid(field, "Missing required parameter: '" + field + "'.");
        }
        if (!v.isTextual()) {
            throw ApiException.invalid(field, "'" + field + "' must be a string.");
        }
        return v.asText();
    }

    private static boolean optionalBoolean(JsonNode root, String field, boolean absent) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return absent;
        }
        if (!v.isBoolean()) {
            throw ApiException.invalid(field, "'" + field + "' must be a boolean.");
        }
        return v.asBoolean();
    }

    private static double optionalNumber(JsonNode root, String field, double absent) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return absent;
        }
        if (!v.isNumber()) {
            throw ApiException.invalid(field, "'" + field + "' must be a number.");
        }
        return v.asDouble();
    }

    private static int optionalInt(JsonNode root, String field, int absent) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return absent;
        }
        if (!v.isIntegralNumber()) {
            throw ApiException.invalid(field, "'" + field + "' must be an integer.");
        }
        if (!v.canConvertToInt()) {
            throw ApiException.unprocessable(field, "'" + field + "' is out of range.");
        }
        return v.asInt();
    }

    private static long optionalLong(JsonNode root, String field) {
        JsonNode v = root.get(field);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw ApiException.invalid(field, "'" + field + "' must be a 64-bit integer.");
        }
        return v.asLong();
    }
}
