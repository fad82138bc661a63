package io.llmpipe.protocol;

import static io.llmpipe.protocol.SampleMessages.edit;
import static io.llmpipe.protocol.SampleMessages.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GenerationRequestDeserializerTest {

    private final GenerationRequestSerializer serializer = new GenerationRequestSerializer();
    private final GenerationRequestDeserializer deserializer = new GenerationRequestDeserializer();

    /** Version 1 as written by the first gateway; every later reader of version 1 must accept it. */
    private static final String V1 = """
            {"schemaVersion":1,"requestId":"chatcmpl-42","modelId":"stories260K","promptTokenIds":[1,403,9,77],
             "sampling":{"temperature":0.8,"topK":40,"topP":0.95,"seed":7},"maxTokens":128,"stopTokenIds":[2],
             "attention":{"mode":"flexprefill","parameters":{"gamma":0.9,"tau":0.1}},
             "kvCodec":{"codec":"kivi4","groupSize":32,"residualLength":128},"replyTo":"gateway-0",
             "deadlineEpochMillis":1795000030000,"createdAtEpochMillis":1795000000000}""";

    /** The smallest valid request: only the required fields. */
    private static final String MINIMAL = """
            {"schemaVersion":1,"requestId":"r","modelId":"m","promptTokenIds":[1],
             "sampling":{"temperature":0,"topK":0,"topP":1,"seed":0},"maxTokens":1,"replyTo":"g",
             "createdAtEpochMillis":5}""";

    @Test
    void roundTrips() {
        GenerationRequest request = SampleMessages.request();
        assertEquals(request, deserializer.deserialize(Topics.REQUESTS, serializer.serialize(Topics.REQUESTS, request)));
    }

    @Test
    void readsTheVersion1WireFormat() {
        assertEquals(SampleMessages.request(), deserializer.deserialize(Topics.REQUESTS, utf8(V1)));
    }

    @Test
    void writesExactlyTheDocumentedFields() throws Exception {
        JsonNode written = ProtocolJson.MAPPER.readTree(serializer.serialize(Topics.REQUESTS, SampleMessages.request()));
        assertEquals(fieldNames(ProtocolJson.MAPPER.readTree(V1)), fieldNames(written));
        assertEquals(ProtocolJson.MAPPER.readTree(V1), written);
    }

    @Test
    void absentOptionalFieldsTakeTheirDefaults() {
        GenerationRequest r = deserializer.deserialize(Topics.REQUESTS, utf8(MINIMAL));
        assertEquals(AttentionSpec.DENSE, r.attention());
        assertEquals(KvCodecSpec.FP32, r.kvCodec());
        assertArrayEquals(new int[0], r.stopTokenIds());
        assertEquals(0L, r.deadlineEpochMillis());
        assertEquals(SamplingParameters.GREEDY, r.sampling());
    }

    @Test
    void ignoresUnknownFields() {
        String withExtras = MINIMAL.replace("\"modelId\":\"m\"",
                "\"modelId\":\"m\",\"priority\":3,\"tenant\":{\"id\":\"t\"}");
        withExtras = withExtras.replace("\"seed\":0", "\"seed\":0,\"minP\":0.05");
        assertEquals(deserializer.deserialize(Topics.REQUESTS, utf8(MINIMAL)),
                deserializer.deserialize(Topics.REQUESTS, utf8(withExtras)));
    }

    @Test
    void largestPromptStaysBelowKafkasRecordLimit() {
        int[] prompt = new int[ProtocolLimits.MAX_PROMPT_TOKENS];
        Arrays.fill(prompt, 999_999);
        int[] stops = new int[ProtocolLimits.MAX_STOP_TOKEN_IDS];
        Arrays.fill(stops, 999_999);
        GenerationRequest big = new GenerationRequest(1, "r".repeat(ProtocolLimits.MAX_REQUEST_ID_CHARS), "m", prompt,
                SamplingParameters.GREEDY, Integer.MAX_VALUE, stops, null, null, "g", 0L, 0L);
        byte[] value = serializer.serialize(Topics.REQUESTS, big);
        assertTrue(value.length < ProtocolLimits.KAFKA_DEFAULT_MAX_RECORD_BYTES, value.length + " bytes");
        assertEquals(big, deserializer.deserialize(Topics.REQUESTS, value));
    }

    @Test
    void rejectsNullAndEmptyValues() {
        assertMalformed(deserializer, Topics.REQUESTS, null, "null value");
        assertMalformed(deserializer, Topics.REQUESTS, new byte[0], "not a JSON object");
    }

    @Test
    void rejectsANewerSchemaVersion() {
        assertMalformed(deserializer, Topics.REQUESTS, utf8(V1.replace("\"schemaVersion\":1", "\"schemaVersion\":2")),
                "newer");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            not JSON              | {"schemaVersion":1,                           | not JSON
            not an object         | [1,2,3]                                       | not a JSON object
            a bare string         | "hello"                                       | not a JSON object
            trailing garbage      | {"schemaVersion":1} x                         | not JSON
            no version            | {"requestId":"r"}                             | schemaVersion
            string version        | {"schemaVersion":"1"}                         | schemaVersion
            version zero          | {"schemaVersion":0}                           | schema version 0
            """)
    void rejectsWhatIsNotAVersionedObject(String what, String json, String reason) {
        assertMalformed(deserializer, Topics.REQUESTS, utf8(json), reason);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            missing requestId      | "requestId":"r",                 |                                   | requestId
            missing maxTokens      | "maxTokens":1,                   |                                   | maxTokens
            missing sampling seed  | ,"seed":0                        |                                   | seed
            missing createdAt      | "createdAtEpochMillis":5         | "createdAt":5                     | createdAtEpochMillis
            null maxTokens         | "maxTokens":1                    | "maxTokens":null                  | maxTokens
            string for an int      | "maxTokens":1                    | "maxTokens":"1"                   | maxTokens
            fraction for an int    | "maxTokens":1                    | "maxTokens":1.5                   | maxTokens
            int overflow           | "maxTokens":1                    | "maxTokens":3000000000            | maxTokens
            negative maxTokens     | "maxTokens":1                    | "maxTokens":-1                    | maxTokens
            empty requestId        | "requestId":"r"                  | "requestId":""                    | requestId
            null requestId         | "requestId":"r"                  | "requestId":null                  | requestId
            string token id        | "promptTokenIds":[1]             | "promptTokenIds":[1,"2"]          | promptTokenIds
            null token id          | "promptTokenIds":[1]             | "promptTokenIds":[1,null]         | promptTokenIds
            negative token id      | "promptTokenIds":[1]             | "promptTokenIds":[1,-3]           | promptTokenIds
            empty prompt           | "promptTokenIds":[1]             | "promptTokenIds":[]               | promptTokenIds
            negative temperature   | "temperature":0                  | "temperature":-1                  | temperature
            topP zero              | "topP":1                         | "topP":0                          | topP
            unknown attention mode | "replyTo":"g"                    | "replyTo":"g","attention":{"mode":"sparse"} | attention
            unknown codec          | "replyTo":"g"                    | "replyTo":"g","kvCodec":{"codec":"int8"}     | kvCodec
            duplicate key          | "requestId":"r"                  | "requestId":"r","requestId":"s"   | requestId
            """)
    void rejectsMissingOrOutOfRangeFields(String what, String original, String replacement, String reason) {
        assertMalformed(deserializer, Topics.REQUESTS, edit(MINIMAL, original, replacement), reason);
    }

    @Test
    void namesTheTopicItWasGivenOrItsOwn() {
        var e = assertThrows(MalformedRecordException.class, () -> deserializer.deserialize("other", utf8("{")));
        assertEquals("other", e.topic());
        e = assertThrows(MalformedRecordException.class, () -> deserializer.deserialize(null, utf8("{")));
        assertEquals(Topics.REQUESTS, e.topic());
    }

    static void assertMalformed(Deserializer<?> deserializer, String topic, byte[] value, String reasonFragment) {
        var e = assertThrows(MalformedRecordException.class, () -> deserializer.deserialize(topic, value));
        assertEquals(topic, e.topic());
        assertTrue(e.reason().contains(reasonFragment), "'" + e.reason() + "' should mention " + reasonFragment);
        assertTrue(e.getMessage().contains(topic), e.getMessage());
    }

    private static Set<String> fieldNames(JsonNode node) {
        var names = new TreeSet<String>();
        node.properties().forEach((Map.Entry<String, JsonNode> e) -> {
            names.add(e.getKey());
            if (e.getValue().isObject()) {
                fieldNames(e.getValue()).forEach(n -> names.add(e.getKey() + "." + n));
            }
        });
        return names;
    }

    @Test
    void randomCorruptionsFailCleanly() {
        SampleMessages.assertCorruptionsFailCleanly(deserializer, Topics.REQUESTS, utf8(V1), 1L);
    }
}
