package io.llmpipe.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmpipe.engine.model.Model;
import io.llmpipe.engine.model.ModelLoader;
import io.llmpipe.engine.tokenizer.Tokenizer;
import io.llmpipe.protocol.AttentionSpec;
import io.llmpipe.protocol.ErrorInfo;
import io.llmpipe.protocol.FinishReason;
import io.llmpipe.protocol.PipelineStage;
import io.llmpipe.protocol.TokenEvent;
import io.llmpipe.protocol.Usage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Ordering, duplicates, text, stop strings and errors of one request's events, on stories260K's tokenizer. */
class GenerationStreamTest {
    private static Model model;
    private static Tokenizer tokenizer;

    @BeforeAll
    static void load() {
        Path models = Path.of(System.getProperty("llmpipe.shared.dir"), "models");
        model = ModelLoader.load(new ModelLoader.Options(models.resolve("stories260K.bin"), models.resolve("tok512.bin"), 512));
        tokenizer = model.tokenizer();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** Records what a client would be sent. */
    static final class Recorder implements GenerationStream.Sink, GenerationStream.Observer {
        final StringBuilder text = new StringBuilder();
        final List<String> ends = new ArrayList<>();
        int firstTokens;
        boolean cancelled;
        int endedCount;

        @Override
        public void text(String piece) {
            assertTrue(!piece.isEmpty());
            text.append(piece);
        }

        @Override
        public void end(String finishReason, int promptTokens, int completionTokens) {
            ends.add(finishReason + " " + promptTokens + "+" + completionTokens);
        }

        @Override
        public void fail(int status, String code, String message) {
            ends.add(status + " " + code);
        }

        @Override
        public void prefill(io.llmpipe.protocol.PrefillReport report) {
        }

        @Override
        public void firstToken() {
            firstTokens++;
        }

        @Override
        public void ended(GenerationStream stream, boolean cancelUpstream, int completionTokens) {
            endedCount++;
            cancelled = cancelUpstream;
        }
    }

    private static CompletionRequest request(int[] prompt, List<String> stops) {
        return new CompletionRequest(CompletionRequest.Kind.CHAT, "m", prompt, 50, 0f, 0, 1f, 0, new int[]{2}, stops, true, false,
                AttentionSpec.DENSE, io.llmpipe.protocol.KvCodecSpec.FP32, null);
    }

    private static TokenEvent token(int seq, int id) {
        return TokenEvent.token("r", seq, id, "", seq == 0 ? PipelineStage.PREFILL : PipelineStage.DECODE);
    }

    @Test
    void eventsAreReorderedDeduplicatedAndDecoded() {
        int[] prompt = tokenizer.encode("Once upon a time", true);
        int[] out = tokenizer.encode("Once upon a time, there was a girl", true);
        int[] gen = java.util.Arrays.copyOfRange(out, prompt.length, out.length);
        Recorder r = new Recorder();
        GenerationStream s = new GenerationStream("r", request(prompt, List.of()), tokenizer, r, r, Runnable::run);
        // arrival order scrambled, with a regenerated (duplicate) run after a decode restart
        s.accept(token(1, gen[1]));
        s.accept(token(0, gen[0]));
        s.accept(token(2, gen[2]));
        s.accept(token(1, gen[1]));
        s.accept(token(2, gen[2]));
        for (int i = 3; i < gen.length; i++) {
            s.accept(token(i, gen[i]));
        }
        s.accept(TokenEvent.last("r", gen.length, 2, "", FinishReason.STOP, new Usage(prompt.length, gen.length + 1), PipelineStage.DECODE));
        s.accept(token(3, gen[3]));
        assertEquals(tokenizer.decode(gen).stripLeading(), r.text.toString().stripLeading());
        assertEquals(List.of("stop " + prompt.length + "+" + (gen.length + 1)), r.ends);
        assertEquals(1, r.firstTokens);
        assertEquals(1, r.endedCount);
    }

    @Test
    void aStopStringEndsTheStreamAndCancelsUpstream() {
        int[] prompt = tokenizer.encode("Once upon a time", true);
        int[] out = tokenizer.encode("Once upon a time, there was a girl named Lily", true);
        int[] gen = java.util.Arrays.copyOfRange(out, prompt.length, out.length);
        Recorder r = new Recorder();
        GenerationStream s = new GenerationStream("r", request(prompt, List.of(" was")), tokenizer, r, r, Runnable::run);
        for (int i = 0; i < gen.length; i++) {
            s.accept(token(i, gen[i]));
        }
        assertEquals(", there", r.text.toString());
        assertEquals(1, r.ends.size());
        assertTrue(r.ends.getFirst().startsWith("stop "));
        assertTrue(r.cancelled, "decode is told to stop");
    }

    @Test
    void aPipelineErrorBecomesAnHttpError() {
        Recorder r = new Recorder();
        GenerationStream s = new GenerationStream("r", request(new int[]{1, 403}, List.of()), tokenizer, r, r, Runnable::run);
        s.accept(TokenEvent.failure("r", 0, new ErrorInfo(ErrorInfo.CONTEXT_LENGTH_EXCEEDED, "too long"), new Usage(2, 0), PipelineStage.PREFILL));
        assertEquals(List.of("400 context_length_exceeded"), r.ends);
        assertEquals(0, r.firstTokens);
    }
}
