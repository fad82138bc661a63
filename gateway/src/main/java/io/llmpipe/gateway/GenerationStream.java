package io.llmpipe.gateway;

import io.llmpipe.engine.tokenizer.StreamingDecoder;
import io.llmpipe.engine.tokenizer.Tokenizer;
import io.llmpipe.protocol.ErrorInfo;
import io.llmpipe.protocol.FinishReason;
import io.llmpipe.protocol.PrefillReport;
import io.llmpipe.protocol.TokenEvent;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * One request's output as the gateway receives it from llm.tokens: events put back in sequence
 * order, duplicates dropped (a request regenerated after a decode crash repeats sequence numbers
 * already sent), token ids turned into text with the gateway's own tokenizer (so a character split
 * across prefill and decode still comes out whole), and stop strings applied. The result goes to a
 * {@link Sink}. Thread-safe: events arrive on Kafka threads, timeouts and disconnects on others.
 */
final class GenerationStream {

    /** Where the output goes: the HTTP response, as SSE chunks or as one JSON body. */
    interface Sink {
        /** A piece of generated text, never empty. */
        void text(String piece);

        /** The generation ended normally ({@code finishReason}: stop or length). */
        void end(String finishReason, int promptTokens, int completionTokens);

        /** The generation failed. */
        void fail(int status, String code, String message);

        /** What prefill did (attention mode, density): reported with the response's last object. */
        void prefill(PrefillReport report);
    }

    /** What the stream reports to its owner when it ends. */
    interface Observer {
        void firstToken();

        void ended(GenerationStream stream, boolean cancelUpstream, int completionTokens);
    }

    private final String requestId;
    private final int promptTokens;
    private final StreamingDecoder decoder;
    private final StopStrings stops;
    private final Sink sink;
    private final Observer observer;
    private final Consumer<Runnable> sinkExecutor;
    private final TreeMap<Integer, TokenEvent> early = new TreeMap<>();
    private int next = TokenEvent.FIRST_SEQUENCE;
    private int completionTokens;
    private boolean ended;

    /**
     * @param sinkExecutor runs the sink's calls, in order (the HTTP connection's context)
     */
    GenerationStream(String requestId, CompletionRequest request, Tokenizer tokenizer, Sink sink, Observer observer,
                     Consumer<Runnable> sinkExecutor) {
        this.requestId = requestId;
        this.promptTokens = request.promptTokenIds().length;
        this.decoder = new StreamingDecoder(tokenizer, request.promptTokenIds()[request.promptTokenIds().length - 1]);
        this.stops = new StopStrings(request.stopStrings());
        this.sink = sink;
        this.observer = observer;
        this.sinkExecutor = sinkExecutor;
    }

    String requestId() {
        return requestId;
    }

    synchronized boolean ended() {
        return ended;
    }

    /** Takes an event of this request, in any order, any number of times. */
    synchronized void accept(TokenEvent event) {
        if (ended || event.sequence() < next) {
            return;
        }
        early.putIfAbsent(event.sequence(), event);
        TokenEvent e;
        while (!ended && (e = early.remove(next)) != null) {
            next++;
            process(e);
        }
    }

    private void process(TokenEvent e) {
        if (e.sequence() == TokenEvent.FIRST_SEQUENCE && e.finishReason() != FinishReason.ERROR) {
            observer.firstToken();
        }
        if (e.prefill() != null) {
            PrefillReport report = e.prefill();
            sinkExecutor.accept(() -> sink.prefill(report));
        }
        if (e.finishReason() == FinishReason.ERROR) {
            ErrorInfo error = e.error();
            end(false, () -> sink.fail(statusOf(error.code()), error.code().toLowerCase(java.util.Locale.ROOT), error.message()));
            return;
        }
        StringBuilder text = new StringBuilder();
        if (e.tokenId() != TokenEvent.NO_TOKEN) {
            completionTokens++;
            if (e.finishReason() != FinishReason.STOP) {
                text.append(decoder.accept(e.tokenId()));
            }
        }
        if (e.finished()) {
            text.append(decoder.finish());
        }
        String shown = stops.accept(text.toString());
        if (stops.stopped()) {
            emit(shown);
            end(!e.finished(), () -> sink.end("stop", promptTokens, completionTokens));
            return;
        }
        if (e.finished()) {
            shown += stops.finish();
            emit(shown);
            String reason = e.finishReason() == FinishReason.LENGTH ? "length" : "stop";
            int completion = e.usage() != null ? e.usage().completionTokens() : completionTokens;
            end(false, () -> sink.end(reason, promptTokens, completion));
            return;
        }
        emit(shown);
    }

    /** Ends the stream from outside (deadline, shutdown): the client gets {@code status} and the request is cancelled. */
    synchronized void fail(int status, String code, String message) {
        if (!ended) {
            end(true, () -> sink.fail(status, code, message));
        }
    }

    /** The client went away: nothing more is sent, and the request is cancelled upstream. */
    synchronized void abandon() {
        if (!ended) {
            ended = true;
            observer.ended(this, true, completionTokens);
        }
    }

    private void emit(String text) {
        if (!text.isEmpty()) {
            sinkExecutor.accept(() -> sink.text(text));
        }
    }

    private void end(boolean cancelUpstream, Runnable last) {
        ended = true;
        early.clear();
        sinkExecutor.accept(last);
        observer.ended(this, cancelUpstream, completionTokens);
    }

    /** The HTTP status for a pipeline error code. */
    static int statusOf(String code) {
        return switch (code) {
            case ErrorInfo.INVALID_REQUEST, ErrorInfo.CONTEXT_LENGTH_EXCEEDED -> 400;
            case ErrorInfo.MODEL_NOT_FOUND -> 404;
            case ErrorInfo.OVERLOADED -> 503;
            case ErrorInfo.DEADLINE_EXCEEDED -> 504;
            default -> 500;
        };
    }
}
