package io.llmpipe.protocol;

import static io.llmpipe.protocol.GenerationRequestDeserializerTest.assertMalformed;
import static io.llmpipe.protocol.SampleMessages.edit;
import static io.llmpipe.protocol.SampleMessages.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TokenEventDeserializerTest {

    private final TokenEventSerializer serializer = new TokenEventSerializer();
    private final TokenEventDeserializer deserializer = new TokenEventDeserializer();

    private static final String TOKEN_V1 = """
            {"schemaVersion":1,"requestId":"chatcmpl-42","sequence":3,"tokenId":281,"text":" the","stage":"decode"}""";
    private static final String LAST_V1 = """
            {"schemaVersion":1,"requestId":"chatcmpl-42","sequence":9,"tokenId":2,"text":"","finishReason":"stop",
             "usage":{"promptTokens":4,"completionTokens":10},"stage":"decode"}""";
    private static final String ERROR_V1 = """
            {"schemaVersion":1,"requestId":"chatcmpl-42","sequence":0,"tokenId":-1,"text":"","finishReason":"error",
             "error":{"code":"CONTEXT_LENGTH_EXCEEDED","message":"too long"},"stage":"prefill"}""";

    private static List<TokenEvent> samples() {
        return List.of(
                TokenEvent.token("chatcmpl-42", 0, 312, "Once", PipelineStage.PREFILL),
                TokenEvent.token("chatcmpl-42", 3, 281, " the", PipelineStage.DECODE),
                TokenEvent.token("chatcmpl-42", 4, 7, "\u00e9\u4e2d\ud83d\ude00\"\\\n", PipelineStage.DECODE),
                TokenEvent.last("chatcmpl-42", 9, 2, "", FinishReason.STOP, new Usage(4, 10), PipelineStage.DECODE),
                TokenEvent.last("chatcmpl-42", 0, 2, "", FinishReason.LENGTH, new Usage(4, 1), PipelineStage.PREFILL),
                TokenEvent.last("chatcmpl-42", 5, TokenEvent.NO_TOKEN, "", FinishReason.CANCELLED, new Usage(4, 5),
                        PipelineStage.DECODE),
                TokenEvent.failure("chatcmpl-42", 0, new ErrorInfo(ErrorInfo.CONTEXT_LENGTH_EXCEEDED, "too long"), null,
                        PipelineStage.PREFILL),
                TokenEvent.failure("chatcmpl-42", 6, new ErrorInfo(ErrorInfo.INTERNAL, ""), new Usage(4, 5),
                        PipelineStage.DECODE));
    }

    @Test
    void everyShapeRoundTrips() {
        for (TokenEvent event : samples()) {
            assertEquals(event, deserializer.deserialize(Topics.TOKENS, serializer.serialize(Topics.TOKENS, event)));
        }
    }

    @Test
    void readsAndWritesTheVersion1WireFormat() throws Exception {
        List<TokenEvent> expected = List.of(samples().get(1), samples().get(3), samples().get(6));
        List<String> wire = List.of(TOKEN_V1, LAST_V1, ERROR_V1);
        for (int i = 0; i < wire.size(); i++) {
            assertEquals(expected.get(i), deserializer.deserialize(Topics.TOKENS, utf8(wire.get(i))));
            assertEquals(ProtocolJson.MAPPER.readTree(wire.get(i)),
                    ProtocolJson.MAPPER.readTree(serializer.serialize(Topics.TOKENS, expected.get(i))));
        }
    }

    @Test
    void ignoresUnknownFieldsAndReadsNullsAsAbsent() {
        String extended = TOKEN_V1.replace("\"stage\"", "\"logprob\":-0.25,\"finishReason\":null,\"usage\":null,\"stage\"");
        assertEquals(samples().get(1), deserializer.deserialize(Topics.TOKENS, utf8(extended)));
    }

    @Test
    void rejectsANewerSchemaVersion() {
        assertMalformed(deserializer, Topics.TOKENS, utf8(TOKEN_V1.replace("\"schemaVersion\":1", "\"schemaVersion\":7")),
                "newer");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            missing sequence      | "sequence":3,                 |                                | sequence
            missing stage         | ,"stage":"decode"             |                                | stage
            unknown stage         | "stage":"decode"              | "stage":"retrieval"            | stage
            unknown finish reason | "stage":"decode"              | "stage":"decode","finishReason":"eos" | finishReason
            decode at sequence 0  | "sequence":3                  | "sequence":0                   | sequence
            usage mid-stream      | "stage":"decode"              | "stage":"decode","usage":{"promptTokens":1,"completionTokens":1} | usage
            token id below -1     | "tokenId":281                 | "tokenId":-5                   | tokenId
            text is a number      | "text":" the"                 | "text":17                      | text
            truncated             | "stage":"decode"}             | "stage":"decode"               | not JSON
            """)
    void rejectsMalformedEvents(String what, String original, String replacement, String reason) {
        assertMalformed(deserializer, Topics.TOKENS,
                edit(TOKEN_V1, original, replacement), reason);
    }

    @Test
    void rejectsAnErrorEventWithoutItsError() {
        assertMalformed(deserializer, Topics.TOKENS,
                utf8(ERROR_V1.replace("\"error\":{\"code\":\"CONTEXT_LENGTH_EXCEEDED\",\"message\":\"too long\"},", "")),
                "error");
        assertMalformed(deserializer, Topics.TOKENS,
                utf8(ERROR_V1.replace("\"code\":\"CONTEXT_LENGTH_EXCEEDED\",", "")), "code");
    }

    @Test
    void randomCorruptionsFailCleanly() {
        SampleMessages.assertCorruptionsFailCleanly(deserializer, Topics.TOKENS, utf8(LAST_V1), 2L);
        SampleMessages.assertCorruptionsFailCleanly(deserializer, Topics.TOKENS, utf8(ERROR_V1), 3L);
    }
}
